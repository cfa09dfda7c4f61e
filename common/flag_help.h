// Help text and man pages made from Abseil flags: a flag's name, a
// placeholder for its value that says its unit (--shutdown_grace_seconds=SECONDS),
// its default and its help, so that the help of dpmon-server and dpctl is
// made from the flags themselves and cannot fall behind them.
//
// Thread-safety: call after the flags are registered (any time in main).
#ifndef DPMON_COMMON_FLAG_HELP_H_
#define DPMON_COMMON_FLAG_HELP_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dpmon {

// "--name=PLACEHOLDER", or "--name" for a boolean flag; "" for a flag that
// does not exist.
std::string FlagSynopsis(absl::string_view name);
// "  --name=VALUE  (default: "x")\n      help\n"; "" for a flag that does not
// exist.
std::string FlagHelp(absl::string_view name);
// The same in roff, for a man page (.TP).
std::string FlagManEntry(absl::string_view name);
// Text with roff's special characters escaped.
std::string RoffEscape(absl::string_view text);
// Flags defined in a file whose name ends with `suffix`, by name.
std::vector<std::string> FlagsDefinedIn(absl::string_view suffix);

}  // namespace dpmon

#endif  // DPMON_COMMON_FLAG_HELP_H_
