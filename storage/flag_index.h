// What the flag index (keys.h: flag_index) holds for a stored flag: the
// keys it is listed under, what each entry holds and the counts key it is
// counted under. Written by flag_store.cc, checked by integrity.cc. Not for
// use outside storage/.
#ifndef DPMON_STORAGE_FLAG_INDEX_H_
#define DPMON_STORAGE_FLAG_INDEX_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dpmon/v1/resources.pb.h"

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
// from `flags` for the entries a page keeps. (Entries written before held a
// copy of the whole flag: three times the bytes an evaluation wrote.)
std::string FlagIndexValue(const v1::Flag& flag);
// The state an index entry records: from FlagIndexValue's byte, or, in an
// entry written before the index held only the state, from the copy of the
// whole flag it held (*whole set to that flag; reset otherwise). DataLoss
// if it is neither.
absl::StatusOr<v1::FlagState> FlagIndexEntryState(absl::string_view value,
                                                  std::optional<v1::Flag>* whole);

}  // namespace dpmon

#endif  // DPMON_STORAGE_FLAG_INDEX_H_
