// The server's idea of "today": the civil date in Europe/London. Only the
// service layer reads the clock; rules and storage take dates as arguments.
#ifndef DPMON_SERVER_CLOCK_H_
#define DPMON_SERVER_CLOCK_H_

#include <string>

#include "absl/time/time.h"
#include "common/civil_date.h"

namespace dpmon {

// Today in Europe/London, or the date PinToday set.
Date TodayInLondon();
// From here on TodayInLondon returns `day` (dpmon-server --today: for
// demonstrations and benchmarks on data that ends on a fixed date). Call
// before any thread reads the date.
void PinToday(Date day);
// Minutes since local midnight in Europe/London, 0..1439.
int MinuteOfDayInLondon();
// The current time as an RFC 3339 UTC timestamp with milliseconds.
std::string NowRfc3339();
// The instant `day` ends in Europe/London (the next day's local midnight):
// "as of a date" for what has a time rather than a date.
absl::Time EndOfDayInLondon(Date day);
// `t` as an RFC 3339 UTC timestamp with milliseconds.
std::string Rfc3339(absl::Time t);

}  // namespace dpmon

#endif  // DPMON_SERVER_CLOCK_H_
