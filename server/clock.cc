#include "server/clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dpmon {

Date TodayInLondon() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    // Without tzdata, UTC is at most an hour off; dates are still civil dates.
    if (!absl::LoadTimeZone("Europe/London", &tz)) tz = absl::UTCTimeZone();
    return tz;
  }();
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), zone);
  absl::StatusOr<Date> d = Date::FromYmd(static_cast<int>(day.year()), day.month(), day.day());
  return d.ok() ? *d : Date();
}

}  // namespace dpmon
