// DOMAIN.md's flag report: a JSON array sorted by account, kind, subject, of
// {"account","kind","severity","subject","amount_pence","date"}.
//
// Thread-safety: pure functions.
#ifndef DPMON_CLIENT_FLAG_REPORT_H_
#define DPMON_CLIENT_FLAG_REPORT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/json_quote.h"
#include "dpmon/v1/resources.pb.h"

namespace dpmon {

// The report of `flags` (any order): sorted, one element a line.
std::string FlagReportJson(std::vector<v1::Flag> flags);

}  // namespace dpmon

#endif  // DPMON_CLIENT_FLAG_REPORT_H_
