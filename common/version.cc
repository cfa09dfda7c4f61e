#include "common/version.h"

#include <elf.h>
#include <link.h>

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "dpmon/build_info.h"

namespace dpmon {

std::string DpmonVersion() {
  const absl::string_view git = DPMON_GIT;
  return git.empty() ? std::string(DPMON_VERSION) : absl::StrCat(DPMON_VERSION, " (git ", git, ")");
}

std::string BuildType() { return DPMON_BUILD_TYPE; }

namespace {
// dl_iterate_phdr's callback: the first object is the program itself; its
// PT_NOTE segments hold the build ID note.
int FindBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) n;
      std::memcpy(&n, p, sizeof n);
      const char* name = p + sizeof n;
      const char* desc = name + ((n.n_namesz + 3) & ~3u);
      const char* next = desc + ((n.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        *out = absl::BytesToHexString(absl::string_view(desc, n.n_descsz));
        return 1;
      }
      p = next;
    }
  }
  return 1;  // only the program itself
}
}  // namespace

std::string BuildId() {
  static const std::string* const id = [] {
    auto* s = new std::string;
    dl_iterate_phdr(FindBuildId, s);
    return s;
  }();
  return *id;
}

std::string VersionText(absl::string_view program,
                        const std::vector<std::pair<std::string, std::string>>& libraries) {
  std::string out = absl::StrCat(program, " ", DpmonVersion(), ", ", BuildType(), " build\n",
                                 "storage schema version ", kStorageSchemaVersion, "\n");
  for (const auto& [name, version] : libraries) absl::StrAppend(&out, name, " ", version, "\n");
  return out;
}

}  // namespace dpmon
