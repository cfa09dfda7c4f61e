#include "server/clock.h"

#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dpmon {
namespace {
const absl::TimeZone& London() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone tz;
    // Without tzdata, UTC is at most an hour off; dates are still civil dates.
    if (!absl::LoadTimeZone("Europe/London", &tz)) tz = absl::UTCTimeZone();
    return tz;
  }();
  return zone;
}
std::optional<Date>& Pinned() {
  static std::optional<Date> pinned;
  return pinned;
}
}  // namespace

void PinToday(Date day) { Pinned() = day; }

Date TodayInLondon() {
  if (Pinned()) return *Pinned();
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), London());
  absl::StatusOr<Date> d = Date::FromYmd(static_cast<int>(day.year()), day.month(), day.day());
  return d.ok() ? *d : Date();
}

int MinuteOfDayInLondon() {
  absl::CivilMinute m = absl::ToCivilMinute(absl::Now(), London());
  return m.hour() * 60 + m.minute();
}

std::string NowRfc3339() { return Rfc3339(absl::Now()); }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::Time EndOfDayInLondon(Date day) {
  const absl::CivilDay next = absl::CivilDay(day.year(), day.month(), day.day()) + 1;
  return absl::FromCivil(next, London());
}

}  // namespace dpmon
