// What a mutation sees while it runs on the writer thread (WriteContext):
// reads that see the group's own writes and the group's being committed,
// writes into the group, the totals rows the writer holds, and the caches
// that every later mutation may reuse. Not for use outside storage/.
#ifndef DPMON_STORAGE_WRITE_CONTEXT_H_
#define DPMON_STORAGE_WRITE_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "domain/categorise.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "dpmon/v1/storage.pb.h"
#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/group_writes.h"
#include "storage/keys.h"
#include "storage/totals_record.h"

namespace dpmon {

// Every ReversedMarker key in `reversals` (and, after a rolled-back
// mutation, perhaps a spare one): loaded at Open, added to by the writer
// thread, read by it and by the evaluation's FactsReaders. It only grows,
// so a key it does not hold is in no snapshot either: a watched debit whose
// marker it lacks was never reversed, with no read of `reversals`.
class ReversedMarkers {
 public:
  void Insert(std::string key) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    keys_.insert(std::move(key));
  }
  // False: no reversal names the original. True only means "look".
  bool MaybeContains(absl::string_view key) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return keys_.contains(key);
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> keys_ ABSL_GUARDED_BY(mu_);
};

// When each account's ledger, statements or record was last written: a
// clock that moves on with every durable write that changes an account,
// and for each account (council \0 account) the clock of the last write
// that changed it (only those written since the store was opened). Told by
// the committer after each write, before anyone is answered; read by the
// evaluator (Store::WriteClock).
class AccountWriteClock {
 public:
  void Written(const absl::flat_hash_set<std::string>& accounts) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    ++now_;
    for (const std::string& a : accounts) written_[a] = now_;
  }
  uint64_t Now() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    return now_;
  }
  // 0: not written since the store was opened.
  uint64_t LastWritten(absl::string_view account_key) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    auto it = written_.find(account_key);
    return it == written_.end() ? 0 : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t now_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, uint64_t> written_ ABSL_GUARDED_BY(mu_);
};

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
  // council -> its policy as the domain reads it (read and converted once,
  // not once per request). Nodes: a pointer to one stays valid while others
  // are added.
  absl::node_hash_map<std::string, domain::Policy> policies;
  size_t entries = 0;

  void Clear() {
    ref_holders.clear();
    accounts.clear();
    account_rules.clear();
    policies.clear();
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
    if (cf == kCouncils) {  // the key is the council id
      policies.erase(key);
      return;
    }
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
               ReversedMarkers* reversed, TotalsRows* rows, uint64_t group, WriterCaches* caches)
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
    if (cf == kTxns || cf == kStatements || cf == kAccounts) Touch(key, &last_touched_, &touched_);
    if (cf == kFlags) Touch(key, &last_flags_touched_, &flags_touched_);
    if (cf == kCouncils) councils_touched_.insert(key);
    if (cf == kReversals && !key.empty() && key.back() == keys::kReversedMarkerEnd) {
      reversed_->Insert(key);
    }
    caches_->Forget(cf, key);
    writes_->Put(cf, key, std::move(value));
    return absl::OkStatus();
  }
  absl::Status PutMessage(Cf cf, const std::string& key, const google::protobuf::MessageLite& msg) {
    return Put(cf, key, msg.SerializeAsString());
  }
  absl::Status Delete(Cf cf, const std::string& key) {
    // As Put: a record taken out of an account changes it too.
    if (cf == kTxns || cf == kStatements || cf == kAccounts) Touch(key, &last_touched_, &touched_);
    if (cf == kFlags) Touch(key, &last_flags_touched_, &flags_touched_);
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
    // One iterator a family for the whole group, taken while in use (so
    // that a scan from within `fn` makes its own): the committed state it
    // sees is the same throughout, as `committing_` is the same throughout
    // and overrides it.
    std::unique_ptr<rocksdb::Iterator> it = std::move(scan_iterators_[cf]);
    if (it == nullptr) it.reset(db_->NewIterator(rocksdb::ReadOptions(), cfs_[cf]));
    struct GiveBack {
      std::unique_ptr<rocksdb::Iterator>* it;
      std::unique_ptr<rocksdb::Iterator>* slot;
      ~GiveBack() {
        if ((*it)->status().ok()) *slot = std::move(*it);
      }
    } give_back{&it, &scan_iterators_[cf]};
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
    return reversed_->MaybeContains(marker_key);
  }

  // Accounts (council \0 account) whose ledger or record this group wrote.
  // Rolled-back writes may be included: a spare re-evaluation is harmless.
  const absl::flat_hash_set<std::string>& touched() const { return touched_; }
  // Accounts (council \0 account) whose stored flags this group wrote.
  const absl::flat_hash_set<std::string>& flags_touched() const { return flags_touched_; }
  // Councils whose record this group wrote.
  const absl::flat_hash_set<std::string>& councils_touched() const { return councils_touched_; }

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
  std::unique_ptr<rocksdb::Iterator> scan_iterators_[kCfCount];  // ForEachPrefix's, when idle
  // `key` starts with council \0 account.
  static void Touch(const std::string& key, std::string* last,
                    absl::flat_hash_set<std::string>* set) {
    size_t first = key.find('\0');
    if (first == std::string::npos) return;
    size_t second = key.find('\0', first + 1);
    if (second == std::string::npos) second = key.size();
    // Consecutive writes are mostly for one account: skip the set then.
    if (last->size() == second && key.compare(0, second, *last) == 0) return;
    last->assign(key, 0, second);
    set->insert(*last);
  }

  GroupWrites* writes_;
  const GroupWrites* committing_;  // the group before, while it is written; or null
  uint64_t* next_seq_;
  ReversedMarkers* reversed_;
  TotalsRows* rows_;
  const uint64_t group_;
  WriterCaches* caches_;
  uint64_t mutation_ = 0;
  std::vector<std::pair<TotalsRow*, domain::Totals>> undo_rows_;
  std::vector<const TotalsRows::value_type*> dirty_rows_;
  absl::flat_hash_set<std::string> touched_;
  std::string last_touched_;
  absl::flat_hash_set<std::string> flags_touched_;
  std::string last_flags_touched_;
  absl::flat_hash_set<std::string> councils_touched_;
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
      // Invariant: a row never counts fewer than no transactions. The
      // mutation fails (and is taken back) rather than write one that does.
      if (t->count[slot] < 0) {
        return absl::InternalError(absl::StrCat("invariant broken: a totals row of account ",
                                                account, " would count ", t->count[slot],
                                                " transactions in slot ", slot));
      }
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

}  // namespace dpmon

#endif  // DPMON_STORAGE_WRITE_CONTEXT_H_
