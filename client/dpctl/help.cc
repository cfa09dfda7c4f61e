// dpctl's help, man page and bash completion, made from the command table
// (client/dpctl/*.cc) and the flags themselves, so that none can fall
// behind the commands. Examples are kept here, by command; a test checks
// that every command has them and that each names its command and only
// flags that exist.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/dpctl/dpctl.h"
#include "common/flag_help.h"
#include "common/version.h"

namespace dpctl {
namespace {

// Flags every command takes.
const std::vector<const char*>& GlobalFlags() {
  static const std::vector<const char*> flags = {
      "server",      "key_file",      "format",       "deadline_seconds", "tls",
      "tls_ca_file", "tls_cert_file", "tls_key_file", "tls_server_name"};
  return flags;
}

const std::map<std::string, std::vector<std::string>>& Examples() {
  static const std::map<std::string, std::vector<std::string>> examples = {
      {"import",
       {"dpctl import ../shared/scenarios/council-demo.jsonl",
        "dpctl import --batch_size=5000 accounts.jsonl"}},
      {"transactions list",
       {"dpctl transactions list --council=demo --account=A10100000 --from=2024-12-01",
        "dpctl transactions list --council=demo --account=A10100000 --format=json"}},
      {"transactions recategorise",
       {"dpctl transactions recategorise --council=demo --account=A10100000 --source=pfs "
        "--id=T123 --category=RESPITE --note=\"receipt seen\"",
        "dpctl transactions recategorise --council=demo --account=A10100000 --source=pfs --id=T124 "
        "--category=UNCATEGORISED --note=\"wrong category\" --actor=\"J. Smith\""}},
      {"statements list",
       {"dpctl statements list --council=demo --account=A10100000",
        "dpctl statements list --council=demo --account=A10100000 --from=2025-01-01"}},
      {"balance",
       {"dpctl balance --council=demo --account=A10100000 --as_of=2025-12-31",
        "dpctl balance --council=demo --account=A10100000 --as_of=2025-12-31 --format=json"}},
      {"totals",
       {"dpctl totals --council=demo --account=A10100000 --from=2024-05-20 --to=2024-12-31",
        "dpctl totals --council=demo --account=A10100000 --from=2024-01-01 --to=2024-12-31 "
        "--format=json"}},
      {"suspense list",
       {"dpctl suspense list --council=demo", "dpctl suspense --council=demo --format=json",
        "dpctl suspense list --council=demo --as-of=2025-06-30"}},
      {"councils list", {"dpctl councils list", "dpctl councils --format=json"}},
      {"councils get",
       {"dpctl councils get --council=demo", "dpctl councils get --council=demo --format=json"}},
      {"accounts list",
       {"dpctl accounts list --council=demo",
        "dpctl accounts list --council=demo --filter=\"status = ACTIVE AND holding = "
        "PREPAID_CARD\""}},
      {"accounts get",
       {"dpctl accounts get --council=demo --account=A10100003",
        "dpctl accounts get --council=demo --account=A10100003 --format=json"}},
      {"accounts add-ref",
       {"dpctl accounts add-ref --council=demo --account=A10100003 --source=pfs --ref=CARD-78",
        "dpctl accounts add-ref --council=demo --account=A10100003 --source=lloyds "
        "--ref=\"30-99-50 12345678\""}},
      {"whoami",
       {"dpctl whoami", "DPMON_API_KEY=dpmon_... dpctl whoami", "dpctl whoami --format=json"}},
      {"evaluate",
       {"dpctl evaluate --council=demo", "dpctl evaluate --council=demo --as-of=2025-12-31"}},
      {"flags list",
       {"dpctl flags --council=demo --as-of=2025-12-31",
        "dpctl flags list --council=demo --kind=SURPLUS --state=OPEN,ACKNOWLEDGED",
        "dpctl flags list --council=demo --account=A10100003"}},
      {"flags counts",
       {"dpctl flags counts --council=demo", "dpctl flags counts --council=demo --format=json"}},
      {"flags ack",
       {"dpctl flags ack --council=demo --account=A10100003 --kind=SURPLUS --note=\"letter "
        "sent\"",
        "dpctl flags ack --council=demo --account=A10100003 --kind=REVIEW_DUE --subject=2026-02-28 "
        "--note=\"review booked\" --actor=\"J. Smith\""}},
      {"flags resolve",
       {"dpctl flags resolve --council=demo --account=A10100003 --kind=RESTRICTED_SPEND "
        "--subject=pfs:T6 --note=\"refunded\"",
        "dpctl flags resolve --council=demo --account=A10100003 --kind=EVIDENCE_REQUIRED "
        "--subject=pfs:T9 --note=\"receipt on file\""}},
      {"overview",
       {"dpctl overview --council=demo --account=A10100003 --as-of=2025-12-31",
        "dpctl overview --council=demo --account=A10100003 --format=json"}},
      {"audit due",
       {"dpctl audit due --council=demo --as-of=2026-06-30",
        "dpctl audit due --council=demo --within=60"}},
      {"audit risks",
       {"dpctl audit risks --council=demo --as-of=2025-12-31",
        "dpctl audit risks --council=demo --format=json"}},
      {"audit pack",
       {"dpctl audit pack --council=demo --account=A10100003 --from=2025-01-01 --to=2025-12-31 "
        "--out=packs",
        "dpctl audit pack --council=demo --account=A10100003 --from=2025-07-01 --to=2025-12-31 "
        "--out=/var/lib/dpmon-audit/A10100003"}},
      {"audit run",
       {"dpctl audit run --council=demo --as-of=2026-06-30 --out=packs",
        "dpctl audit run --council=demo --out=/var/lib/dpmon-audit"}},
      {"audit record",
       {"dpctl audit record --council=demo --account=A10100003 --date=2026-01-15 "
        "--period_end=2025-12-31 --auditor=\"J. Smith\"",
        "dpctl audit record --council=demo --account=A10100003 --date=2026-01-15 "
        "--period_end=2025-12-31 --auditor=\"J. Smith\" --note=\"receipts for every PA payment\""}},
      {"recovery record",
       {"dpctl recovery record --council=demo --account=A10100003 --id=R1 --amount=120000 "
        "--method=INVOICE --date=2026-01-20",
        "dpctl recovery record --council=demo --account=A10100003 --id=R2 --amount=50000 "
        "--method=REDUCE_FUTURE_PAYMENTS --date=2026-02-01 --note=\"agreed with the family\""}},
      {"feed push",
       {"dpctl feed push --council=demo --source=pfs --file_format=csv --preset=prepaid-card "
        "tests/feeds/prepaid-card.csv",
        "dpctl feed push --council=demo --source=lloyds --file_format=mt940 statement.sta",
        "dpctl feed push --council=demo --source=bank --file_format=ofx --format=json "
        "export.ofx"}},
      {"admin keys create",
       {"dpctl admin keys create --name=\"cardco feed\" --role=FEED --councils=demo "
        "--sources=cardco",
        "dpctl admin keys create --name=\"J. Smith, DP officer\" --role=OFFICER "
        "--councils=demo"}},
      {"admin keys list",
       {"dpctl admin keys list", "dpctl admin keys list --show_revoked",
        "dpctl admin keys list --show_revoked --as-of=2026-03-31"}},
      {"admin keys revoke",
       {"dpctl admin keys revoke KEY_ID", "dpctl admin keys revoke KEY_ID --format=json"}},
      {"admin access-log",
       {"dpctl admin access-log --council=demo --account=A10100003",
        "dpctl admin access-log --key=KEY_ID --since=2026-11-01T00:00:00Z"}},
      {"admin backup create",
       {"dpctl admin backup create", "dpctl admin backup create --to=/var/lib/dpmon-backups"}},
      {"admin backup list",
       {"dpctl admin backup list", "dpctl admin backup list --dir=/var/lib/dpmon-backups"}},
      {"admin backup verify",
       {"dpctl admin backup verify", "dpctl admin backup verify 3 --dir=/var/lib/dpmon-backups"}},
      {"admin backup prune",
       {"dpctl admin backup prune --keep=14",
        "dpctl admin backup prune --keep=7 --dir=/var/lib/dpmon-backups"}},
      {"admin check", {"dpctl admin check", "dpctl admin check --council=demo"}},
  };
  return examples;
}

constexpr const char* kExitStatus =
    "0 success; 1 failure (bad usage, a server that cannot be reached, an error); 3 finished, "
    "but some lines or entries were rejected (invalid, conflicting, denied).";

constexpr const char* kKeyText =
    "The API key comes from $DPMON_API_KEY, else --key_file, else $DPMON_KEY_FILE, else "
    "./data/dpmon-admin.key (the quick start's); never from an argument, which `ps` would show.";

constexpr const char* kServerText =
    "The server is --server, else $DPMON_SERVER, else 127.0.0.1:50051.";

}  // namespace

std::vector<std::string> FlagsOf(const Command& c) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (absl::string_view token :
       absl::StrSplit(c.synopsis, absl::ByAnyChar(" []()|"), absl::SkipEmpty())) {
    if (token.size() < 3 || token.substr(0, 2) != "--") continue;
    std::string name(token.substr(2, token.find('=') == absl::string_view::npos
                                         ? absl::string_view::npos
                                         : token.find('=') - 2));
    for (char& ch : name) {
      if (ch == '-') ch = '_';
    }
    if (seen.insert(name).second) out.push_back(name);
  }
  return out;
}

const std::vector<std::string>& ExamplesOf(const Command& c) {
  static const std::vector<std::string> none;
  auto it = Examples().find(c.words);
  return it == Examples().end() ? none : it->second;
}

std::string Overview() {
  std::string out =
      "dpctl: the dpmon command line for operators and cron jobs.\n\n"
      "Usage: dpctl COMMAND [FLAGS] [ARGS]\n"
      "       dpctl help [COMMAND]    dpctl COMMAND --help    dpctl --version\n";
  for (const auto& [area, commands] : Areas()) {
    absl::StrAppend(&out, "\n", area, ":\n");
    for (const Command& c : *commands) {
      const int pad = std::max(2, 26 - static_cast<int>(std::string(c.words).size()));
      absl::StrAppend(&out, "  ", c.words, std::string(static_cast<size_t>(pad), ' '), c.summary,
                      "\n");
    }
  }
  absl::StrAppend(&out, "\nFlags every command takes:\n");
  for (const char* f : GlobalFlags()) absl::StrAppend(&out, dpmon::FlagHelp(f));
  absl::StrAppend(
      &out, "\nA verb left out is \"list\" (dpctl flags = dpctl flags list). ",
      "Flag names take dashes or underscores (--as-of, --as_of).\n", kKeyText, "\n", kServerText,
      "\nOutput is text for people; --format=json prints one JSON object "
      "a line.\nExit status: ",
      kExitStatus, "\n", "`dpctl help COMMAND` shows a command's flags and examples; man dpctl.\n");
  return out;
}

std::string CommandHelp(const Command& c) {
  std::string out = absl::StrCat("Usage: dpctl ", c.words, *c.synopsis ? " " : "", c.synopsis,
                                 "\n\n", c.summary, ".\n");
  const std::vector<std::string> flags = FlagsOf(c);
  if (!flags.empty()) {
    absl::StrAppend(&out, "\nFlags:\n");
    for (const std::string& f : flags) absl::StrAppend(&out, dpmon::FlagHelp(f));
  }
  absl::StrAppend(&out, "\nExamples:\n");
  for (const std::string& e : ExamplesOf(c)) absl::StrAppend(&out, "  ", e, "\n");
  absl::StrAppend(&out, "\nExit status: ", kExitStatus, "\n",
                  "Flags every command takes (--server, --key_file, --format, ...): dpctl help.\n");
  return out;
}

std::string ManPage() {
  using dpmon::RoffEscape;
  std::string out = absl::StrCat(
      ".TH DPCTL 1 \"\" \"dpmon ", RoffEscape(dpmon::DpmonVersion()), "\" \"dpmon\"\n",
      ".SH NAME\ndpctl \\- the dpmon command line for operators and cron jobs\n",
      ".SH SYNOPSIS\n.B dpctl\n\\fICOMMAND\\fR [\\fIFLAGS\\fR] [\\fIARGS\\fR]\n",
      ".SH DESCRIPTION\ndpctl calls a dpmon\\-server over gRPC: imports, feeds, balances, flags, "
      "audits, keys and backups. ",
      RoffEscape(kKeyText), " ", RoffEscape(kServerText), "\n");
  for (const auto& [area, commands] : Areas()) {
    absl::StrAppend(&out, ".SH COMMANDS: ", RoffEscape(absl::AsciiStrToUpper(area)), "\n");
    for (const Command& c : *commands) {
      absl::StrAppend(&out, ".TP\n.B dpctl ", RoffEscape(c.words), "\n",
                      *c.synopsis ? absl::StrCat(RoffEscape(c.synopsis), "\n.br\n") : "",
                      RoffEscape(c.summary), ".\n");
      for (const std::string& e : ExamplesOf(c)) {
        absl::StrAppend(&out, ".br\nExample: \\fC", RoffEscape(e), "\\fR\n");
      }
    }
  }
  absl::StrAppend(&out, ".SH FLAGS\n");
  std::set<std::string> flags;
  for (const char* f : GlobalFlags()) flags.insert(f);
  for (const auto& [area, commands] : Areas()) {
    for (const Command& c : *commands) {
      for (const std::string& f : FlagsOf(c)) flags.insert(f);
    }
  }
  for (const std::string& f : flags) absl::StrAppend(&out, dpmon::FlagManEntry(f));
  absl::StrAppend(&out, ".SH EXIT STATUS\n", RoffEscape(kExitStatus), "\n",
                  ".SH ENVIRONMENT\n.TP\n.B DPMON_API_KEY\nThe API key.\n.TP\n"
                  ".B DPMON_KEY_FILE\nA file holding the API key.\n.TP\n"
                  ".B DPMON_SERVER\nThe server's address, when \\-\\-server is not given.\n",
                  ".SH SEE ALSO\n.BR dpmon\\-server (8)\n");
  return out;
}

std::string BashCompletion() {
  std::string commands, cases, globals;
  for (const char* f : GlobalFlags()) absl::StrAppend(&globals, " --", f);
  for (const auto& [area, commands_of_area] : Areas()) {
    for (const Command& c : *commands_of_area) {
      absl::StrAppend(&commands, " \"", c.words, "\"");
      std::string flags = globals;
      for (const std::string& f : FlagsOf(c)) absl::StrAppend(&flags, " --", f);
      absl::StrAppend(&cases, "    \"", c.words, "\") flags=\"", flags, " --help\" ;;\n");
    }
  }
  return absl::StrCat(
      "# bash completion for dpctl, made by `dpctl help --completion` from its command table.\n"
      "_dpctl() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  local commands=(",
      commands,
      " )\n"
      "  # The words typed so far that are not flags or flag values.\n"
      "  local words=() i w skip=0\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    if ((skip)); then skip=0; continue; fi\n"
      "    if [[ \"$w\" == \"=\" ]]; then skip=1; continue; fi\n"
      "    [[ \"$w\" == -* ]] || words+=(\"$w\")\n"
      "  done\n"
      "  local typed=\"${words[*]}\" cmd=\"\" c\n"
      "  for c in \"${commands[@]}\"; do\n"
      "    if [[ \"$typed\" == \"$c\" || \"$typed\" == \"$c \"* ]] && ((${#c} > ${#cmd})); then\n"
      "      cmd=\"$c\"\n"
      "    fi\n"
      "  done\n"
      "  if [[ \"$cur\" == -* ]]; then\n"
      "    local flags=\"",
      globals,
      " --help --version\"\n"
      "    case \"$cmd\" in\n",
      cases,
      "    esac\n"
      "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
      "    return\n"
      "  fi\n"
      "  if [[ -n \"$cmd\" ]]; then\n"
      "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "    return\n"
      "  fi\n"
      "  # The next word of the commands that continue what was typed.\n"
      "  local next=() n=${#words[@]} parts\n"
      "  for c in \"${commands[@]}\"; do\n"
      "    read -ra parts <<<\"$c\"\n"
      "    if ((${#parts[@]} > n)) && [[ \"${parts[*]:0:n}\" == \"$typed\" ]]; then\n"
      "      next+=(\"${parts[n]}\")\n"
      "    fi\n"
      "  done\n"
      "  ((n == 0)) && next+=(help)\n"
      "  COMPREPLY=($(compgen -W \"${next[*]}\" -- \"$cur\"))\n"
      "}\n"
      "complete -o default -F _dpctl dpctl\n");
}

}  // namespace dpctl
