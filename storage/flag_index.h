// What the flag index (keys.h: flag_index) holds for a stored flag: the
// keys it is listed under and the counts key it is counted under. Written by
// flag_store.cc, checked by integrity.cc. Not for use outside storage/.
#ifndef DPMON_STORAGE_FLAG_INDEX_H_
#define DPMON_STORAGE_FLAG_INDEX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpmon/v1/resources.pb.h"

namespace dpmon {

// "KIND/STATE", the key of FlagCountsRecord.counts.
std::string FlagCountKey(v1::FlagKind kind, v1::FlagState state);
// The flag_index keys (by group, and by kind and group) that list `flag`
// of `account_id`. DataLoss if its raised_on is unreadable.
absl::StatusOr<std::vector<std::string>> FlagIndexKeys(const std::string& council,
                                                       const std::string& account_id,
                                                       const v1::Flag& flag);

}  // namespace dpmon

#endif  // DPMON_STORAGE_FLAG_INDEX_H_
