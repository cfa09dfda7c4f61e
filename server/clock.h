// The server's idea of "today": the civil date in Europe/London. Only the
// service layer reads the clock; rules and storage take dates as arguments.
#ifndef DPMON_SERVER_CLOCK_H_
#define DPMON_SERVER_CLOCK_H_

#include <string>

#include "common/civil_date.h"

namespace dpmon {

Date TodayInLondon();
// Minutes since local midnight in Europe/London, 0..1439.
int MinuteOfDayInLondon();
// The current time as an RFC 3339 UTC timestamp with milliseconds.
std::string NowRfc3339();

}  // namespace dpmon

#endif  // DPMON_SERVER_CLOCK_H_
