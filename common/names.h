// Resource names (AIP-122), formatted and parsed in one place:
// councils/{council} and councils/{council}/accounts/{account}. Ids are
// common/ids.h's ValidateId.
//
// Thread-safety: pure functions.
#ifndef DPMON_COMMON_NAMES_H_
#define DPMON_COMMON_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dpmon {

struct AccountRef {
  std::string council;
  std::string account;
};

std::string CouncilName(absl::string_view council);
std::string AccountName(absl::string_view council, absl::string_view account);

// The council id of "councils/{council}"; InvalidArgument naming `field`
// (common/field_error.h) if `name` is not one.
absl::StatusOr<std::string> ParseCouncilName(absl::string_view name, absl::string_view field);
// The ids of "councils/{council}/accounts/{account}"; InvalidArgument naming
// `field` if `name` is not one.
absl::StatusOr<AccountRef> ParseAccountName(absl::string_view name, absl::string_view field);

// The council and account segments that lead a name,
// "councils/{c}[/accounts/{a}[/...]]", unchecked (empty where absent): who a
// request is about, for the access log and tenancy checks.
AccountRef LeadingIds(absl::string_view name);

}  // namespace dpmon

#endif  // DPMON_COMMON_NAMES_H_
