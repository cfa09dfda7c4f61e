// Internals of Store shared by its implementation files (store.cc for the
// ledger, flag_store.cc for monitoring). Not for use outside storage/.
#ifndef DPMON_STORAGE_STORE_INTERNAL_H_
#define DPMON_STORAGE_STORE_INTERNAL_H_

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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/fingerprint.h"
#include "common/limits.h"
#include "dpmon/v1/storage.pb.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "storage/keys.h"
#include "storage/store.h"

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

// Whether rules 8 and 9 watch a transaction placed in an account: a debit,
// not a reversal, with an MCC in the restricted or evidence list or counting
// as CASH_WITHDRAWAL.
inline bool IsWatched(const v1::Policy& policy, const storage::TransactionRecord& rec) {
  const v1::TransactionInput& in = rec.input();
  if (in.has_reverses() || rec.direction() != v1::DEBIT) return false;
  if (rec.effective_category() == v1::CASH_WITHDRAWAL) return true;
  if (!in.has_mcc()) return false;
  for (const std::string& m : policy.restricted_mccs()) {
    if (m == in.mcc()) return true;
  }
  for (const std::string& m : policy.evidence_mccs()) {
    if (m == in.mcc()) return true;
  }
  return false;
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
                            Date to_exclusive, Totals* sum,
                            std::vector<std::pair<Date, Totals>>* rows = nullptr) {
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
      Totals row;
      if (absl::Status s = Totals::FromRecord(record, &row); !s.ok()) return s;
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
                                   const std::string& account_id, Date through, Totals* out) {
  Totals sum;
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
// Writer context: what a mutation sees while it runs on the writer thread.
class WriteContext {
 public:
  // Open addressing: the writer looks rows up for every transaction.
  using TotalsRows = absl::flat_hash_map<std::string, Totals>;

  WriteContext(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
               rocksdb::WriteBatchWithIndex* batch, uint64_t* next_seq,
               std::unordered_set<std::string>* reversed, const TotalsRows* durable_rows)
      : db_(db),
        cfs_(cfs),
        batch_(batch),
        next_seq_(next_seq),
        reversed_(reversed),
        durable_rows_(durable_rows) {}

  // Totals rows as written by the mutations of this group that succeeded,
  // by the one running (staged), and as known to be on disk: the writer
  // reads a hot row without going to RocksDB.
  const Totals* FindTotalsRow(const std::string& key) const {
    if (auto it = staged_rows_.find(key); it != staged_rows_.end()) return &it->second;
    if (auto it = group_rows_.find(key); it != group_rows_.end()) return &it->second;
    if (auto it = durable_rows_->find(key); it != durable_rows_->end()) return &it->second;
    return nullptr;
  }
  void StageTotalsRow(const std::string& key, const Totals& row) { staged_rows_[key] = row; }
  // The running mutation succeeded (true) or was rolled back (false).
  void EndMutation(bool ok) {
    if (ok) {
      for (auto& [k, v] : staged_rows_) group_rows_[k] = v;
    }
    staged_rows_.clear();
  }
  TotalsRows& group_rows() { return group_rows_; }

  absl::Status Get(Cf cf, const std::string& key, std::string* value, bool* found) {
    rocksdb::Status s =
        batch_->GetFromBatchAndDB(db_, rocksdb::ReadOptions(), cfs_[cf], key, value);
    if (s.IsNotFound()) {
      *found = false;
      return absl::OkStatus();
    }
    *found = s.ok();
    return FromRocks(s, "read");
  }

  template <typename Msg>
  absl::Status GetMessage(Cf cf, const std::string& key, Msg* msg, bool* found) {
    std::string value;
    if (absl::Status s = Get(cf, key, &value, found); !s.ok() || !*found) return s;
    return ParseRecord(value, msg, kCfNames[cf]);
  }

  absl::Status Put(Cf cf, const std::string& key, absl::string_view value) {
    if (cf == kTxns || cf == kStatements || cf == kAccounts) Touch(key);
    if (cf == kReversals && !key.empty() && key.back() == keys::kReversedMarkerEnd) {
      reversed_->insert(key);
    }
    return FromRocks(batch_->Put(cfs_[cf], key, rocksdb::Slice(value.data(), value.size())),
                     "batch put");
  }
  absl::Status PutMessage(Cf cf, const std::string& key, const google::protobuf::MessageLite& msg) {
    return Put(cf, key, msg.SerializeAsString());
  }
  absl::Status Delete(Cf cf, const std::string& key) {
    return FromRocks(batch_->Delete(cfs_[cf], key), "batch delete");
  }

  // Calls `fn(key, value)` for every key with `prefix`, seeing this group's
  // writes, without holding them all in memory; stops at the first error.
  absl::Status ForEachPrefix(
      Cf cf, const std::string& prefix,
      const std::function<absl::Status(absl::string_view, absl::string_view)>& fn) {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> base(db_->NewIterator(ro, cfs_[cf]));
    std::unique_ptr<rocksdb::Iterator> it(batch_->NewIteratorWithBase(cfs_[cf], base.release()));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      if (!k.starts_with(prefix)) break;
      if (absl::Status s = fn(View(k), View(it->value())); !s.ok()) return s;
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
  const std::set<std::string>& touched() const { return touched_; }

 private:
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

  rocksdb::WriteBatchWithIndex* batch_;
  uint64_t* next_seq_;
  std::unordered_set<std::string>* reversed_;
  const TotalsRows* durable_rows_;
  TotalsRows group_rows_;
  TotalsRows staged_rows_;
  std::set<std::string> touched_;
  std::string last_touched_;
};

// Per-mutation cache of totals rows: read once, changed in memory, written
// once at the end of the mutation.
class TotalsCache {
 public:
  TotalsCache(WriteContext* ctx, std::string council) : ctx_(ctx), council_(std::move(council)) {}

  absl::Status AddTransaction(const std::string& account, Date date, int slot, int64_t amount_pence,
                              int64_t count_delta) {
    const std::pair<keys::Level, Date> buckets[3] = {{keys::Level::kYear, date.FirstOfYear()},
                                                     {keys::Level::kMonth, date.FirstOfMonth()},
                                                     {keys::Level::kDay, date}};
    for (const auto& [level, bucket] : buckets) {
      Totals* t;
      if (absl::Status s = Load(keys::Totals(council_, account, level, bucket), &t); !s.ok()) {
        return s;
      }
      if (absl::Status s = t->AddTransaction(slot, amount_pence, count_delta); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Flush() {
    storage::TotalsRecord record;
    for (const auto& [key, totals] : rows_) {
      if (totals.IsZero()) {
        if (absl::Status s = ctx_->Delete(kTotals, key); !s.ok()) return s;
        continue;
      }
      totals.ToRecord(&record);
      if (absl::Status s = ctx_->PutMessage(kTotals, key, record); !s.ok()) return s;
    }
    for (auto& [key, totals] : rows_) ctx_->StageTotalsRow(key, totals);
    rows_.clear();
    return absl::OkStatus();
  }

 private:
  absl::Status Load(const std::string& key, Totals** out) {
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      Totals t;
      if (const Totals* known = ctx_->FindTotalsRow(key)) {
        t = *known;  // zero: no row
      } else {
        storage::TotalsRecord record;
        bool found;
        if (absl::Status s = ctx_->GetMessage(kTotals, key, &record, &found); !s.ok()) return s;
        if (found) {
          if (absl::Status s = Totals::FromRecord(record, &t); !s.ok()) return s;
        }
      }
      it = rows_.emplace(key, t).first;
    }
    *out = &it->second;
    return absl::OkStatus();
  }

  WriteContext* ctx_;
  std::string council_;
  absl::flat_hash_map<std::string, Totals> rows_;
};

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
    if (writer_.joinable()) writer_.join();
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
    for (int i = 0; i < kCfCount; ++i) descriptors.emplace_back(kCfNames[i], cf_options);
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

  void WriterLoop() {
    for (;;) {
      std::vector<Pending> group;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything is written
        int weight = 0;
        while (!queue_.empty() &&
               (group.empty() || weight + queue_.front().weight <= limits::kGroupCommitItemsMax)) {
          weight += queue_.front().weight;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      WriteGroup(&group);
    }
  }

  void WriteGroup(std::vector<Pending>* group) {
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    uint64_t seq_before = next_seq_;
    WriteContext ctx(db_.get(), cfs_, &batch, &next_seq_, &reversed_, &durable_rows_);
    std::vector<absl::Status> results;
    results.reserve(group->size());
    for (Pending& p : *group) {
      batch.SetSavePoint();
      absl::Status s = p.apply(ctx);
      if (s.ok()) {
        batch.PopSavePoint();
      } else {
        batch.RollbackToSavePoint();
      }
      ctx.EndMutation(s.ok());
      results.push_back(std::move(s));
    }
    absl::Status write_status;
    if (batch.GetWriteBatch()->Count() > 0) {
      if (next_seq_ != seq_before) {
        std::string v;
        keys::AppendU64(&v, next_seq_);
        batch.Put(cfs_[kMeta], kMetaNextSeq, v);
      }
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync;  // The WAL is synced before anyone is answered.
      write_status = FromRocks(db_->Write(wo, batch.GetWriteBatch()), "write");
      if (!write_status.ok()) next_seq_ = seq_before;
    }
    // Keep the hot totals rows; forget them all if the write failed or the
    // cache is full (it is only ever a shortcut to what RocksDB holds).
    if (!write_status.ok() || durable_rows_.size() > kTotalsRowsCachedMax) durable_rows_.clear();
    if (write_status.ok()) {
      for (auto& [k, v] : ctx.group_rows()) durable_rows_[k] = std::move(v);
    }
    for (size_t i = 0; i < group->size(); ++i) {
      (*group)[i].done(write_status.ok() ? std::move(results[i]) : write_status);
    }
    if (write_status.ok() && options_.on_accounts_changed && !ctx.touched().empty()) {
      std::map<std::string, std::vector<std::string>> by_council;
      for (const std::string& k : ctx.touched()) {
        size_t sep = k.find('\0');
        by_council[k.substr(0, sep)].push_back(k.substr(sep + 1));
      }
      for (const auto& [council, accounts] : by_council) {
        options_.on_accounts_changed(council, accounts);
      }
    }
  }

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  uint64_t next_seq_ = 1;  // Only the writer thread touches it after Open.
  // Every ReversedMarker key in `reversals`: loaded at Open, then kept by the
  // writer thread alone.
  std::unordered_set<std::string> reversed_;
  // Totals rows as on disk, for the writer's reads (at most about
  // kTotalsRowsCachedMax; writer thread only).
  static constexpr size_t kTotalsRowsCachedMax = 200'000;
  WriteContext::TotalsRows durable_rows_;
  std::thread writer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;      // GUARDED_BY(mu_)
};

// Sets impl->access_seq past the last stored access log entry (auth_store.cc).
absl::Status InitAccessSequence(Store::Impl* impl);

}  // namespace dpmon

#endif  // DPMON_STORAGE_STORE_INTERNAL_H_
