// Internals of Store shared by its implementation files (store.cc for the
// ledger, flag_store.cc for monitoring). Not for use outside storage/.
#ifndef DPMON_STORAGE_STORE_INTERNAL_H_
#define DPMON_STORAGE_STORE_INTERNAL_H_

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "common/fingerprint.h"
#include "common/limits.h"
#include "domain/categorise.h"
#include "domain/ledger_facts.h"
#include "dpmon/v1/storage.pb.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "storage/group_writes.h"
#include "storage/keys.h"
#include "storage/proto_domain.h"
#include "storage/store.h"
#include "storage/totals_record.h"

namespace dpmon {

inline constexpr int kSchemaVersion = 3;
inline constexpr char kMetaSchema[] = "schema_version";
inline constexpr char kMetaNextSeq[] = "next_sequence";
// How deep a chain of reversals of reversals is followed when relinking.
inline constexpr int kReversalChainDepthMax = 8;

enum Cf : int {
  kMeta = 0,  // the default column family
  kCouncils,
  kAccounts,
  kRefs,
  kTxnIds,
  kTxns,
  kStatements,
  kSuspense,
  kTotals,
  kReversals,
  kRequests,
  kMarks,
  kFlags,
  kFlagIndex,
  kKeys,
  kAccessLog,
  kCfCount
};
inline const char* const kCfNames[kCfCount] = {"default", "councils",   "accounts",   "refs",
                                               "txn_ids", "txns",       "statements", "suspense",
                                               "totals",  "reversals",  "requests",   "marks",
                                               "flags",   "flag_index", "keys",       "access_log"};

inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// A quick filter only: a matching fingerprint is always confirmed by
// comparing the stored content byte for byte.
inline uint64_t Fingerprint(absl::string_view bytes) { return Fingerprint64(bytes); }

inline std::string AccountName(absl::string_view council, absl::string_view account) {
  return absl::StrCat("councils/", council, "/accounts/", account);
}

template <typename Msg>
inline absl::Status ParseRecord(absl::string_view bytes, Msg* msg, absl::string_view what) {
  if (!msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("unreadable ", what, " record"));
  }
  return absl::OkStatus();
}

inline absl::string_view View(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}

// Whether rules 8 and 9 watch a stored transaction (domain::IsWatchedDebit).
inline bool IsWatched(const domain::Policy& policy, const storage::TransactionRecord& rec) {
  const v1::TransactionInput& in = rec.input();
  return domain::IsWatchedDebit(policy, in.has_reverses(), ToDomain(rec.direction()),
                                ToDomain(rec.effective_category()),
                                in.has_mcc() ? &in.mcc() : nullptr);
}

// The totals slot a stored transaction counts in.
inline int SlotOfRecord(const storage::TransactionRecord& rec) {
  return domain::SlotOf(ToDomain(rec.effective_category()), ToDomain(rec.direction()));
}

// The direction a transaction of `category` counts in when nothing links it.
inline v1::Direction DirectionOf(v1::Category category, int64_t amount_pence) {
  return ToProto(domain::DirectionOf(ToDomain(category), amount_pence));
}

// rec->SerializeAsString(), given its input's bytes: protobuf writes fields
// in number order, so the input (field 1) comes first, then the rest.
inline std::string TransactionRecordBytes(storage::TransactionRecord* rec,
                                          absl::string_view input_bytes) {
  v1::TransactionInput* input = rec->release_input();
  std::string rest = rec->SerializeAsString();
  rec->set_allocated_input(input);
  std::string out;
  out.reserve(input_bytes.size() + rest.size() + 6);
  out.push_back('\x0a');  // field 1, length-delimited
  for (uint64_t n = input_bytes.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  out.append(input_bytes.data(), input_bytes.size());
  out.append(rest);
  return out;
}

inline storage::WatchRecord WatchOf(const storage::TransactionRecord& rec) {
  storage::WatchRecord w;
  w.set_source(rec.input().source());
  w.set_external_id(rec.input().external_id());
  w.set_amount_pence(rec.input().amount_pence());
  w.set_mcc(rec.input().has_mcc() ? rec.input().mcc() : "");
  w.set_category(rec.effective_category());
  return w;
}

inline absl::Status WithField(absl::Status s, absl::string_view field) {
  s.SetPayload("dpmon.field", absl::Cord(field));
  return s;
}

// Adds the totals rows of one level of an account with bucket dates in
// [from, to_exclusive) to *sum, using `it`, an iterator over `totals`; with
// `rows`, also keeps each row (in date order). One range per period.
inline absl::Status SumRows(rocksdb::Iterator* it, const std::string& council_id,
                            const std::string& account_id, keys::Level level, Date from,
                            Date to_exclusive, domain::Totals* sum,
                            std::vector<std::pair<Date, domain::Totals>>* rows = nullptr) {
  storage::TotalsRecord record;
  if (!(from < to_exclusive)) return absl::OkStatus();
  const bool years = level == keys::Level::kYear;  // one period holds every year
  for (Date period = keys::TotalsPeriod(level, from); years || period < to_exclusive;) {
    const std::string prefix = keys::TotalsPrefix(council_id, account_id, level, period);
    const Date start = years ? from : std::max(from, period);
    for (it->Seek(keys::Totals(council_id, account_id, level, start));
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::optional<Date> d = keys::DecodeDate(View(it->key()).substr(prefix.size()));
      if (!d) return absl::DataLossError("unreadable totals key");
      if (!(*d < to_exclusive)) break;
      if (absl::Status s = ParseRecord(View(it->value()), &record, "totals"); !s.ok()) return s;
      domain::Totals row;
      if (absl::Status s = TotalsFromRecord(record, &row); !s.ok()) return s;
      if (absl::Status s = sum->Add(row); !s.ok()) return s;
      if (rows != nullptr) rows->emplace_back(*d, row);
    }
    if (absl::Status s = FromRocks(it->status(), "reading totals"); !s.ok()) return s;
    switch (level) {
      case keys::Level::kDay:
        period = AddMonths(period, 1);
        break;
      case keys::Level::kMonth:
        period = AddMonths(period, 12);
        break;
      default:
        return absl::OkStatus();  // one period
    }
  }
  return absl::OkStatus();
}

// Sums the totals rows of an account through `through` with `it`, an
// iterator over `totals`: whole years before its year, whole months of its
// year before its month, and the days of its month up to and including it.
inline absl::Status SumThroughWith(rocksdb::Iterator* it, const std::string& council_id,
                                   const std::string& account_id, Date through,
                                   domain::Totals* out) {
  domain::Totals sum;
  if (absl::Status s = SumRows(it, council_id, account_id, keys::Level::kYear,
                               Date::FromDays(INT32_MIN / 2), through.FirstOfYear(), &sum);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SumRows(it, council_id, account_id, keys::Level::kMonth,
                               through.FirstOfYear(), through.FirstOfMonth(), &sum);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SumRows(it, council_id, account_id, keys::Level::kDay,
                               through.FirstOfMonth(), through.AddDays(1), &sum);
      !s.ok()) {
    return s;
  }
  *out = sum;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// What the writer learns from reads that every later mutation may reuse:
// which account holds a reference, which accounts exist, each account's
// categorisation rules, by council. An entry is forgotten when its record is
// written (WriteContext::Put, Delete), everything when a mutation fails or a
// group is not written: only ever a shortcut to what the writer would read.
struct WriterCaches {
  template <typename V>
  using ByCouncil = absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, V>>;
  // council -> source -> reference -> account ("" = nobody)
  ByCouncil<absl::flat_hash_map<std::string, std::string>> ref_holders;
  ByCouncil<bool> accounts;                        // council -> account -> exists
  ByCouncil<domain::CategoryRules> account_rules;  // council -> account -> its rules
  size_t entries = 0;

  void Clear() {
    ref_holders.clear();
    accounts.clear();
    account_rules.clear();
    entries = 0;
  }
  // Keeps the caches bounded: a council's accounts and references are far
  // fewer than this.
  void Added() {
    if (++entries > kEntriesMax) Clear();
  }
  static constexpr size_t kEntriesMax = 2'000'000;

  // `key` of `cf` is being written.
  void Forget(int cf, absl::string_view key) {
    if (cf != kRefs && cf != kAccounts) return;
    std::vector<absl::string_view> parts = absl::StrSplit(key, '\0');
    if (cf == kRefs && parts.size() == 3) {  // council \0 source \0 ref
      auto council = ref_holders.find(parts[0]);
      if (council == ref_holders.end()) return;
      auto source = council->second.find(parts[1]);
      if (source != council->second.end()) source->second.erase(parts[2]);
    } else if (cf == kAccounts && parts.size() == 2) {  // council \0 account
      if (auto c = accounts.find(parts[0]); c != accounts.end()) c->second.erase(parts[1]);
      if (auto c = account_rules.find(parts[0]); c != account_rules.end()) {
        c->second.erase(parts[1]);
      }
    } else {
      Clear();  // not a key of the shape known here: forget everything
    }
  }
};

// ---------------------------------------------------------------------------
// Writer context: what a mutation sees while it runs on the writer thread.
class WriteContext {
 public:
  // The totals rows the writer holds: every row the group being built
  // changes, and rows earlier groups left, so that a hot row is read from
  // RocksDB once. Nodes, so that the undo and dirty lists can point at them.
  struct TotalsRow {
    domain::Totals totals;
    uint64_t group = 0;     // the last group that changed it
    uint64_t mutation = 0;  // the last mutation of that group that changed it
  };
  using TotalsRows = absl::node_hash_map<std::string, TotalsRow>;

  WriteContext(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
               GroupWrites* writes, const GroupWrites* committing, uint64_t* next_seq,
               std::unordered_set<std::string>* reversed, TotalsRows* rows, uint64_t group,
               WriterCaches* caches)
      : db_(db),
        cfs_(cfs),
        writes_(writes),
        committing_(committing),
        next_seq_(next_seq),
        reversed_(reversed),
        rows_(rows),
        group_(group),
        caches_(caches) {
    undo_rows_.reserve(1024);
  }

  WriterCaches& caches() { return *caches_; }

  // The totals row `key`, to change: as this group's mutations left it, as
  // earlier groups did, or as RocksDB holds it (zero: no row). What the
  // running mutation changes is taken back if it fails.
  absl::Status TotalsRowForUpdate(const std::string& key, domain::Totals** out) {
    auto it = rows_->find(key);
    if (it == rows_->end()) {
      TotalsRow row;
      storage::TotalsRecord record;
      bool found;
      if (absl::Status s = GetMessage(kTotals, key, &record, &found); !s.ok()) return s;
      if (found) {
        if (absl::Status s = TotalsFromRecord(record, &row.totals); !s.ok()) return s;
      }
      it = rows_->emplace(key, row).first;
    }
    TotalsRow& row = it->second;
    if (row.group != group_ || row.mutation != mutation_) {  // the mutation's first change
      row.mutation = mutation_;
      undo_rows_.emplace_back(&row, row.totals);
    }
    if (row.group != group_) {
      row.group = group_;
      dirty_rows_.push_back(&*it);
    }
    *out = &row.totals;
    return absl::OkStatus();
  }

  // Starts a mutation.
  void BeginMutation() {
    ++mutation_;
    writes_->Mark();
  }
  // The running mutation succeeded (true) and is kept, or failed (false)
  // and every write it made is taken back.
  void EndMutation(bool ok) {
    if (ok) {
      writes_->Keep();
    } else {
      writes_->Undo();
      for (auto it = undo_rows_.rbegin(); it != undo_rows_.rend(); ++it) {
        it->first->totals = it->second;
      }
      caches_->Clear();  // it may have read its own undone writes
    }
    undo_rows_.clear();
  }

  // Writes the totals rows the group changed, each once, after its last
  // mutation.
  void WriteTotalsRows() {
    storage::TotalsRecord record;
    for (const auto* kv : dirty_rows_) {
      const domain::Totals& totals = kv->second.totals;
      if (totals.IsZero()) {
        writes_->Delete(kTotals, kv->first);
        continue;
      }
      TotalsToRecord(totals, &record);
      writes_->Put(kTotals, kv->first, record.SerializeAsString());
    }
    dirty_rows_.clear();
  }

  absl::Status Get(Cf cf, const std::string& key, std::string* value, bool* found) {
    absl::string_view view;
    if (absl::Status s = Lookup(cf, key, value, &view, found); !s.ok() || !*found) return s;
    if (view.data() != value->data()) value->assign(view.data(), view.size());
    return absl::OkStatus();
  }

  template <typename Msg>
  absl::Status GetMessage(Cf cf, const std::string& key, Msg* msg, bool* found) {
    std::string buffer;
    absl::string_view view;
    if (absl::Status s = Lookup(cf, key, &buffer, &view, found); !s.ok() || !*found) return s;
    return ParseRecord(view, msg, kCfNames[cf]);
  }

  absl::Status Put(Cf cf, const std::string& key, std::string value) {
    if (cf == kTxns || cf == kStatements || cf == kAccounts) Touch(key);
    if (cf == kReversals && !key.empty() && key.back() == keys::kReversedMarkerEnd) {
      reversed_->insert(key);
    }
    caches_->Forget(cf, key);
    writes_->Put(cf, key, std::move(value));
    return absl::OkStatus();
  }
  absl::Status PutMessage(Cf cf, const std::string& key, const google::protobuf::MessageLite& msg) {
    return Put(cf, key, msg.SerializeAsString());
  }
  absl::Status Delete(Cf cf, const std::string& key) {
    caches_->Forget(cf, key);
    writes_->Delete(cf, key);
    return absl::OkStatus();
  }

  // Calls `fn(key, value)` for every key with `prefix`, seeing this group's
  // writes, without holding them all in memory; stops at the first error.
  absl::Status ForEachPrefix(
      Cf cf, const std::string& prefix,
      const std::function<absl::Status(absl::string_view, absl::string_view)>& fn) {
    // This group's writes over the committing group's, copied: `fn` may write.
    std::vector<std::pair<std::string, GroupWrites::Value>> mine = writes_->Prefix(cf, prefix);
    if (committing_ != nullptr) {
      std::vector<std::pair<std::string, GroupWrites::Value>> theirs =
          committing_->Prefix(cf, prefix);
      if (!theirs.empty()) {
        std::vector<std::pair<std::string, GroupWrites::Value>> merged;
        merged.reserve(mine.size() + theirs.size());
        size_t i = 0, j = 0;
        while (i < mine.size() || j < theirs.size()) {
          if (j == theirs.size() || (i < mine.size() && mine[i].first <= theirs[j].first)) {
            if (j < theirs.size() && mine[i].first == theirs[j].first) ++j;
            merged.push_back(std::move(mine[i++]));
          } else {
            merged.push_back(std::move(theirs[j++]));
          }
        }
        mine = std::move(merged);
      }
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cfs_[cf]));
    it->Seek(prefix);
    size_t i = 0;
    for (;;) {
      const bool db_valid = it->Valid() && it->key().starts_with(prefix);
      if (!db_valid && i == mine.size()) break;
      int order;  // < 0: the stored key comes first; > 0: the group's; 0: the same key
      if (!db_valid) {
        order = 1;
      } else if (i == mine.size()) {
        order = -1;
      } else {
        order = View(it->key()).compare(mine[i].first);
      }
      if (order < 0) {
        if (absl::Status s = fn(View(it->key()), View(it->value())); !s.ok()) return s;
        it->Next();
        continue;
      }
      if (order == 0) it->Next();
      const auto& [k, v] = mine[i++];
      if (v.deleted) continue;
      if (absl::Status s = fn(k, v.bytes); !s.ok()) return s;
    }
    return FromRocks(it->status(), "scan");
  }

  // Every key with `prefix`, seeing this group's writes, as (key, value).
  absl::Status ScanPrefix(Cf cf, const std::string& prefix,
                          std::vector<std::pair<std::string, std::string>>* out) {
    return ForEachPrefix(cf, prefix, [out](absl::string_view k, absl::string_view v) {
      out->emplace_back(std::string(k), std::string(v));
      return absl::OkStatus();
    });
  }

  uint64_t NextSequence() { return (*next_seq_)++; }

  // False if no reversal names the original whose ReversedMarker key this
  // is. (A rolled-back mutation may leave a spare entry: true only means
  // "look".)
  bool MaybeReversed(const std::string& marker_key) const {
    return reversed_->count(marker_key) > 0;
  }

  // Accounts (council \0 account) whose ledger or record this group wrote.
  // Rolled-back writes may be included: a spare re-evaluation is harmless.
  const absl::flat_hash_set<std::string>& touched() const { return touched_; }

 private:
  // Finds `key`: *view is the group's value (valid until its next write) or
  // RocksDB's, read into *buffer.
  absl::Status Lookup(Cf cf, const std::string& key, std::string* buffer, absl::string_view* view,
                      bool* found) {
    const GroupWrites::Value* v = writes_->Find(cf, key);
    if (v == nullptr && committing_ != nullptr) v = committing_->Find(cf, key);
    if (v != nullptr) {
      *found = !v->deleted;
      *view = v->bytes;
      return absl::OkStatus();
    }
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[cf], key, buffer);
    if (s.IsNotFound()) {
      *found = false;
      return absl::OkStatus();
    }
    *found = s.ok();
    *view = *buffer;
    return FromRocks(s, "read");
  }

  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs_;
  // `key` starts with council \0 account.
  void Touch(const std::string& key) {
    size_t first = key.find('\0');
    if (first == std::string::npos) return;
    size_t second = key.find('\0', first + 1);
    if (second == std::string::npos) second = key.size();
    // Consecutive writes are mostly for one account: skip the set then.
    if (last_touched_.size() == second && key.compare(0, second, last_touched_) == 0) return;
    last_touched_.assign(key, 0, second);
    touched_.insert(last_touched_);
  }

  GroupWrites* writes_;
  const GroupWrites* committing_;  // the group before, while it is written; or null
  uint64_t* next_seq_;
  std::unordered_set<std::string>* reversed_;
  TotalsRows* rows_;
  const uint64_t group_;
  WriterCaches* caches_;
  uint64_t mutation_ = 0;
  std::vector<std::pair<TotalsRow*, domain::Totals>> undo_rows_;
  std::vector<const TotalsRows::value_type*> dirty_rows_;
  absl::flat_hash_set<std::string> touched_;
  std::string last_touched_;
};

// Adds transactions to an account's totals rows (day, month and year) for
// one mutation of the writer.
class TotalsCache {
 public:
  TotalsCache(WriteContext* ctx, std::string council) : ctx_(ctx), council_(std::move(council)) {}

  absl::Status AddTransaction(const std::string& account, Date date, int slot, int64_t amount_pence,
                              int64_t count_delta) {
    const std::pair<keys::Level, Date> buckets[3] = {{keys::Level::kYear, date.FirstOfYear()},
                                                     {keys::Level::kMonth, date.FirstOfMonth()},
                                                     {keys::Level::kDay, date}};
    for (const auto& [level, bucket] : buckets) {
      domain::Totals* t;
      keys::TotalsInto(&key_, council_, account, level, bucket);
      if (absl::Status s = ctx_->TotalsRowForUpdate(key_, &t); !s.ok()) return s;
      if (absl::Status s = t->AddTransaction(slot, amount_pence, count_delta); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Moves a transaction of `amount_pence` on `date` from one slot to another.
  absl::Status Move(const std::string& account, Date date, int from_slot, int to_slot,
                    int64_t amount_pence) {
    if (absl::Status s = AddTransaction(account, date, from_slot, -amount_pence, -1); !s.ok()) {
      return s;
    }
    return AddTransaction(account, date, to_slot, amount_pence, 1);
  }

 private:
  WriteContext* ctx_;
  std::string council_;
  std::string key_;
};

// The part of a key that names its account, for the memtable's insert
// hints: council \0 account \0, or for totals council \0 level period
// account \0 (docs/storage.md).
class AccountHintPrefix : public rocksdb::SliceTransform {
 public:
  explicit AccountHintPrefix(bool totals) : totals_(totals) {}
  const char* Name() const override {
    return totals_ ? "dpmon.TotalsAccountPrefix" : "dpmon.AccountPrefix";
  }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), Length(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return Length(key) > 0; }

 private:
  // 0 if the key has no such prefix.
  size_t Length(const rocksdb::Slice& key) const {
    const char* begin = key.data();
    const char* end = begin + key.size();
    const char* council_end = static_cast<const char*>(memchr(begin, 0, key.size()));
    if (council_end == nullptr) return 0;
    const char* account = council_end + 1 + (totals_ ? 5 : 0);  // level and period
    if (account >= end) return 0;
    const char* account_end = static_cast<const char*>(memchr(account, 0, end - account));
    return account_end == nullptr ? 0 : static_cast<size_t>(account_end + 1 - begin);
  }
  bool totals_;
};

inline std::shared_ptr<const rocksdb::SliceTransform> AccountHint(bool totals) {
  return std::make_shared<AccountHintPrefix>(totals);
}

// ---------------------------------------------------------------------------
class Store::Impl {
 public:
  using Apply = std::function<absl::Status(WriteContext&)>;
  using Done = std::function<void(absl::Status)>;

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();  // writes every queued mutation
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      committer_stopping_ = true;
    }
    commit_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
    if (db_ != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : cfs_) {
        if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
      }
      db_->Close();
    }
  }

  absl::Status Open(const StoreOptions& options) {
    options_ = options;
    rocksdb::Options db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    db_options.max_background_jobs = 2;
    db_options.bytes_per_sync = 1 << 20;

    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Index and filter blocks stay with their table readers, not in the
    // block cache: a large store's multi-megabyte filters were evicted by
    // data blocks and re-read (and checksummed) on every point read that
    // misses, e.g. each new day's totals row (measured while generating a
    // 100,000-account council). About 10 bits a key of memory.
    table.cache_index_and_filter_blocks = false;
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // A bloom filter over each memtable's whole keys: the writer's reads of
    // keys that do not exist yet (a new transaction id, a new day's totals
    // row) skip the skiplist search.
    cf_options.memtable_prefix_bloom_size_ratio = 0.05;
    cf_options.memtable_whole_key_filtering = true;

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (int i = 0; i < kCfCount; ++i) {
      rocksdb::ColumnFamilyOptions o = cf_options;
      // An account's new rows (its latest transactions, day rows, marks) go
      // next to the ones written before them: the memtable keeps where it
      // last inserted for each account and starts there.
      if (i == kTxns || i == kMarks || i == kStatements || i == kFlags) {
        o.memtable_insert_with_hint_prefix_extractor = AccountHint(false);
      } else if (i == kTotals) {
        o.memtable_insert_with_hint_prefix_extractor = AccountHint(true);
      }
      descriptors.emplace_back(kCfNames[i], o);
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status s =
        rocksdb::DB::Open(rocksdb::DBOptions(db_options), options.path, descriptors, &cfs_, &db);
    if (!s.ok()) return FromRocks(s, absl::StrCat("opening ", options.path));
    db_.reset(db);

    std::string value;
    s = db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], kMetaSchema, &value);
    if (s.IsNotFound()) {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      s = db_->Put(wo, cfs_[kMeta], kMetaSchema, absl::StrCat(kSchemaVersion));
      if (!s.ok()) return FromRocks(s, "writing schema version");
    } else if (!s.ok()) {
      return FromRocks(s, "reading schema version");
    } else if (value != absl::StrCat(kSchemaVersion)) {
      return absl::FailedPreconditionError(
          absl::StrFormat("data directory %s has schema version %s; this dpmon reads version %d",
                          options.path, value, kSchemaVersion));
    }
    s = db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], kMetaNextSeq, &value);
    if (s.ok()) {
      std::optional<uint64_t> seq = keys::DecodeU64(value);
      if (!seq) return absl::DataLossError("unreadable next_sequence");
      next_seq_ = *seq;
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "reading next_sequence");
    }
    {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), cfs_[kReversals]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key();
        if (k.size() > 0 && k[k.size() - 1] == keys::kReversedMarkerEnd)
          reversed_.insert(k.ToString());
      }
      if (!it->status().ok()) return FromRocks(it->status(), "loading reversal markers");
    }
    committer_ = std::thread([this] { CommitterLoop(); });
    writer_ = std::thread([this] { WriterLoop(); });
    return absl::OkStatus();
  }

  // Queues a mutation; `done` runs on the writer thread once the group that
  // holds it is durable (or failed).
  void Submit(Apply apply, Done done, int weight) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        done(absl::UnavailableError("the store is shutting down"));
        return;
      }
      if (static_cast<int>(queue_.size()) >= limits::kWriteQueueRequestsMax) {
        done(absl::UnavailableError("too many writes queued; retry with backoff"));
        return;
      }
      queue_.push_back({std::move(apply), std::move(done), weight});
    }
    cv_.notify_one();
  }

  absl::Status RunSync(Apply apply) {
    absl::Notification n;
    absl::Status result;
    Submit(
        std::move(apply),
        [&](absl::Status s) {
          result = std::move(s);
          n.Notify();
        },
        1);
    n.WaitForNotification();
    return result;
  }

  // Runs `body` once per request_id: a repeat returns the recorded response.
  template <typename Resp>
  absl::StatusOr<Resp> RunIdempotent(const RequestKey& key,
                                     std::function<absl::Status(WriteContext&, Resp*)> body) {
    Resp response;
    absl::Status s =
        RunSync([&](WriteContext& ctx) { return ApplyIdempotent(ctx, key, body, &response); });
    if (!s.ok()) return s;
    return response;
  }

  template <typename Resp>
  static absl::Status ApplyIdempotent(WriteContext& ctx, const RequestKey& key,
                                      const std::function<absl::Status(WriteContext&, Resp*)>& body,
                                      Resp* response) {
    std::string request_key;
    if (!key.request_id.empty()) {
      request_key = keys::Request(key.method, key.request_id);
      storage::RequestRecord record;
      bool found;
      if (absl::Status s = ctx.GetMessage(kRequests, request_key, &record, &found); !s.ok()) {
        return s;
      }
      if (found) {
        if (record.request_fingerprint() != key.request_fingerprint) {
          return WithField(absl::InvalidArgumentError(absl::StrFormat(
                               "request_id \"%s\" was already used for a different %s request",
                               key.request_id, key.method)),
                           "request_id");
        }
        return ParseRecord(record.response(), response, "request");
      }
    }
    if (absl::Status s = body(ctx, response); !s.ok()) return s;
    if (!request_key.empty()) {
      storage::RequestRecord record;
      record.set_request_fingerprint(key.request_fingerprint);
      record.set_response(response->SerializeAsString());
      return ctx.PutMessage(kRequests, request_key, record);
    }
    return absl::OkStatus();
  }

  rocksdb::DB* db() { return db_.get(); }
  bool sync() const { return options_.sync; }
  // The next access log sequence number (auth_store.cc).
  std::atomic<uint64_t> access_seq{1};
  rocksdb::ColumnFamilyHandle* cf(Cf c) { return cfs_[c]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs() const { return cfs_; }

 private:
  struct Pending {
    Apply apply;
    Done done;
    int weight;
  };

  // A group built by the writer thread, written by the committer thread.
  struct Built {
    std::vector<Pending> group;
    std::vector<absl::Status> results;
    std::unique_ptr<GroupWrites> writes;
    absl::flat_hash_set<std::string> touched;
    uint64_t seq_before = 0;
  };

  // The writer thread builds group N+1 while the committer thread writes
  // group N: N+1's mutations read N's writes from N's GroupWrites until
  // they are in RocksDB. N+1 is handed over only once N is durable; if N
  // failed, N+1 (built on it) fails too.
  void WriterLoop() {
    pthread_setname_np(pthread_self(), "dpmon-writer");
    std::unique_ptr<Built> committing;
    for (;;) {
      std::vector<Pending> group;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping, and everything is built
        int weight = 0;
        while (!queue_.empty() &&
               (group.empty() || weight + queue_.front().weight <= limits::kGroupCommitItemsMax)) {
          weight += queue_.front().weight;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::unique_ptr<Built> built =
          Build(std::move(group), committing != nullptr ? committing->writes.get() : nullptr);
      if (options_.after_build_for_test) options_.after_build_for_test();
      absl::Status before = AwaitCommitter();
      if (!before.ok()) {
        committing.reset();
        // Built on writes that never reached the disk: start again from
        // what RocksDB holds.
        next_seq_ = failed_seq_before_;
        totals_rows_.clear();
        caches_.Clear();
        for (Pending& p : built->group) {
          p.done(absl::UnavailableError(
              absl::StrCat("not written: an earlier write failed: ", before.message())));
        }
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(commit_mu_);
        to_commit_ = built.get();
        // The committer frees the group before once it has written this
        // one: freeing a large group is not the writer's work.
        to_free_ = std::move(committing);
      }
      committing = std::move(built);
      commit_cv_.notify_all();
    }
    // The last group's callbacks have its outcome.
    AwaitCommitter().IgnoreError();
  }

  // Waits until the committer has written what it was given; returns how
  // that went (and forgets it).
  absl::Status AwaitCommitter() {
    std::unique_lock<std::mutex> lock(commit_mu_);
    commit_cv_.wait(lock, [this] { return to_commit_ == nullptr; });
    absl::Status s = std::move(commit_status_);
    commit_status_ = absl::OkStatus();
    return s;
  }

  std::unique_ptr<Built> Build(std::vector<Pending> group, const GroupWrites* committing) {
    auto built = std::make_unique<Built>();
    built->group = std::move(group);
    built->seq_before = next_seq_;
    built->writes = std::make_unique<GroupWrites>(kCfCount, ScannedFamilies());
    WriteContext ctx(db_.get(), cfs_, built->writes.get(), committing, &next_seq_, &reversed_,
                     &totals_rows_, ++groups_built_, &caches_);
    built->results.reserve(built->group.size());
    for (Pending& p : built->group) {
      ctx.BeginMutation();
      absl::Status s = p.apply(ctx);
      ctx.EndMutation(s.ok());
      built->results.push_back(std::move(s));
    }
    ctx.WriteTotalsRows();
    if (next_seq_ != built->seq_before) {
      std::string v;
      keys::AppendU64(&v, next_seq_);
      built->writes->Put(kMeta, kMetaNextSeq, v);
    }
    // The rows are only ever a shortcut to what RocksDB holds or the group
    // being written will hold. When there are too many, keep the ones this
    // group changed (the next one is likely to change its month and year
    // rows again) and forget the rest.
    if (totals_rows_.size() > kTotalsRowsCachedMax) {
      const uint64_t group = groups_built_;
      for (auto it = totals_rows_.begin(); it != totals_rows_.end();) {
        if (it->second.group != group) {
          totals_rows_.erase(it++);
        } else {
          ++it;
        }
      }
      if (totals_rows_.size() > kTotalsRowsCachedMax / 2) totals_rows_.clear();
    }
    built->touched = ctx.touched();
    return built;
  }

  // Prefix scans of these families are frequent while writing (reversals
  // of an original, suspense items of a reference, an account's flags).
  static const std::vector<bool>& ScannedFamilies() {
    static const std::vector<bool> scanned = [] {
      std::vector<bool> v(kCfCount, false);
      v[kReversals] = v[kSuspense] = v[kFlags] = true;
      return v;
    }();
    return scanned;
  }

  void CommitterLoop() {
    pthread_setname_np(pthread_self(), "dpmon-commit");
    for (;;) {
      Built* built;
      {
        std::unique_lock<std::mutex> lock(commit_mu_);
        commit_cv_.wait(lock, [this] { return committer_stopping_ || to_commit_ != nullptr; });
        if (to_commit_ == nullptr) return;
        built = to_commit_;
      }
      absl::Status status = Commit(built);
      std::unique_ptr<Built> to_free;
      {
        std::lock_guard<std::mutex> lock(commit_mu_);
        to_free = std::move(to_free_);
      }
      to_free.reset();
      {
        std::lock_guard<std::mutex> lock(commit_mu_);
        to_commit_ = nullptr;
        commit_status_ = status;
        if (!status.ok()) failed_seq_before_ = built->seq_before;
      }
      commit_cv_.notify_all();
    }
  }

  absl::Status Commit(Built* built) {
    absl::Status write_status;
    if (options_.before_write_for_test) write_status = options_.before_write_for_test();
    if (write_status.ok() && !built->writes->empty()) {
      rocksdb::WriteBatch batch;
      write_status = FromRocks(built->writes->Fill(cfs_, &batch), "batch");
      if (write_status.ok()) {
        rocksdb::WriteOptions wo;
        wo.sync = options_.sync;  // The WAL is synced before anyone is answered.
        write_status = FromRocks(db_->Write(wo, &batch), "write");
      }
    }
    for (size_t i = 0; i < built->group.size(); ++i) {
      built->group[i].done(write_status.ok() ? std::move(built->results[i]) : write_status);
    }
    built->group.clear();  // the requests' items, freed here rather than by the writer
    if (write_status.ok() && options_.on_accounts_changed && !built->touched.empty()) {
      std::map<std::string, std::vector<std::string>> by_council;
      for (const std::string& k : built->touched) {
        size_t sep = k.find('\0');
        by_council[k.substr(0, sep)].push_back(k.substr(sep + 1));
      }
      for (auto& [council, accounts] : by_council) {
        std::sort(accounts.begin(), accounts.end());
        options_.on_accounts_changed(council, accounts);
      }
    }
    return write_status;
  }

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  uint64_t next_seq_ = 1;  // Only the writer thread touches it after Open.
  // Every ReversedMarker key in `reversals`: loaded at Open, then kept by the
  // writer thread alone.
  std::unordered_set<std::string> reversed_;
  // domain::Totals rows as the groups built so far left them, for the writer's
  // reads (at most about kTotalsRowsCachedMax; writer thread only).
  static constexpr size_t kTotalsRowsCachedMax = 200'000;
  WriteContext::TotalsRows totals_rows_;
  uint64_t groups_built_ = 0;
  WriterCaches caches_;  // writer thread only
  std::thread writer_;
  std::thread committer_;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  Built* to_commit_ = nullptr;       // GUARDED_BY(commit_mu_)
  std::unique_ptr<Built> to_free_;   // GUARDED_BY(commit_mu_)
  absl::Status commit_status_;       // GUARDED_BY(commit_mu_)
  uint64_t failed_seq_before_ = 0;   // GUARDED_BY(commit_mu_)
  bool committer_stopping_ = false;  // GUARDED_BY(commit_mu_)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;      // GUARDED_BY(mu_)
};

// Sets impl->access_seq past the last stored access log entry (auth_store.cc).
absl::Status InitAccessSequence(Store::Impl* impl);

}  // namespace dpmon

#endif  // DPMON_STORAGE_STORE_INTERNAL_H_
