// The integrity check (Store::CheckIntegrity): everything the store derives
// from its records (totals rows and the balances read from them, reversal
// links, marks, txn_ids, refs, suspense, the account index, the flag index
// and its counts), recomputed from the records of one snapshot and compared
// with what is stored. Every difference is reported by account and key.
// integrity.cc holds the driver, accounts, references, statements,
// reversals and flags; integrity_ledger.cc the transactions, totals,
// balances, marks, txn_ids and suspense. Not for use outside storage/.
//
// Costs one pass over each column family of a council, and one scan per
// account and period for the totals. Memory: one account's rows at a time,
// plus the council's account ids, references and account index keys.
//
// Thread-safety: one IntegrityChecker per thread.
#ifndef DPMON_STORAGE_INTEGRITY_H_
#define DPMON_STORAGE_INTEGRITY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/group_commit.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace dpmon {

class IntegrityChecker {
 public:
  IntegrityChecker(Store::Impl* impl, int max_problems, Store::IntegrityReport* report)
      : impl_(impl), db_(impl->db()), max_problems_(max_problems), report_(report) {
    snapshot_ = db_->GetSnapshot();
    read_.snapshot = snapshot_;
    read_.fill_cache = false;  // An online check must not evict what serving reads.
  }
  ~IntegrityChecker() {
    cursors_.clear();  // Before the snapshot they read.
    db_->ReleaseSnapshot(snapshot_);
  }
  const rocksdb::ReadOptions& read() const { return read_; }

  absl::Status Council(const std::string& council, const v1::Council& record);

  // A key's text parts, with the 0x00 separators shown as '/' and any other
  // byte that is not printable as \xNN.
  static std::string Printable(absl::string_view key);

 private:
  struct Scan {
    std::string upper;
    rocksdb::Slice upper_slice;
    std::unique_ptr<rocksdb::Iterator> it;
  };
  // A reversal as the check needs it.
  struct ReversalSeen {
    std::string original_id;  // source \0 external_id
    std::string where;
    v1::Category category;
    v1::Direction direction;
    bool linked;
  };

  struct Placed {
    v1::Category category;
    v1::Direction direction;
  };

  // A txn_ids entry a record expects: where it is and its fingerprint.
  struct ExpectedId {
    std::string id_key;
    std::string location;
    bool in_suspense;
    uint64_t fingerprint;
    std::string account;
    std::string where;
  };

  // Every key of `cf` that starts with `prefix`, in order.
  std::unique_ptr<Scan> Open(Cf cf, const std::string& prefix);
  void Problem(const std::string& account, std::string where, std::string what);
  absl::Status Get(Cf cf, const std::string& key, std::string* value, bool* found);
  // One iterator of `cf` on the snapshot, kept for the per-account reads
  // (opening one for each account and period costs more than the read).
  rocksdb::Iterator* Cursor(Cf cf);
  // ---- accounts, their references and their index entries ----
  absl::Status Accounts();
  absl::Status AccountIndex();
  absl::Status Refs();
  absl::Status Statements();
  absl::Status Reversals();
  // ---- flags, the flag index and its counts ----
  absl::Status Flags();
  // Each index entry is listed where its flag, as stored, says.
  absl::Status FlagIndexEntries(const std::string& prefix);

  // ---- integrity_ledger.cc ----
  // ---- transactions, totals, balances, marks, reversal links ----
  absl::Status Ledger();
  absl::Status Transaction(const keys::TxnKeyParts& parts, const std::string& key,
                           absl::string_view value);
  absl::Status FinishAccount();
  // Each period that holds a row the records give is read whole, so that a
  // stored row the records do not give is found too.
  absl::Status CompareTotals(const std::string& account);
  // The balance as every read computes it (SumThroughWith), against the
  // records' own sum.
  absl::Status CompareBalance(const std::string& account);
  absl::Status CompareMarks(const std::string& account);
  // Rows of accounts, or periods, that have no transactions, found by count.
  absl::Status LeftoverTotals();
  absl::Status LeftoverMarks();
  // Each record's txn_ids entry names it, with its fingerprint.
  absl::Status CheckIds();
  absl::Status RecheckIds();
  // ---- suspense ----
  absl::Status Suspense();
  // Every record's entry was found above; an entry more is one no record has.
  absl::Status TxnIdCount();

  Store::Impl* impl_;
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_;
  const int max_problems_;
  Store::IntegrityReport* report_;
  std::map<Cf, std::unique_ptr<rocksdb::Iterator>> cursors_;

  std::string council_, children_;
  domain::Policy policy_;
  absl::flat_hash_set<std::string> accounts_, with_ledger_, reversal_keys_;
  absl::flat_hash_map<std::string, std::string> index_;  // account_index key -> value
  absl::flat_hash_map<std::string, std::string> refs_;   // source \0 ref -> account
  std::vector<ExpectedId> ids_;                          // Only while RecheckIds reads.
  bool recheck_ids_ = false;
  // What the records expect of txn_ids, summed over the council.
  struct IdDigest {
    uint64_t sum = 0, sum2 = 0;
    int64_t count = 0;
    void Add(absl::string_view id_key, absl::string_view location, bool in_suspense,
             uint64_t fingerprint);
  };
  IdDigest ids_digest_;
  int64_t totals_compared_ = 0, marks_compared_ = 0;

  // The account being read.
  std::string account_;
  absl::flat_hash_map<std::string, Placed> placed_;  // source \0 external_id
  std::vector<ReversalSeen> reversals_;
  std::map<std::pair<char, int32_t>, domain::Totals> rows_;  // (level, bucket days)
  std::map<std::string, std::string> marks_;
  domain::Totals records_;
  Date latest_ = Date::FromDays(INT32_MIN / 2);
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_INTEGRITY_H_
