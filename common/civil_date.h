// Civil dates (UK calendar days, no time of day, no time zone).
//
// A `Date` is a count of days since 1970-01-01. It is what every date in
// dpmon is: booking dates, plan effective dates, review and audit dates.
//
//   absl::StatusOr<Date> d = Date::Parse("2025-08-31");
//   Date six_months_on = AddMonths(*d, 6);  // 2026-02-28
//
// Thread-safety: a Date is a value; const methods are safe from any thread.
#ifndef DPMON_COMMON_CIVIL_DATE_H_
#define DPMON_COMMON_CIVIL_DATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/limits.h"

namespace dpmon {

class Date {
 public:
  // The range dpmon accepts (common/limits.h).
  static constexpr int kYearMin = limits::kYearMin;
  static constexpr int kYearMax = limits::kYearMax;

  constexpr Date() : days_since_epoch_(0) {}
  static constexpr Date FromDays(int32_t days) { return Date(days); }
  // Returns InvalidArgument for a day that does not exist or is out of range.
  static absl::StatusOr<Date> FromYmd(int year, int month, int day);
  // Strict `YYYY-MM-DD`: exactly 10 characters, a real calendar day.
  static absl::StatusOr<Date> Parse(absl::string_view text);

  int32_t days() const { return days_since_epoch_; }
  int year() const;
  int month() const;  // 1..12
  int day() const;    // 1..31
  std::string ToString() const;

  Date AddDays(int32_t n) const { return Date(days_since_epoch_ + n); }
  Date FirstOfMonth() const;
  Date FirstOfYear() const;

  friend constexpr bool operator==(Date a, Date b) {
    return a.days_since_epoch_ == b.days_since_epoch_;
  }
  friend constexpr bool operator!=(Date a, Date b) { return !(a == b); }
  friend constexpr bool operator<(Date a, Date b) {
    return a.days_since_epoch_ < b.days_since_epoch_;
  }
  friend constexpr bool operator<=(Date a, Date b) { return !(b < a); }
  friend constexpr bool operator>(Date a, Date b) { return b < a; }
  friend constexpr bool operator>=(Date a, Date b) { return !(a < b); }
  // Days from b to a (a - b).
  friend constexpr int32_t operator-(Date a, Date b) {
    return a.days_since_epoch_ - b.days_since_epoch_;
  }

 private:
  explicit constexpr Date(int32_t days) : days_since_epoch_(days) {}
  int32_t days_since_epoch_;
};

// Same day of the month `months` months later (or earlier, if negative),
// clamped to the last day of that month: 31 Aug + 6 months = 28 or 29 Feb.
Date AddMonths(Date date, int months);

bool IsLeapYear(int year);
int DaysInMonth(int year, int month);

}  // namespace dpmon

#endif  // DPMON_COMMON_CIVIL_DATE_H_
