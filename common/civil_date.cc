#include "common/civil_date.h"

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace dpmon {
namespace {

const absl::CivilDay kEpoch(1970, 1, 1);

absl::CivilDay ToCivil(Date d) { return kEpoch + d.days(); }

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
  return Date(static_cast<int32_t>(absl::CivilDay(year, month, day) - kEpoch));
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

int Date::year() const { return static_cast<int>(ToCivil(*this).year()); }
int Date::month() const { return ToCivil(*this).month(); }
int Date::day() const { return ToCivil(*this).day(); }

std::string Date::ToString() const {
  absl::CivilDay c = ToCivil(*this);
  return absl::StrFormat("%04d-%02d-%02d", c.year(), c.month(), c.day());
}

Date Date::FirstOfMonth() const { return AddDays(1 - day()); }

Date Date::FirstOfYear() const {
  absl::CivilDay c = ToCivil(*this);
  return Date(static_cast<int32_t>(absl::CivilDay(c.year(), 1, 1) - kEpoch));
}

Date AddMonths(Date date, int months) {
  absl::CivilDay c = ToCivil(date);
  // Month arithmetic on a zero-based month index avoids absl's own
  // normalisation, which would roll 31 Feb into March instead of clamping.
  int64_t index = static_cast<int64_t>(c.year()) * 12 + (c.month() - 1) + months;
  int year = static_cast<int>(index >= 0 ? index / 12 : (index - 11) / 12);
  int month = static_cast<int>(index - static_cast<int64_t>(year) * 12) + 1;
  int day = std::min(c.day(), DaysInMonth(year, month));
  return Date::FromDays(static_cast<int32_t>(absl::CivilDay(year, month, day) - kEpoch));
}

}  // namespace dpmon
