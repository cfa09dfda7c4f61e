// What a dpmon binary is: its version, the commit and build type it was
// built from, the storage schema it reads and writes, and the libraries it
// links. `--version` on dpmon-server and dpctl prints VersionText.
//
// Thread-safety: pure functions.
#ifndef DPMON_COMMON_VERSION_H_
#define DPMON_COMMON_VERSION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace dpmon {

// The version of the data directory's layout (storage/db.h checks it on
// open; docs/storage.md lists what each version changed).
inline constexpr int kStorageSchemaVersion = 8;

// "0.11.0", and with the commit when built from a clone: "0.11.0 (git
// c34ace9)".
std::string DpmonVersion();
// "RelWithDebInfo".
std::string BuildType();
// The running program's build ID (the linker's GNU build-id note), in hex:
// differs whenever its code does. Empty when the program has none.
std::string BuildId();

// What `program --version` prints: its version and build, the storage
// schema, and each (library, version) it links, a line each.
std::string VersionText(absl::string_view program,
                        const std::vector<std::pair<std::string, std::string>>& libraries);

}  // namespace dpmon

#endif  // DPMON_COMMON_VERSION_H_
