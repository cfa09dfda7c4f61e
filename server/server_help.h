// dpmon-server's --help (its own flags, grouped, with defaults and units)
// and its man page, dpmon-server(8), both made from the flags themselves.
#ifndef DPMON_SERVER_SERVER_HELP_H_
#define DPMON_SERVER_SERVER_HELP_H_

#include <string>

namespace dpmon {

std::string ServerHelp();
std::string ServerManPage();

}  // namespace dpmon

#endif  // DPMON_SERVER_SERVER_HELP_H_
