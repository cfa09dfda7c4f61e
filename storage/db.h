// The RocksDB database dpmon keeps: its column families and their options,
// the schema version check, and how RocksDB's statuses and records become
// dpmon's. Not for use outside storage/.
#ifndef DPMON_STORAGE_DB_H_
#define DPMON_STORAGE_DB_H_

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/version.h"
#include "rocksdb/db.h"
#include "rocksdb/slice_transform.h"
#include "storage/keys.h"

namespace dpmon {

inline constexpr int kSchemaVersion = kStorageSchemaVersion;
// Versions Store::Open upgrades in place: 3 and 4 by building account_index
// from the accounts (version 4 added account_index and notes; version 5
// keeps the display name in each name word's entry); every one before 8 by
// rebuilding flag_index from the flags (version 8 writes an entry only when
// its key or state changes, so a copy of the whole flag, as entries written
// before version 6 hold, would go stale); version 7 writes a totals row's
// non-zero slots only, and reads either form.
inline bool UpgradableSchema(int version) { return version >= 3 && version <= 7; }
// Whether upgrading from `version` rebuilds account_index.
inline bool UpgradeBuildsAccountIndex(int version) { return version == 3 || version == 4; }
// Whether upgrading from `version` rebuilds flag_index.
inline bool UpgradeRebuildsFlagIndex(int version) { return version < 8; }
inline constexpr char kMetaSchema[] = "schema_version";
inline constexpr char kMetaNextSeq[] = "next_sequence";
// RocksDB's sequence number once this is written (8 bytes), then the
// evaluator's memory (Store::KeepEvaluatorMemory).
inline constexpr char kMetaEvaluatorMemory[] = "evaluator_memory";

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
  kAccountIndex,
  kNotes,
  kCfCount
};
inline const char* const kCfNames[kCfCount] = {
    "default",    "councils",   "accounts", "refs",       "txn_ids",       "txns",
    "statements", "suspense",   "totals",   "reversals",  "requests",      "marks",
    "flags",      "flag_index", "keys",     "access_log", "account_index", "notes"};

inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
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

// A shared AccountHintPrefix.
std::shared_ptr<const rocksdb::SliceTransform> AccountHint(bool totals);

// The flag index's keys (keys.h: FlagByGroupPrefix / FlagByKindPrefix, then
// FlagIndexTail) up to their raised_on date: an evaluation writes each such
// run's keys in account order, several runs interleaved, and the memtable
// keeps where it last inserted for each run. Other keys of the family (its
// counts and evaluation records) have no such prefix.
class FlagIndexHintPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "dpmon.FlagIndexRunPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), keys::FlagIndexRunLength(View(key)));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return keys::FlagIndexRunLength(View(key)) > 0;
  }
};

// Opens (creating if missing) the database at `path` with dpmon's options
// and every column family, and checks its schema version (writing it into
// a new one). FailedPrecondition for another version, but for
// an UpgradableSchema one, which sets *upgrade_from to it (else 0): the
// caller upgrades, then writes kSchemaVersion with WriteSchemaVersion.
absl::Status OpenDb(const std::string& path, size_t block_cache_bytes,
                    std::unique_ptr<rocksdb::DB>* db,
                    std::vector<rocksdb::ColumnFamilyHandle*>* cfs, int* upgrade_from);
absl::Status WriteSchemaVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta);

}  // namespace dpmon

#endif  // DPMON_STORAGE_DB_H_
