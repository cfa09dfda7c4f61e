#include "common/private_dir.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace dpmon {

absl::Status CreatePrivateDirectory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return absl::OkStatus();
  std::filesystem::create_directories(path, ec);
  if (!ec) {
    std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace dpmon
