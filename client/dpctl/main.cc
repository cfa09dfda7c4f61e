// dpctl: the dpmon command line for operators and cron jobs.
//
//   dpctl COMMAND [FLAGS] [ARGS]; dpctl help [COMMAND]
//
// The commands are the tables of client/dpctl/*.cc; help, the man page and
// the bash completion are made from them (help.cc), so they cannot fall
// behind.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "client/dpctl/dpctl.h"
#include "common/version.h"
#include "google/protobuf/stubs/common.h"
#include "grpcpp/grpcpp.h"

namespace dpctl {

std::vector<std::pair<const char*, const std::vector<Command>*>> Areas() {
  return {{"ledger", &LedgerCommands()},
          {"councils and accounts", &AccountCommands()},
          {"monitoring", &MonitoringCommands()},
          {"audits", &AuditCommands()},
          {"feeds", &FeedCommands()},
          {"keys, the access log, backups and checks", &AdminCommands()}};
}

namespace {

// The command named by the longest run of leading words, and how many
// words that is.
const Command* Longest(const std::vector<std::string>& words, size_t* used) {
  const Command* best = nullptr;
  *used = 0;
  for (const auto& [area, commands] : Areas()) {
    for (const Command& c : *commands) {
      const std::vector<std::string> w = absl::StrSplit(c.words, ' ');
      if (w.size() > words.size() || w.size() <= *used) continue;
      if (std::equal(w.begin(), w.end(), words.begin())) {
        best = &c;
        *used = w.size();
      }
    }
  }
  return best;
}

// Longest, where a verb left out is "list" ("dpctl flags" is "dpctl flags
// list").
const Command* Find(const std::vector<std::string>& words, size_t* used) {
  if (const Command* c = Longest(words, used)) return c;
  if (words.empty()) return nullptr;
  std::vector<std::string> with_list = {words[0], "list"};
  with_list.insert(with_list.end(), words.begin() + 1, words.end());
  size_t n = 0;
  const Command* c = Longest(with_list, &n);
  if (c == nullptr || n != 2) return nullptr;
  *used = 1;
  return c;
}

// --as-of as well as --as_of: dashes in flag names become underscores.
std::vector<std::string> NormaliseFlagNames(int argc, char** argv) {
  std::vector<std::string> out(argv, argv + argc);
  for (std::string& a : out) {
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) continue;
    const size_t end = std::min(a.find('='), a.size());
    std::replace(a.begin() + 2, a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  return out;
}

absl::StatusOr<dpmon::ClientOptions> ClientOptionsFromFlags(bool server_given) {
  dpmon::ClientOptions options;
  // The server: --server, else $DPMON_SERVER, else the default; where it
  // came from is said if it cannot be reached.
  options.server = absl::GetFlag(FLAGS_server);
  std::string origin = "--server";
  if (!server_given) {
    const char* env = std::getenv("DPMON_SERVER");
    if (env != nullptr && *env != '\0') {
      options.server = env;
      origin = "$DPMON_SERVER";
    } else {
      origin = "the default";
    }
  }
  options.deadline = absl::Seconds(absl::GetFlag(FLAGS_deadline_seconds));
  std::string key_from;
  absl::StatusOr<std::string> key = dpmon::ResolveApiKey(absl::GetFlag(FLAGS_key_file), &key_from);
  if (!key.ok()) return key.status();
  options.api_key = *key;
  SetCallContext(options.server, origin, key_from);
  options.tls = absl::GetFlag(FLAGS_tls);
  const std::pair<std::string, std::string*> pem_files[] = {
      {absl::GetFlag(FLAGS_tls_ca_file), &options.tls_root_certs},
      {absl::GetFlag(FLAGS_tls_cert_file), &options.tls_cert_chain},
      {absl::GetFlag(FLAGS_tls_key_file), &options.tls_private_key}};
  for (const auto& [path, out] : pem_files) {
    if (!path.empty()) {
      absl::StatusOr<std::string> pem = dpmon::ReadSmallFile(path);
      if (!pem.ok()) return pem.status();
      *out = *pem;
      options.tls = true;
    }
  }
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  return options;
}

// --help, --man and --completion need no server or key: answered before
// the flags are parsed. True if one was (with the exit status in `code`).
bool AnswerHelp(const std::vector<std::string>& args, int* code) {
  std::vector<std::string> words;
  bool help = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--man") {
      std::printf("%s", ManPage().c_str());
      *code = 0;
      return true;
    }
    if (a == "--completion" || a == "--completion=bash") {
      std::printf("%s", BashCompletion().c_str());
      *code = 0;
      return true;
    }
    if (a == "--help" || a == "-help" || a == "-h" || a == "--helpshort") help = true;
    if (!a.empty() && a[0] != '-') words.push_back(a);
  }
  if (!words.empty() && words[0] == "help") {
    help = true;
    words.erase(words.begin());
  }
  if (!help) return false;
  *code = 0;
  if (words.empty()) {
    std::printf("%s", Overview().c_str());
    return true;
  }
  // The command, read from the first word that starts one (a flag's value
  // written after a space, as in --council demo, is not a command word).
  for (size_t start = 0; start < words.size(); ++start) {
    size_t used = 0;
    const std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(start),
                                        words.end());
    if (const Command* c = Find(rest, &used)) {
      std::printf("%s", CommandHelp(*c).c_str());
      return true;
    }
  }
  *code =
      Fail(absl::StrCat("no command \"", absl::StrJoin(words, " "), "\"; dpctl help lists them"));
  return true;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("the dpmon command line; dpctl help lists the commands");
  absl::FlagsUsageConfig config;
  config.version_string = [] {
    return dpmon::VersionText(
        "dpctl",
        {{"gRPC", grpc::Version()},
         {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)}});
  };
  absl::SetFlagsUsageConfig(config);
  std::vector<std::string> normalised = NormaliseFlagNames(argc, argv);
  if (int code = 0; AnswerHelp(normalised, &code)) return code;
  std::vector<char*> raw;
  for (std::string& a : normalised) raw.push_back(a.data());
  std::vector<char*> parsed = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  const std::vector<std::string> words(parsed.begin() + 1, parsed.end());
  if (words.empty()) {
    std::printf("%s", Overview().c_str());
    return 0;
  }
  if (const std::string f = absl::GetFlag(FLAGS_format); f != "table" && f != "json") {
    return Fail(
        absl::StrCat("--format is the output format, table or json; a feed file's format is "
                     "--file_format (csv, ofx or camt053), not --format=",
                     f));
  }
  size_t used = 0;
  const Command* command = Find(words, &used);
  if (command == nullptr) {
    return Fail(
        absl::StrCat("unknown command \"", absl::StrJoin(words, " "), "\"; dpctl help lists them"));
  }
  const std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(used),
                                      words.end());
  if (command->max_args != kManyArgs && static_cast<int>(args.size()) > command->max_args) {
    return Fail(absl::StrCat(command->words, ": unexpected \"", args[command->max_args],
                             "\"; usage: dpctl ", command->words, " ", command->synopsis,
                             " (dpctl help ", command->words, ")"));
  }
  const bool server_given = std::any_of(
      normalised.begin(), normalised.end(),
      [](const std::string& a) { return a == "--server" || a.rfind("--server=", 0) == 0; });
  absl::StatusOr<dpmon::ClientOptions> options = ClientOptionsFromFlags(server_given);
  if (!options.ok()) return Fail(options.status());
  dpmon::Client client(*options);
  return command->run(client, args);
}

}  // namespace
}  // namespace dpctl

int main(int argc, char** argv) { return dpctl::Main(argc, argv); }
