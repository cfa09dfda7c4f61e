#include "common/civil_date.h"

#include "absl/strings/str_format.h"

namespace dpmon {
namespace {

// The proleptic Gregorian calendar in closed form (eras of 400 years,
// 146,097 days, with years starting on 1 March so that the leap day is the
// last of its year), as in Howard Hinnant's "chrono-Compatible Low-Level
// Date Algorithms". Exact for every int32 day count; civil_date_test holds
// it to absl::CivilDay. About a tenth of absl's cost, which an evaluation
// of every account pays a dozen times an account.
struct Ymd {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;                                               // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
  return era * 146097 + doe - 719468;
}

Ymd CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  Ymd out;
  out.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  out.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  out.year = yoe + era * 400 + (out.month <= 2);
  return out;
}

Ymd ToCivil(Date d) { return CivilFromDays(d.days()); }

Date FromCivil(int64_t year, int month, int day) {
  return Date::FromDays(static_cast<int32_t>(DaysFromCivil(year, month, day)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int Digits(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

absl::StatusOr<Date> Date::FromYmd(int year, int month, int day) {
  if (year < kYearMin || year > kYearMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("year %d is outside %d..%d", year, kYearMin, kYearMax));
  }
  if (month < 1 || month > 12) {
    return absl::InvalidArgumentError(absl::StrFormat("month %d does not exist", month));
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    return absl::InvalidArgumentError(absl::StrFormat("%04d-%02d has no day %d", year, month, day));
  }
  return FromCivil(year, month, day);
}

absl::StatusOr<Date> Date::Parse(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not a date of the form YYYY-MM-DD", text));
  }
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(text[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("\"%s\" is not a date of the form YYYY-MM-DD", text));
    }
  }
  return FromYmd(Digits(text.substr(0, 4)), Digits(text.substr(5, 2)), Digits(text.substr(8, 2)));
}

int Date::year() const { return static_cast<int>(ToCivil(*this).year); }
int Date::month() const { return ToCivil(*this).month; }
int Date::day() const { return ToCivil(*this).day; }

std::string Date::ToString() const {
  const Ymd c = ToCivil(*this);
  return absl::StrFormat("%04d-%02d-%02d", c.year, c.month, c.day);
}

Date Date::FirstOfMonth() const { return AddDays(1 - day()); }

Date Date::FirstOfYear() const { return FromCivil(ToCivil(*this).year, 1, 1); }

Date AddMonths(Date date, int months) {
  const Ymd c = ToCivil(date);
  // On a zero-based month index; the day clamped to the month's last.
  const int64_t index = c.year * 12 + (c.month - 1) + months;
  const int64_t year = index >= 0 ? index / 12 : (index - 11) / 12;
  const int month = static_cast<int>(index - year * 12) + 1;
  const int day = std::min(c.day, DaysInMonth(static_cast<int>(year), month));
  return FromCivil(year, month, day);
}

}  // namespace dpmon
