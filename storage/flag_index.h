// What the flag index (keys.h: flag_index) holds for a stored flag: the
// keys it is listed under, what each entry holds and the counts key it is
// counted under. Written by flag_store.cc, checked by integrity.cc. Not for
// use outside storage/.
#ifndef DPMON_STORAGE_FLAG_INDEX_H_
#define DPMON_STORAGE_FLAG_INDEX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dpmon/v1/resources.pb.h"
#include "rocksdb/db.h"

namespace dpmon {

// "KIND/STATE", the key of FlagCountsRecord.counts.
std::string FlagCountKey(v1::FlagKind kind, v1::FlagState state);
// The flag_index keys (by group, and by kind and group) that list `flag`
// of `account_id`. DataLoss if its raised_on is unreadable.
absl::StatusOr<std::vector<std::string>> FlagIndexKeys(const std::string& council,
                                                       const std::string& account_id,
                                                       const v1::Flag& flag);

// What an index entry holds: the flag's state, the one thing a listing
// filters on that the key does not say (one byte); the flag itself is read
// from `flags` for the entries a page keeps. An entry is written when its
// flag is listed under a new key or its state changes, not when only the
// flag's facts do. (Entries written before schema 6 held a copy of the whole
// flag; the upgrade to 8 rebuilds the index: RebuildFlagIndex.)
std::string FlagIndexValue(const v1::Flag& flag);
// The state an index entry records (FlagIndexValue's byte). DataLoss if it
// is anything else.
absl::StatusOr<v1::FlagState> FlagIndexEntryState(absl::string_view value);

// The upgrade from a schema before 8: every flag's entries (by group, and by
// kind) written afresh from the stored flags, and every other entry
// removed, in synced batches (an upgrade cut short is simply done again).
// It replaces the copies of whole flags that entries written before schema
// 6 hold, and the entries a flag whose severity changed left under its
// old severity before 8. The counts and evaluation records are kept.
absl::Status RebuildFlagIndex(rocksdb::DB* db,
                              const std::vector<rocksdb::ColumnFamilyHandle*>& cfs);

}  // namespace dpmon

#endif  // DPMON_STORAGE_FLAG_INDEX_H_
