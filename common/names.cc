#include "common/names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/field_error.h"
#include "common/ids.h"

namespace dpmon {

std::string CouncilName(absl::string_view council) { return absl::StrCat("councils/", council); }

std::string AccountName(absl::string_view council, absl::string_view account) {
  return absl::StrCat("councils/", council, "/accounts/", account);
}

absl::StatusOr<std::string> ParseCouncilName(absl::string_view name, absl::string_view field) {
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "councils/")) {
    return InvalidField(field,
                        absl::StrFormat("\"%s\" is not of the form councils/{council}", name));
  }
  if (absl::Status s = ValidateId(rest); !s.ok()) {
    return InvalidField(field, absl::StrCat("council id ", s.message()));
  }
  return std::string(rest);
}

absl::StatusOr<AccountRef> ParseAccountName(absl::string_view name, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "councils" || parts[2] != "accounts") {
    return InvalidField(
        field,
        absl::StrFormat("\"%s\" is not of the form councils/{council}/accounts/{account}", name));
  }
  if (absl::Status s = ValidateId(parts[1]); !s.ok()) {
    return InvalidField(field, absl::StrCat("council id ", s.message()));
  }
  if (absl::Status s = ValidateId(parts[3]); !s.ok()) {
    return InvalidField(field, absl::StrCat("account id ", s.message()));
  }
  return AccountRef{std::string(parts[1]), std::string(parts[3])};
}

AccountRef LeadingIds(absl::string_view name) {
  AccountRef out;
  if (!absl::ConsumePrefix(&name, "councils/")) return out;
  const size_t slash = name.find('/');
  out.council = std::string(name.substr(0, slash));
  if (slash == absl::string_view::npos) return out;
  name.remove_prefix(slash + 1);
  if (!absl::ConsumePrefix(&name, "accounts/")) return out;
  out.account = std::string(name.substr(0, name.find('/')));
  return out;
}

}  // namespace dpmon
