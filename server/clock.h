// The server's idea of "today": the civil date in Europe/London. Only the
// service layer reads the clock; rules and storage take dates as arguments.
#ifndef DPMON_SERVER_CLOCK_H_
#define DPMON_SERVER_CLOCK_H_

#include "common/civil_date.h"

namespace dpmon {

Date TodayInLondon();

}  // namespace dpmon

#endif  // DPMON_SERVER_CLOCK_H_
