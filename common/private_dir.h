// Directories that hold people's data are the service's alone.
//
// Thread-safety: pure filesystem calls.
#ifndef DPMON_COMMON_PRIVATE_DIR_H_
#define DPMON_COMMON_PRIVATE_DIR_H_

#include <string>

#include "absl/status/status.h"

namespace dpmon {

// Creates `path` (and any missing parents) if it does not exist, the last
// part with mode 0700 whatever the umask. An existing directory is left as
// it is. Unavailable if it cannot be created.
absl::Status CreatePrivateDirectory(const std::string& path);

}  // namespace dpmon

#endif  // DPMON_COMMON_PRIVATE_DIR_H_
