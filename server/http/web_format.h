// How the dashboard writes dates and money for people, in the GOV.UK
// content style: "31 December 2025", "£1,234.56", "−£5.00". Integer
// arithmetic only: no floating point near money.
//
// Thread-safety: pure functions.
#ifndef DPMON_SERVER_HTTP_WEB_FORMAT_H_
#define DPMON_SERVER_HTTP_WEB_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dpmon {

// "2025-12-31" as "31 December 2025"; anything that is not a date as given.
std::string LongDate(absl::string_view iso);
// An RFC 3339 time as the UK reads it, in Europe/London:
// "2026-11-30T11:41:23.483Z" as "30 November 2026, 11:41"; anything else
// as given.
std::string LongDateTime(absl::string_view rfc3339);
// Europe/London (UTC where the machine has no time zone data).
const absl::TimeZone& LondonTimeZone();

// Pence as pounds: 123456 → "£1,234.56", -500 → "−£5.00" (a minus sign,
// U+2212), 0 → "£0.00". Exact for every int64, INT64_MIN included.
std::string Pounds(int64_t pence);
// What a person types as an amount, as pence, exactly (no floating point):
// "150", "150.5", "£1,200.00". Not negative; at most nine digits of pounds
// (the services hold amounts to their own limits).
// InvalidArgument with a sentence for the person otherwise.
absl::StatusOr<int64_t> ParsePounds(absl::string_view text);

// Percent-encodes a query value or path segment (RFC 3986 unreserved kept).
std::string UrlEncode(absl::string_view s);

// "SURPLUS_RETURN" as "Surplus return".
std::string SentenceCase(absl::string_view enum_name);

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_WEB_FORMAT_H_
