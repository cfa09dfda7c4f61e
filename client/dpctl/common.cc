#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/dpctl/dpctl.h"
#include "common/names.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "dpmon-server address.");
ABSL_FLAG(int, deadline_seconds, 60, "Deadline of each call, in seconds.");
ABSL_FLAG(std::string, council, "", "Council id.");
ABSL_FLAG(std::string, account, "", "Account id.");
ABSL_FLAG(std::string, filter, "",
          "List filter, e.g. \"status = ACTIVE AND holding = PREPAID_CARD\".");
ABSL_FLAG(std::string, as_of, "", "Date YYYY-MM-DD.");
ABSL_FLAG(std::string, from, "", "First date YYYY-MM-DD (inclusive).");
ABSL_FLAG(std::string, to, "",
          "Last date YYYY-MM-DD (inclusive); admin backup create: the backup directory.");
ABSL_FLAG(std::string, format, "table", "table (for people) or json (one object a line).");
ABSL_FLAG(std::string, kind, "", "Flag kind, e.g. SURPLUS.");
ABSL_FLAG(std::string, source, "",
          "The feed, by its source id (e.g. cardco): accounts add-ref, feed push, transactions "
          "recategorise.");
ABSL_FLAG(std::string, ref, "", "accounts add-ref: the account's reference in that feed.");
ABSL_FLAG(std::string, state, "",
          "Flag states, comma-separated: OPEN,ACKNOWLEDGED,RESOLVED,CLEARED.");
ABSL_FLAG(std::string, subject, "", "Flag subject (e.g. cardco:T6, RESPITE, 2026-02-28).");
ABSL_FLAG(std::string, note, "", "Note recorded with an acknowledgement or resolution.");
ABSL_FLAG(std::string, actor, "", "Who acknowledges or resolves (default: $USER).");
ABSL_FLAG(std::string, key_file, "", "File holding the API key (see the top of dpctl --help).");
ABSL_FLAG(bool, tls, false, "Talk TLS to the server.");
ABSL_FLAG(std::string, tls_ca_file, "", "PEM CAs for the server's certificate (default: system).");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM client certificate (mTLS).");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_server_name, "", "Name to check the server certificate against.");
ABSL_FLAG(std::string, name, "", "admin keys create: what the key is for.");
ABSL_FLAG(std::string, role, "", "admin keys create: FEED, OFFICER, AUDITOR or ADMIN.");
ABSL_FLAG(std::string, councils, "", "admin keys create: council ids, comma-separated.");
ABSL_FLAG(bool, all_councils, false, "admin keys create: every council.");
ABSL_FLAG(std::string, sources, "", "admin keys create: FEED sources, comma-separated.");
ABSL_FLAG(std::string, expires, "", "admin keys create: RFC 3339 expiry.");
ABSL_FLAG(std::string, cert_cn, "", "admin keys create: a client certificate common name.");
ABSL_FLAG(bool, show_revoked, false, "admin keys list: revoked keys too.");
ABSL_FLAG(std::string, key, "", "admin access-log: one key's calls (KEY_ID).");
ABSL_FLAG(std::string, since, "", "admin access-log: from (RFC 3339, inclusive).");
ABSL_FLAG(std::string, until, "", "admin access-log: to (RFC 3339, exclusive).");
ABSL_FLAG(int, limit, 100, "admin access-log: at most this many entries.");
ABSL_FLAG(std::string, dir, "",
          "admin backup list|verify|prune: the backup directory (default: the server's "
          "--backup_dir).");
ABSL_FLAG(int, keep, 0, "admin backup prune: how many of the newest backups to keep.");
ABSL_FLAG(int, max_problems, 0, "admin check: how many problems to list (default 100).");
ABSL_FLAG(int, within, 0, "audit due|run: days ahead (0: the council's due_soon_days).");
ABSL_FLAG(std::string, out, "", "audit pack|run: the directory to write into.");
ABSL_FLAG(std::string, date, "", "audit record, recovery record: the date.");
ABSL_FLAG(std::string, period_end, "", "audit record: the end of the audited period.");
ABSL_FLAG(std::string, auditor, "", "audit record: who audited.");
ABSL_FLAG(std::string, id, "",
          "recovery record: the recovery's id; transactions recategorise: the external id.");
ABSL_FLAG(int64_t, amount, 0, "recovery record: pence to recover.");
ABSL_FLAG(std::string, method, "", "recovery record: how.");
ABSL_FLAG(std::string, file_format, "",
          "feed push: the files' format, csv, ofx, camt053 or mt940.");
ABSL_FLAG(std::string, charset, "",
          "feed push: how the files' bytes are read (utf-8, windows-1252, iso-8859-1, cp852), "
          "overriding what a file or mapping says.");
ABSL_FLAG(std::string, mapping, "", "feed push --file_format csv: the column mapping file.");
ABSL_FLAG(std::string, preset, "",
          "feed push --file_format csv: a built-in mapping (prepaid-card, bank).");
ABSL_FLAG(std::string, account_ref, "",
          "feed push: the account reference of files that do not say (one account per file).");
ABSL_FLAG(std::string, category, "", "transactions recategorise: the new category.");
ABSL_FLAG(int, batch_size, 1000, "import: items per ingest call (1..10000).");
ABSL_FLAG(bool, progress, true, "import: show progress when stderr is a terminal.");

namespace dpctl {

int Fail(const std::string& message) {
  std::fprintf(stderr, "dpctl: %s\n", message.c_str());
  return kExitFailure;
}

namespace {
struct CallContext {
  std::string server, server_origin, key_from;
};
CallContext& Context() {
  static CallContext context;
  return context;
}
}  // namespace

void SetCallContext(const std::string& server, const std::string& server_origin,
                    const std::string& key_from) {
  Context() = {server, server_origin, key_from};
}

int Fail(const absl::Status& s) {
  std::string message = absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
  const CallContext& c = Context();
  if (s.code() == absl::StatusCode::kUnavailable && !c.server.empty()) {
    absl::StrAppend(&message, "\ndpctl: cannot reach dpmon-server at ", c.server, " (from ",
                    c.server_origin,
                    "). Is it running there? Give its address with --server=HOST:PORT or "
                    "$DPMON_SERVER; with TLS, add --tls (and --tls_ca_file).");
  } else if (s.code() == absl::StatusCode::kUnauthenticated) {
    absl::StrAppend(&message, "\ndpctl: the key sent: ", c.key_from.empty() ? "none" : c.key_from,
                    ". ", dpmon::kKeySources);
  }
  return Fail(message);
}

bool Json() { return absl::GetFlag(FLAGS_format) == "json"; }

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::printf("%s\n", out.c_str());
}

std::string Require(const std::string& flag, const std::string& value) {
  if (value.empty()) {
    std::fprintf(stderr, "dpctl: --%s is required\n", flag.c_str());
    std::exit(kExitFailure);
  }
  return value;
}

std::string CouncilName() {
  return dpmon::CouncilName(Require("council", absl::GetFlag(FLAGS_council)));
}
std::string AccountName() {
  return dpmon::AccountName(Require("council", absl::GetFlag(FLAGS_council)),
                            Require("account", absl::GetFlag(FLAGS_account)));
}

int NoArgs(const std::vector<std::string>& args, const char* command) {
  if (args.empty()) return 0;
  return Fail(absl::StrCat(command, ": unexpected \"", args[0], "\"; see dpctl help"));
}

}  // namespace dpctl
