#include "common/version.h"

#include "absl/strings/str_cat.h"
#include "dpmon/build_info.h"

namespace dpmon {

std::string DpmonVersion() {
  const absl::string_view git = DPMON_GIT;
  return git.empty() ? std::string(DPMON_VERSION) : absl::StrCat(DPMON_VERSION, " (git ", git, ")");
}

std::string BuildType() { return DPMON_BUILD_TYPE; }

std::string VersionText(absl::string_view program,
                        const std::vector<std::pair<std::string, std::string>>& libraries) {
  std::string out = absl::StrCat(program, " ", DpmonVersion(), ", ", BuildType(), " build\n",
                                 "storage schema version ", kStorageSchemaVersion, "\n");
  for (const auto& [name, version] : libraries) absl::StrAppend(&out, name, " ", version, "\n");
  return out;
}

}  // namespace dpmon
