// dpctl: the dpmon command line for operators and cron jobs.
//
//   dpctl [--server=HOST:PORT] [--deadline_seconds=N] [--format=table|json] COMMAND ...
//
// The commands are the tables of client/dpctl/*.cc; the usage text is made
// from them (Usage below), so it cannot fall behind.
#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "client/dpctl/dpctl.h"

namespace dpctl {
namespace {

// Every area's commands, in the order the usage text lists them.
std::vector<std::pair<const char*, const std::vector<Command>*>> Areas() {
  return {{"ledger", &LedgerCommands()},
          {"councils and accounts", &AccountCommands()},
          {"monitoring", &MonitoringCommands()},
          {"audits", &AuditCommands()},
          {"feeds", &FeedCommands()},
          {"keys and the access log", &AdminCommands()}};
}

std::string Usage() {
  std::string out =
      "dpctl [--server=HOST:PORT] [--deadline_seconds=N] [--format=table|json] COMMAND ...\n";
  for (const auto& [area, commands] : Areas()) {
    absl::StrAppend(&out, "\n", area, ":\n");
    for (const Command& c : *commands) {
      absl::StrAppend(&out, "  dpctl ", c.words, *c.synopsis ? " " : "", c.synopsis, "\n      ",
                      c.summary, "\n");
    }
  }
  absl::StrAppend(
      &out,
      "\nA verb left out is \"list\" (dpctl flags = dpctl flags list).\n"
      "The API key comes from $DPMON_API_KEY, else --key_file, else $DPMON_KEY_FILE, else\n"
      "./data/dpmon-admin.key (the quick start's); never from an argument, which `ps` would "
      "show.\n"
      "--tls (with --tls_ca_file, and --tls_cert_file/--tls_key_file for client certificates)\n"
      "talks TLS. Flag names may be written with dashes or underscores (--as-of, --as_of).\n"
      "Output is text for people; --format=json prints one JSON object a line.\n"
      "Exit status: 0 success; 1 failure (bad usage, server error); 3 finished, but some\n"
      "lines or entries were rejected (invalid, conflicting, denied).\n");
  return out;
}

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

absl::StatusOr<dpmon::ClientOptions> ClientOptionsFromFlags() {
  dpmon::ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.deadline = absl::Seconds(absl::GetFlag(FLAGS_deadline_seconds));
  absl::StatusOr<std::string> key = dpmon::ResolveApiKey(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) return key.status();
  options.api_key = *key;
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

int Main(int argc, char** argv) {
  const std::string usage = Usage();
  absl::SetProgramUsageMessage(usage);
  std::vector<std::string> normalised = NormaliseFlagNames(argc, argv);
  std::vector<char*> raw;
  for (std::string& a : normalised) raw.push_back(a.data());
  std::vector<char*> parsed = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  const std::vector<std::string> words(parsed.begin() + 1, parsed.end());
  if (words.empty()) {
    std::fprintf(stderr, "%s", usage.c_str());
    return kExitFailure;
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
    return Fail(absl::StrCat("unknown command \"", absl::StrJoin(words, " "),
                             "\"; dpctl with no command lists them"));
  }
  const std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(used),
                                      words.end());
  if (command->max_args != kManyArgs && static_cast<int>(args.size()) > command->max_args) {
    return Fail(absl::StrCat(command->words, ": unexpected \"", args[command->max_args],
                             "\"; usage: dpctl ", command->words, " ", command->synopsis));
  }
  absl::StatusOr<dpmon::ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  dpmon::Client client(*options);
  return command->run(client, args);
}

}  // namespace
}  // namespace dpctl

int main(int argc, char** argv) { return dpctl::Main(argc, argv); }
