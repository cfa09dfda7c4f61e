// A JSON string literal for a byte string, for the few places that write
// JSON by hand (dpctl's summaries, the flag report, the HTTP face's errors).
//
// Thread-safety: a pure function.
#ifndef DPMON_COMMON_JSON_QUOTE_H_
#define DPMON_COMMON_JSON_QUOTE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace dpmon {

// `s` quoted and escaped: ", \ and control characters. Other bytes are
// copied as they are (the callers' text is UTF-8).
std::string JsonQuote(absl::string_view s);

}  // namespace dpmon

#endif  // DPMON_COMMON_JSON_QUOTE_H_
