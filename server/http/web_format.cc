#include "server/http/web_format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/civil_date.h"

namespace dpmon {

std::string LongDate(absl::string_view iso) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  absl::StatusOr<Date> d = Date::Parse(iso);
  if (!d.ok()) return std::string(iso);
  return absl::StrCat(d->day(), " ", kMonths[d->month() - 1], " ", d->year());
}

const absl::TimeZone& LondonTimeZone() {
  static const absl::TimeZone* london = [] {
    auto* tz = new absl::TimeZone();
    if (!absl::LoadTimeZone("Europe/London", tz)) *tz = absl::UTCTimeZone();
    return tz;
  }();
  return *london;
}

std::string LongDateTime(absl::string_view rfc3339) {
  const absl::TimeZone* london = &LondonTimeZone();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(rfc3339), &t, &err)) {
    return std::string(rfc3339);
  }
  const absl::CivilMinute m = absl::ToCivilMinute(t, *london);
  return absl::StrCat(LongDate(absl::FormatCivilTime(absl::CivilDay(m))), ", ",
                      absl::FormatTime("%H:%M", t, *london));
}

std::string Pounds(int64_t pence) {
  // The magnitude as unsigned: -INT64_MIN does not fit in int64.
  const bool negative = pence < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(pence) : static_cast<uint64_t>(pence);
  const std::string whole = absl::StrCat(magnitude / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  const uint64_t p = magnitude % 100;
  return absl::StrCat(negative ? "\u2212" : "", "£", grouped, ".", p < 10 ? "0" : "", p);
}

absl::StatusOr<int64_t> ParsePounds(absl::string_view text) {
  const absl::Status bad =
      absl::InvalidArgumentError("Enter an amount in pounds, like 150 or 1,200.50");
  absl::string_view t = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&t, "£");
  if (t.empty()) return bad;
  int64_t pounds = 0;
  size_t i = 0;
  int digits = 0;
  for (; i < t.size() && t[i] != '.'; ++i) {
    if (t[i] == ',') continue;
    if (t[i] < '0' || t[i] > '9') return bad;
    if (++digits > 9) return absl::InvalidArgumentError("Enter an amount below £100,000,000");
    pounds = pounds * 10 + (t[i] - '0');
  }
  if (digits == 0) return bad;
  int64_t pence = 0;
  if (i < t.size()) {  // A point, then one or two digits.
    absl::string_view frac = t.substr(i + 1);
    if (frac.empty() || frac.size() > 2) return bad;
    for (char c : frac) {
      if (c < '0' || c > '9') return bad;
    }
    pence = (frac[0] - '0') * 10 + (frac.size() == 2 ? frac[1] - '0' : 0);
  }
  return pounds * 100 + pence;
}

std::string UrlEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string SentenceCase(absl::string_view enum_name) {
  std::string s = absl::AsciiStrToLower(enum_name);
  for (char& c : s) {
    if (c == '_') c = ' ';
  }
  if (!s.empty()) s[0] = absl::ascii_toupper(s[0]);
  return s;
}

}  // namespace dpmon
