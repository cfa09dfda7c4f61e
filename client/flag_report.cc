#include "client/flag_report.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/ids.h"
#include "common/json_quote.h"

namespace dpmon {

std::string FlagReportJson(std::vector<v1::Flag> flags) {
  auto key = [](const v1::Flag& f) {
    return std::make_tuple(LastNameSegment(f.account()), v1::FlagKind_Name(f.kind()), f.subject());
  };
  std::stable_sort(flags.begin(), flags.end(),
                   [&](const v1::Flag& a, const v1::Flag& b) { return key(a) < key(b); });
  std::string out = "[";
  for (size_t i = 0; i < flags.size(); ++i) {
    const v1::Flag& f = flags[i];
    absl::StrAppend(
        &out, i == 0 ? "\n " : ",\n ", "{\"account\":", JsonQuote(LastNameSegment(f.account())),
        ",\"kind\":", JsonQuote(v1::FlagKind_Name(f.kind())),
        ",\"severity\":", JsonQuote(v1::Severity_Name(f.severity())),
        ",\"subject\":", JsonQuote(f.subject()),
        ",\"amount_pence\":", f.has_amount_pence() ? absl::StrCat(f.amount_pence()) : "null",
        ",\"date\":", f.date().empty() ? "null" : JsonQuote(f.date()), "}");
  }
  absl::StrAppend(&out, flags.empty() ? "]\n" : "\n]\n");
  return out;
}

}  // namespace dpmon
