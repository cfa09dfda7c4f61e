// dpctl's shared parts: its flags, how a command fails and prints, and
// the command table each area adds to (client/dpctl/*.cc).
#ifndef DPMON_CLIENT_DPCTL_DPCTL_H_
#define DPMON_CLIENT_DPCTL_DPCTL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "client/client.h"
#include "google/protobuf/message.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(int, deadline_seconds);
ABSL_DECLARE_FLAG(std::string, council);
ABSL_DECLARE_FLAG(std::string, account);
ABSL_DECLARE_FLAG(std::string, filter);
ABSL_DECLARE_FLAG(std::string, as_of);
ABSL_DECLARE_FLAG(std::string, from);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, kind);
ABSL_DECLARE_FLAG(std::string, source);
ABSL_DECLARE_FLAG(std::string, ref);
ABSL_DECLARE_FLAG(std::string, state);
ABSL_DECLARE_FLAG(std::string, subject);
ABSL_DECLARE_FLAG(std::string, note);
ABSL_DECLARE_FLAG(std::string, actor);
ABSL_DECLARE_FLAG(std::string, key_file);
ABSL_DECLARE_FLAG(bool, tls);
ABSL_DECLARE_FLAG(std::string, tls_ca_file);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, name);
ABSL_DECLARE_FLAG(std::string, role);
ABSL_DECLARE_FLAG(std::string, councils);
ABSL_DECLARE_FLAG(bool, all_councils);
ABSL_DECLARE_FLAG(std::string, sources);
ABSL_DECLARE_FLAG(std::string, expires);
ABSL_DECLARE_FLAG(std::string, cert_cn);
ABSL_DECLARE_FLAG(bool, show_revoked);
ABSL_DECLARE_FLAG(std::string, key);
ABSL_DECLARE_FLAG(std::string, since);
ABSL_DECLARE_FLAG(std::string, until);
ABSL_DECLARE_FLAG(int, limit);
ABSL_DECLARE_FLAG(std::string, dir);
ABSL_DECLARE_FLAG(int, keep);
ABSL_DECLARE_FLAG(int, max_problems);
ABSL_DECLARE_FLAG(int, within);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, date);
ABSL_DECLARE_FLAG(std::string, period_end);
ABSL_DECLARE_FLAG(std::string, auditor);
ABSL_DECLARE_FLAG(std::string, id);
ABSL_DECLARE_FLAG(int64_t, amount);
ABSL_DECLARE_FLAG(std::string, method);
ABSL_DECLARE_FLAG(std::string, file_format);
ABSL_DECLARE_FLAG(std::string, charset);
ABSL_DECLARE_FLAG(std::string, mapping);
ABSL_DECLARE_FLAG(std::string, preset);
ABSL_DECLARE_FLAG(std::string, account_ref);
ABSL_DECLARE_FLAG(std::string, category);
ABSL_DECLARE_FLAG(int, batch_size);
ABSL_DECLARE_FLAG(bool, progress);

namespace dpctl {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitRejected = 3;

// One command: the words that name it ("audit due"), its flags and
// arguments, what it does, how many words may follow its own, and how it
// runs. `args` are the words after the command's own.
inline constexpr int kManyArgs = -1;
struct Command {
  const char* words;
  const char* synopsis;
  const char* summary;
  int max_args;  // kManyArgs: any number.
  int (*run)(dpmon::Client& client, const std::vector<std::string>& args);
};

// The commands of each area, in the order the usage text lists them.
const std::vector<Command>& LedgerCommands();
const std::vector<Command>& AccountCommands();
const std::vector<Command>& MonitoringCommands();
const std::vector<Command>& AuditCommands();
const std::vector<Command>& FeedCommands();
const std::vector<Command>& AdminCommands();

// Every area's commands, in the order help lists them.
std::vector<std::pair<const char*, const std::vector<Command>*>> Areas();

// Help made from the table (client/dpctl/help.cc): the command list with
// the flags every command takes, one command's flags and examples, the man
// page dpctl(1), and a bash completion script.
std::string Overview();
std::string CommandHelp(const Command& c);
std::string ManPage();
std::string BashCompletion();
// The flags a command's synopsis names, and its examples.
std::vector<std::string> FlagsOf(const Command& c);
const std::vector<std::string>& ExamplesOf(const Command& c);

// Where calls go and which key they carry, for errors that say what to do:
// the server's address and where it came from (--server, $DPMON_SERVER,
// the default), and where the key came from.
void SetCallContext(const std::string& server, const std::string& server_origin,
                    const std::string& key_from);

// Prints "dpctl: message" to stderr; returns kExitFailure. For a status,
// an unreachable server or a refused key also says what to try.
int Fail(const std::string& message);
int Fail(const absl::Status& s);
// --format=json.
bool Json();
// One JSON object on a line, with the proto's field names.
void PrintJson(const google::protobuf::Message& m);
// `value`, or exits with "--flag is required".
std::string Require(const std::string& flag, const std::string& value);
// councils/{--council} and councils/{--council}/accounts/{--account}.
std::string CouncilName();
std::string AccountName();
// Unknown trailing words are a usage error: a typo must not run something else.
int NoArgs(const std::vector<std::string>& args, const char* command);

}  // namespace dpctl

#endif  // DPMON_CLIENT_DPCTL_DPCTL_H_
