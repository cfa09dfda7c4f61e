#include "server/server_help.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/flag_help.h"
#include "common/version.h"

namespace dpmon {
namespace {

struct Group {
  const char* title;
  std::vector<const char*> flags;
};

// Every flag of server/main.cc, in the group an operator looks for it in.
// A flag left out of this table is listed under "Other" (a test checks that
// there is none).
const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      {"Listening", {"listen", "threads", "shutdown_grace_seconds", "ready_file"}},
      {"Storage",
       {"data_dir", "allow_shared_data_dir", "durability", "block_cache_mib", "backup_dir",
        "backup_rate_limit_mib", "restore_from", "backup_id", "check", "compact"}},
      {"Evaluation", {"evaluate_at", "today", "evaluation_threads", "reevaluate_delay_ms"}},
      {"Security",
       {"auth", "bootstrap_key_file", "tls_cert_file", "tls_key_file", "tls_client_ca_file",
        "access_log_retention_days"}},
      {"HTTP and the dashboard", {"http_listen", "session_idle_minutes", "session_max_hours"}},
      {"Logging", {"log_format", "log_calls"}},
  };
  return groups;
}

// The groups, with "Other" for any flag of server/main.cc the table misses.
std::vector<std::pair<std::string, std::vector<std::string>>> Grouped() {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  std::set<std::string> listed;
  for (const Group& g : Groups()) {
    out.push_back({g.title, {}});
    for (const char* f : g.flags) {
      out.back().second.emplace_back(f);
      listed.insert(f);
    }
  }
  std::vector<std::string> other;
  for (const std::string& f : FlagsDefinedIn("server/main.cc")) {
    if (!listed.count(f)) other.push_back(f);
  }
  if (!other.empty()) out.push_back({"Other", other});
  return out;
}

constexpr const char* kSummary =
    "the dpmon server: the ledger of direct payment accounts in RocksDB, the monitoring rules, "
    "the gRPC API, and over HTTP the JSON face of the API and the DP team's dashboard";

}  // namespace

std::string ServerHelp() {
  std::string out = absl::StrCat("dpmon-server: ", kSummary,
                                 ".\n\nUsage: dpmon-server [--FLAG=VALUE ...]\n"
                                 "Flags may be written --flag=value or --flag value.\n");
  for (const auto& [title, flags] : Grouped()) {
    absl::StrAppend(&out, "\n", title, ":\n");
    for (const std::string& f : flags) absl::StrAppend(&out, FlagHelp(f));
  }
  absl::StrAppend(
      &out,
      "\nExit status: 0 after a clean shutdown (SIGTERM or SIGINT) or a clean --check; 1 when it "
      "cannot open its store, listen or write its first key, or --check found problems; 2 for "
      "a bad flag or setting (stderr says which).\n"
      "--helpfull lists the libraries' flags too; --version says what this build is.\n"
      "More: README.md, docs/operations.md, docs/auth.md, docs/http.md; man dpmon-server.\n");
  return out;
}

std::string ServerManPage() {
  std::string out = absl::StrCat(
      ".TH DPMON\\-SERVER 8 \"\" \"dpmon ", RoffEscape(DpmonVersion()), "\" \"dpmon\"\n",
      ".SH NAME\ndpmon\\-server \\- ", RoffEscape(kSummary), "\n",
      ".SH SYNOPSIS\n.B dpmon\\-server\n[\\fB\\-\\-FLAG\\fR=\\fIVALUE\\fR ...]\n",
      ".SH DESCRIPTION\n",
      "dpmon keeps an exact, durable ledger of each direct payment account, compares spending "
      "with the person's support plan, and flags what the council must act on. It serves gRPC "
      "on \\fB\\-\\-listen\\fR and HTTP (the JSON API and the dashboard) on "
      "\\fB\\-\\-http_listen\\fR; every acknowledged write is on disk.\n");
  for (const auto& [title, flags] : Grouped()) {
    absl::StrAppend(&out, ".SH ", RoffEscape(title), "\n");
    for (const std::string& f : flags) absl::StrAppend(&out, FlagManEntry(f));
  }
  absl::StrAppend(
      &out,
      ".SH EXIT STATUS\n0 after a clean shutdown or a clean \\-\\-check; 1 when it cannot "
      "open its store, listen or write its first key, or \\-\\-check found problems; 2 for a "
      "bad flag or setting.\n",
      ".SH FILES\n.TP\n.I DATA_DIR\nThe RocksDB directory (mode 0700).\n.TP\n"
      ".I DATA_DIR\\-admin.key\nThe first ADMIN key of a new data directory (mode 0600).\n",
      ".SH SEE ALSO\n.BR dpctl (1)\n");
  return out;
}

}  // namespace dpmon
