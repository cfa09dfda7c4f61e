// dpctl: the dpmon command line for operators and cron jobs.
//
//   dpctl [--server=HOST:PORT] [--deadline_seconds=N] COMMAND ...
//
// Commands:
//   import FILE.jsonl                       bulk import (DOMAIN.md format)
//   councils list | councils get --council C
//   accounts list --council C [--filter F] [--as_of D]
//   accounts get --council C --account A
//   accounts add-ref --council C --account A --source S --ref R   (attaches suspense)
//   transactions list --council C --account A [--from D] [--to D]
//   transactions recategorise --council C --account A --source S --id EXTERNAL_ID
//                             --category CAT --note N [--actor WHO]
//   statements list --council C --account A [--from D] [--to D]
//   balance --council C --account A --as_of D
//   totals --council C --account A --from D --to D
//   suspense list --council C
//   evaluate --council C [--as-of D]        evaluate every account, store the flags
//   flags --council C --as-of D             the flag report as of D (DOMAIN.md's JSON
//                                           with --format json), computed, nothing stored
//   flags --council C [--account A] [--kind K] [--state S,...]
//                                           stored flags, most severe and oldest first
//   flags counts --council C                stored flags by kind, severity and state
//   flags ack|resolve --council C --account A --kind K [--subject S] --note N --actor WHO
//   overview --council C --account A [--as-of D]
//   audit due --council C [--within DAYS] [--as-of D]   audits and reviews due, most urgent first
//   audit risks --council C [--as-of D]     every account's risk score, highest first
//   audit pack --council C --account A --from D1 --to D2 --out DIR   JSON, CSV and HTML
//   audit run --council C [--as-of D] [--within DAYS] --out DIR
//                                           the nightly job: evaluate, list what is due,
//                                           write a pack for each audit due (safe to rerun)
//   audit record --council C --account A --date D --period_end D --auditor WHO [--note N]
//   recovery record --council C --account A --id R --amount PENCE
//                   --method RECLAIM_FROM_ACCOUNT|INVOICE|REDUCE_FUTURE_PAYMENTS --date D
//                   [--note N] [--actor WHO]
//   feed push --council C --source S --format csv (--mapping FILE | --preset NAME)
//             [--account_ref R] FILE...     parse bank or card exports and push them;
//   feed push --council C --source S --format ofx|camt053 FILE...
//                                           a summary per file; pushing again changes nothing
//   whoami                                  the key this dpctl calls with
//   admin keys create --name N --role FEED|OFFICER|AUDITOR|ADMIN
//                     (--councils C1,C2 | --all_councils) [--sources S1,S2]
//                     [--expires RFC3339] [--cert_cn CN]   prints the secret once
//   admin keys list [--show_revoked]
//   admin keys revoke KEY_ID
//   admin access-log [--council C [--account A]] [--key KEY_ID] [--since T]
//                    [--until T] [--limit N]              newest first
//
// The API key comes from $DPMON_API_KEY, else --key_file, else
// $DPMON_KEY_FILE, else ./data/dpmon-admin.key (the quick start's); never
// from an argument, which `ps` would show. --tls (with --tls_ca_file, and
// --tls_cert_file/--tls_key_file for client certificates) talks TLS.
//
// Flag names may be written with dashes or underscores (--as-of, --as_of).
//
// Output is text for people; --format=json prints one JSON object a line.
// Exit status: 0 success; 1 failure (bad usage, server error); 3 an import
// finished but some lines were rejected (invalid or conflicting).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/audit_pack.h"
#include "client/client.h"
#include "client/feed_push.h"
#include "client/feeds/camt_feed.h"
#include "client/feeds/csv_feed.h"
#include "client/feeds/ofx_feed.h"
#include "client/feeds/presets.h"
#include "client/flag_report.h"
#include "client/importer.h"
#include "common/ids.h"
#include "common/money.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "dpmon-server address.");
ABSL_FLAG(int, deadline_seconds, 60, "Deadline of each call, in seconds.");
ABSL_FLAG(std::string, council, "", "Council id.");
ABSL_FLAG(std::string, account, "", "Account id.");
ABSL_FLAG(std::string, filter, "",
          "List filter, e.g. \"status = ACTIVE AND holding = PREPAID_CARD\".");
ABSL_FLAG(std::string, as_of, "", "Date YYYY-MM-DD.");
ABSL_FLAG(std::string, from, "", "First date YYYY-MM-DD (inclusive).");
ABSL_FLAG(std::string, to, "", "Last date YYYY-MM-DD (inclusive).");
ABSL_FLAG(std::string, format, "table", "table (for people) or json (one object a line).");
ABSL_FLAG(std::string, kind, "", "Flag kind, e.g. SURPLUS.");
ABSL_FLAG(std::string, source, "", "accounts add-ref: the feed (e.g. cardco).");
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
ABSL_FLAG(int, within, 0, "audit due|run: days ahead (0: the council's due_soon_days).");
ABSL_FLAG(std::string, out, "", "audit pack|run: the directory to write into.");
ABSL_FLAG(std::string, date, "", "audit record, recovery record: the date.");
ABSL_FLAG(std::string, period_end, "", "audit record: the end of the audited period.");
ABSL_FLAG(std::string, auditor, "", "audit record: who audited.");
ABSL_FLAG(std::string, id, "",
          "recovery record: the recovery's id; transactions recategorise: the external id.");
ABSL_FLAG(int64_t, amount, 0, "recovery record: pence to recover.");
ABSL_FLAG(std::string, method, "", "recovery record: how.");
ABSL_FLAG(std::string, mapping, "", "feed push --format csv: the column mapping file.");
ABSL_FLAG(std::string, preset, "",
          "feed push --format csv: a built-in mapping (prepaid-card, bank).");
ABSL_FLAG(std::string, account_ref, "",
          "feed push: the account reference of files that do not say (one account per file).");
ABSL_FLAG(std::string, category, "", "transactions recategorise: the new category.");
ABSL_FLAG(int, batch_size, 1000, "import: items per ingest call (1..10000).");
ABSL_FLAG(bool, progress, true, "import: show progress when stderr is a terminal.");

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitRejected = 3;

int Fail(const std::string& message) {
  std::fprintf(stderr, "dpctl: %s\n", message.c_str());
  return kExitFailure;
}

int Fail(const absl::Status& s) {
  return Fail(absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message()));
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
  return absl::StrCat("councils/", Require("council", absl::GetFlag(FLAGS_council)));
}
std::string AccountName() {
  return absl::StrCat(CouncilName(), "/accounts/",
                      Require("account", absl::GetFlag(FLAGS_account)));
}

// Calls a unary method with a fresh context and deadline.
template <typename Req, typename Resp, typename Call>
absl::Status Call1(dpmon::Client& client, Call call, const Req& request, Resp* response) {
  grpc::ClientContext context;
  client.PrepareContext(&context);
  return dpmon::FromGrpc(call(&context, request, response));
}

int Import(dpmon::Client& client, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(absl::StrCat("cannot read ", path));
  const bool tty = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  dpmon::ImportOptions options;
  options.batch_size = absl::GetFlag(FLAGS_batch_size);
  if (options.batch_size < 1 || options.batch_size > 10000) {
    return Fail("--batch_size must be 1..10000");
  }
  if (tty) {
    options.progress = [](int64_t line) {
      std::fprintf(stderr, "\rimporting: line %lld", static_cast<long long>(line));
    };
  }
  dpmon::Importer importer(&client, options);
  dpmon::ImportSummary summary;
  absl::Time start = absl::Now();
  absl::Status s = importer.Run(in, &summary);
  if (tty) std::fprintf(stderr, "\n");
  for (const dpmon::LineError& e : summary.rejected) {
    std::printf("line %lld: %s\n", static_cast<long long>(e.line), e.message.c_str());
  }
  std::printf("imported %s: %lld lines in %.2fs; %lld applied, %zu rejected\n", path.c_str(),
              static_cast<long long>(summary.lines), absl::ToDoubleSeconds(absl::Now() - start),
              static_cast<long long>(summary.applied), summary.rejected.size());
  for (const auto& [type, n] : summary.by_type) {
    std::printf("  %-12s %lld\n", type.c_str(), static_cast<long long>(n));
  }
  for (const auto& [outcome, n] : summary.ledger_outcomes) {
    std::printf("  ledger %-10s %lld\n", outcome.c_str(), static_cast<long long>(n));
  }
  if (!s.ok()) return Fail(s);
  return summary.rejected.empty() ? 0 : kExitRejected;
}

void PrintAccount(const dpmon::v1::Account& a) {
  if (Json()) return PrintJson(a);
  std::string refs;
  for (const auto& r : a.external_refs())
    absl::StrAppend(&refs, refs.empty() ? "" : ",", r.source(), ":", r.ref());
  std::printf("%-40s %-10s %-13s %-18s start %s refs %s\n", a.name().c_str(),
              dpmon::v1::AccountStatus_Name(a.status()).c_str(),
              dpmon::v1::Holding_Name(a.holding()).c_str(),
              dpmon::v1::Management_Name(a.management()).c_str(), a.start_date().c_str(),
              refs.c_str());
}

int Accounts(dpmon::Client& client, const std::string& verb) {
  if (verb == "get") {
    dpmon::v1::GetAccountRequest r;
    r.set_name(AccountName());
    dpmon::v1::Account a;
    absl::Status s = Call1(
        client, [&](auto* c, auto& q, auto* p) { return client.accounts().GetAccount(c, q, p); }, r,
        &a);
    if (!s.ok()) return Fail(s);
    PrintAccount(a);
    return 0;
  }
  if (verb == "add-ref") {
    // Takes a feed's reference for the account and attaches what waits in
    // suspense for it. The request_id makes a rerun (a cron retry) harmless.
    dpmon::v1::AddExternalRefRequest r;
    r.set_account(AccountName());
    r.mutable_external_ref()->set_source(Require("source", absl::GetFlag(FLAGS_source)));
    r.mutable_external_ref()->set_ref(Require("ref", absl::GetFlag(FLAGS_ref)));
    r.set_request_id(absl::StrCat("dpctl-add-ref:", r.account(), ":", r.external_ref().source(),
                                  ":", r.external_ref().ref())
                         .substr(0, 128));
    dpmon::v1::AddExternalRefResponse out;
    absl::Status s = Call1(
        client,
        [&](auto* c, auto& q, auto* p) { return client.accounts().AddExternalRef(c, q, p); }, r,
        &out);
    if (!s.ok()) return Fail(s);
    if (Json()) {
      PrintJson(out);
    } else {
      std::printf(
          "%s now holds %s/%s: attached %lld transactions and %lld statements from "
          "suspense (%lld conflicting statements left there)\n",
          r.account().c_str(), r.external_ref().source().c_str(), r.external_ref().ref().c_str(),
          static_cast<long long>(out.attached_transactions()),
          static_cast<long long>(out.attached_statements()),
          static_cast<long long>(out.conflicting_statements()));
    }
    return 0;
  }
  if (verb != "list") return Fail("accounts: list, get or add-ref");
  dpmon::v1::ListAccountsRequest r;
  r.set_parent(CouncilName());
  r.set_filter(absl::GetFlag(FLAGS_filter));
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  r.set_page_size(1000);
  do {
    dpmon::v1::ListAccountsResponse page;
    absl::Status s = Call1(
        client, [&](auto* c, auto& q, auto* p) { return client.accounts().ListAccounts(c, q, p); },
        r, &page);
    if (!s.ok()) return Fail(s);
    for (const auto& a : page.accounts()) PrintAccount(a);
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

int Recategorise(dpmon::Client& client) {
  dpmon::v1::RecategoriseTransactionRequest r;
  r.set_account(AccountName());
  r.set_source(Require("source", absl::GetFlag(FLAGS_source)));
  r.set_external_id(Require("id", absl::GetFlag(FLAGS_id)));
  dpmon::v1::Category category;
  if (!dpmon::v1::Category_Parse(absl::GetFlag(FLAGS_category), &category)) {
    return Fail("--category must be a category name such as PA_WAGES");
  }
  r.set_category(category);
  r.set_note(Require("note", absl::GetFlag(FLAGS_note)));
  std::string actor = absl::GetFlag(FLAGS_actor);
  if (actor.empty() && std::getenv("USER") != nullptr) actor = std::getenv("USER");
  r.set_actor(actor);
  dpmon::v1::Transaction t;
  absl::Status s = Call1(
      client,
      [&](auto* c, auto& q, auto* p) { return client.ledger().RecategoriseTransaction(c, q, p); },
      r, &t);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(t);
    return 0;
  }
  std::printf("%s:%s now %s (%d changes)\n", t.input().source().c_str(),
              t.input().external_id().c_str(),
              dpmon::v1::Category_Name(t.effective_category()).c_str(), t.category_history_size());
  return 0;
}

int Transactions(dpmon::Client& client) {
  dpmon::v1::ListTransactionsRequest r;
  r.set_parent(AccountName());
  r.set_start_date(absl::GetFlag(FLAGS_from));
  r.set_end_date(absl::GetFlag(FLAGS_to));
  r.set_page_size(1000);
  do {
    dpmon::v1::ListTransactionsResponse page;
    absl::Status s = Call1(
        client,
        [&](auto* c, auto& q, auto* p) { return client.ledger().ListTransactions(c, q, p); }, r,
        &page);
    if (!s.ok()) return Fail(s);
    for (const auto& t : page.transactions()) {
      if (Json()) {
        PrintJson(t);
        continue;
      }
      const auto& in = t.input();
      std::printf("%s %14s %-20s %s:%s %s%s\n", in.booking_date().c_str(),
                  dpmon::FormatPence(in.amount_pence()).c_str(),
                  dpmon::v1::Category_Name(t.effective_category()).c_str(), in.source().c_str(),
                  in.external_id().c_str(), in.counterparty().c_str(),
                  in.has_reverses() ? absl::StrCat(" (reverses ", in.reverses(), ")").c_str() : "");
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

int Statements(dpmon::Client& client) {
  dpmon::v1::ListStatementsRequest r;
  r.set_parent(AccountName());
  r.set_start_date(absl::GetFlag(FLAGS_from));
  r.set_end_date(absl::GetFlag(FLAGS_to));
  r.set_page_size(1000);
  do {
    dpmon::v1::ListStatementsResponse page;
    absl::Status s = Call1(
        client, [&](auto* c, auto& q, auto* p) { return client.ledger().ListStatements(c, q, p); },
        r, &page);
    if (!s.ok()) return Fail(s);
    for (const auto& st : page.statements()) {
      if (Json()) {
        PrintJson(st);
        continue;
      }
      std::printf("%s %14s %s\n", st.input().date().c_str(),
                  dpmon::FormatPence(st.input().closing_balance_pence()).c_str(),
                  st.input().source().c_str());
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

int Balance(dpmon::Client& client) {
  dpmon::v1::GetBalanceRequest r;
  r.set_account(AccountName());
  r.set_as_of_date(Require("as_of", absl::GetFlag(FLAGS_as_of)));
  dpmon::v1::Balance b;
  absl::Status s = Call1(
      client, [&](auto* c, auto& q, auto* p) { return client.ledger().GetBalance(c, q, p); }, r,
      &b);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(b);
  } else {
    std::printf("%s as of %s: %s (%lld pence, %lld transactions)\n", b.account().c_str(),
                b.as_of_date().c_str(), dpmon::FormatPence(b.balance_pence()).c_str(),
                static_cast<long long>(b.balance_pence()),
                static_cast<long long>(b.transaction_count()));
  }
  return 0;
}

int Totals(dpmon::Client& client) {
  dpmon::v1::GetCategoryTotalsRequest r;
  r.set_account(AccountName());
  r.set_start_date(Require("from", absl::GetFlag(FLAGS_from)));
  r.set_end_date(Require("to", absl::GetFlag(FLAGS_to)));
  dpmon::v1::CategoryTotals t;
  absl::Status s = Call1(
      client, [&](auto* c, auto& q, auto* p) { return client.ledger().GetCategoryTotals(c, q, p); },
      r, &t);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(t);
    return 0;
  }
  for (const auto& row : t.totals()) {
    std::printf("%-20s %-6s %14s %6lld\n", dpmon::v1::Category_Name(row.category()).c_str(),
                dpmon::v1::Direction_Name(row.direction()).c_str(),
                dpmon::FormatPence(row.net_pence()).c_str(),
                static_cast<long long>(row.transaction_count()));
  }
  std::printf("%-27s %14s %6lld\n", "net", dpmon::FormatPence(t.net_pence()).c_str(),
              static_cast<long long>(t.transaction_count()));
  return 0;
}

int Suspense(dpmon::Client& client) {
  dpmon::v1::ListSuspenseRequest r;
  r.set_parent(CouncilName());
  r.set_page_size(1000);
  do {
    dpmon::v1::ListSuspenseResponse page;
    absl::Status s = Call1(
        client, [&](auto* c, auto& q, auto* p) { return client.ledger().ListSuspense(c, q, p); }, r,
        &page);
    if (!s.ok()) return Fail(s);
    for (const auto& item : page.items()) {
      if (Json()) {
        PrintJson(item);
      } else if (item.has_transaction()) {
        std::printf("%s:%s transaction %s %s %s\n", item.source().c_str(),
                    item.account_ref().c_str(), item.transaction().external_id().c_str(),
                    item.transaction().booking_date().c_str(),
                    dpmon::FormatPence(item.transaction().amount_pence()).c_str());
      } else {
        std::printf("%s:%s statement %s %s\n", item.source().c_str(), item.account_ref().c_str(),
                    item.statement().date().c_str(),
                    dpmon::FormatPence(item.statement().closing_balance_pence()).c_str());
      }
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

int Councils(dpmon::Client& client, const std::string& verb) {
  if (verb == "get") {
    dpmon::v1::GetCouncilRequest r;
    r.set_name(CouncilName());
    dpmon::v1::Council c;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.councils().GetCouncil(x, q, p); }, r,
        &c);
    if (!s.ok()) return Fail(s);
    PrintJson(c);
    return 0;
  }
  dpmon::v1::ListCouncilsRequest r;
  r.set_page_size(1000);
  do {
    dpmon::v1::ListCouncilsResponse page;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.councils().ListCouncils(x, q, p); },
        r, &page);
    if (!s.ok()) return Fail(s);
    for (const auto& c : page.councils()) {
      if (Json()) {
        PrintJson(c);
      } else {
        std::printf("%-30s %s\n", c.name().c_str(), c.display_name().c_str());
      }
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

}  // namespace

// ---- audit jobs ----

const char* DueKindName(dpmon::v1::DueKind k) {
  return k == dpmon::v1::AUDIT ? "audit" : k == dpmon::v1::FINAL_AUDIT ? "final audit" : "review";
}

// Every due entry, all pages.
absl::Status AllDue(dpmon::Client& client, const std::string& council, const std::string& as_of,
                    int within, std::vector<dpmon::v1::DueEntry>* out, std::string* as_of_out) {
  dpmon::v1::ListAuditsDueRequest r;
  r.set_council(council);
  r.set_as_of_date(as_of);
  r.set_within_days(within);
  r.set_page_size(1000);
  do {
    dpmon::v1::ListAuditsDueResponse page;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.audits().ListAuditsDue(x, q, p); },
        r, &page);
    if (!s.ok()) return s;
    for (const auto& e : page.entries()) out->push_back(e);
    *as_of_out = page.as_of_date();
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return absl::OkStatus();
}

void PrintDue(const dpmon::v1::DueEntry& e) {
  if (Json()) {
    PrintJson(e);
    return;
  }
  std::printf("%-40s %-12s due %s  %s  risk %3d%s\n", e.account().c_str(), DueKindName(e.kind()),
              e.due_date().c_str(),
              e.days_overdue() > 0 ? absl::StrFormat("%4d days overdue", e.days_overdue()).c_str()
                                   : absl::StrFormat("in %4d days     ", -e.days_overdue()).c_str(),
              e.risk().score(),
              e.period_start().empty()
                  ? ""
                  : absl::StrCat("  period ", e.period_start(), "..", e.period_end()).c_str());
}

std::string DueCsv(const std::vector<dpmon::v1::DueEntry>& entries) {
  std::string out = "account,kind,due_date,days_overdue,risk,period_start,period_end\r\n";
  for (const auto& e : entries) {
    absl::StrAppend(&out, dpmon::CsvField(e.account()), ",", dpmon::v1::DueKind_Name(e.kind()), ",",
                    e.due_date(), ",", e.days_overdue(), ",", e.risk().score(), ",",
                    e.period_start(), ",", e.period_end(), "\r\n");
  }
  return out;
}

int AuditDue(dpmon::Client& client) {
  std::vector<dpmon::v1::DueEntry> entries;
  std::string as_of;
  absl::Status s = AllDue(client, CouncilName(), absl::GetFlag(FLAGS_as_of),
                          absl::GetFlag(FLAGS_within), &entries, &as_of);
  if (!s.ok()) return Fail(s);
  if (!Json()) std::printf("as of %s: %zu due\n", as_of.c_str(), entries.size());
  for (const auto& e : entries) PrintDue(e);
  return 0;
}

int AuditRisks(dpmon::Client& client) {
  dpmon::v1::ListAccountRisksRequest r;
  r.set_council(CouncilName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  r.set_page_size(1000);
  do {
    dpmon::v1::ListAccountRisksResponse page;
    absl::Status s = Call1(
        client,
        [&](auto* x, auto& q, auto* p) { return client.audits().ListAccountRisks(x, q, p); }, r,
        &page);
    if (!s.ok()) return Fail(s);
    for (const auto& a : page.accounts()) {
      if (Json()) {
        PrintJson(a);
        continue;
      }
      std::printf("%-40s risk %3d (flags %2d, management %2d, amount %2d, audit age %2d) %s %s\n",
                  a.account().c_str(), a.risk().score(), a.risk().flags_points(),
                  a.risk().management_points(), a.risk().amount_points(),
                  a.risk().audit_age_points(), dpmon::v1::Management_Name(a.management()).c_str(),
                  dpmon::FormatPence(a.balance_pence()).c_str());
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return 0;
}

absl::Status FetchPack(dpmon::Client& client, const std::string& account, const std::string& from,
                       const std::string& to, dpmon::v1::AuditPack* pack) {
  dpmon::v1::GetAuditPackRequest r;
  r.set_account(account);
  r.set_start_date(from);
  r.set_end_date(to);
  return Call1(
      client, [&](auto* x, auto& q, auto* p) { return client.audits().GetAuditPack(x, q, p); }, r,
      pack);
}

int AuditPack(dpmon::Client& client) {
  const std::string out = Require("out", absl::GetFlag(FLAGS_out));
  dpmon::v1::AuditPack pack;
  absl::Status s = FetchPack(client, AccountName(), Require("from", absl::GetFlag(FLAGS_from)),
                             Require("to", absl::GetFlag(FLAGS_to)), &pack);
  if (!s.ok()) return Fail(s);
  if (s = dpmon::WriteAuditPack(pack, out); !s.ok()) return Fail(s);
  std::printf("wrote %s (pack.json, pack.html, %zu CSV files)\n", out.c_str(),
              dpmon::RenderAuditPack(pack).size() - 2);
  return 0;
}

// The nightly job. Everything it writes depends only on the server's data
// and --as-of, so running it again writes the same bytes.
int AuditRun(dpmon::Client& client) {
  const std::string out = Require("out", absl::GetFlag(FLAGS_out));
  const std::string council = CouncilName();
  const std::string council_id = Require("council", absl::GetFlag(FLAGS_council));
  dpmon::v1::EvaluateCouncilRequest er;
  er.set_council(council);
  er.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  dpmon::v1::EvaluateCouncilResponse evaluated;
  absl::Status s = Call1(
      client,
      [&](auto* c, auto& q, auto* p) { return client.monitoring().EvaluateCouncil(c, q, p); }, er,
      &evaluated);
  if (!s.ok()) return Fail(absl::StrCat("evaluating: ", s.ToString()));
  std::fprintf(stderr, "evaluated %lld accounts as of %s: %lld raised, %lld cleared\n",
               static_cast<long long>(evaluated.accounts()), evaluated.as_of_date().c_str(),
               static_cast<long long>(evaluated.raised()),
               static_cast<long long>(evaluated.cleared()));
  std::vector<dpmon::v1::DueEntry> entries;
  std::string as_of;
  s = AllDue(client, council, evaluated.as_of_date(), absl::GetFlag(FLAGS_within), &entries,
             &as_of);
  if (!s.ok()) return Fail(absl::StrCat("listing what is due: ", s.ToString()));
  const std::string base = absl::StrCat(out, "/", council_id, "/", as_of);
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return Fail(absl::StrCat("cannot create ", base, ": ", ec.message()));
  if (absl::Status s = dpmon::WriteFileAtomically(base + "/due.csv", DueCsv(entries)); !s.ok()) {
    return Fail(s);
  }
  int packs = 0, failed = 0;
  for (const auto& e : entries) {
    if (e.kind() == dpmon::v1::REVIEW) continue;
    dpmon::v1::AuditPack pack;
    const std::string account_id(dpmon::LastNameSegment(e.account()));
    const std::string dir =
        absl::StrCat(base, "/", account_id, "_", e.period_start(), "_", e.period_end());
    s = FetchPack(client, e.account(), e.period_start(), e.period_end(), &pack);
    if (s.ok()) s = dpmon::WriteAuditPack(pack, dir);
    if (!s.ok()) {
      std::fprintf(stderr, "dpctl: %s: %s\n", e.account().c_str(), s.ToString().c_str());
      ++failed;
      continue;
    }
    ++packs;
  }
  std::printf("%s: %zu due (audits and reviews), %d packs written to %s, %d failed\n",
              as_of.c_str(), entries.size(), packs, base.c_str(), failed);
  return failed == 0 ? 0 : kExitFailure;
}

int AuditRecord(dpmon::Client& client) {
  dpmon::v1::RecordAuditRequest r;
  r.set_account(AccountName());
  r.mutable_audit()->set_date(Require("date", absl::GetFlag(FLAGS_date)));
  r.mutable_audit()->set_period_end(Require("period_end", absl::GetFlag(FLAGS_period_end)));
  r.mutable_audit()->set_auditor(Require("auditor", absl::GetFlag(FLAGS_auditor)));
  r.mutable_audit()->set_note(absl::GetFlag(FLAGS_note));
  r.set_request_id(absl::StrCat("dpctl-audit-", r.account(), "-", r.audit().date(), "-",
                                r.audit().period_end()));
  dpmon::v1::Account a;
  absl::Status s = Call1(
      client, [&](auto* x, auto& q, auto* p) { return client.accounts().RecordAudit(x, q, p); }, r,
      &a);
  if (!s.ok()) return Fail(s);
  std::printf("recorded: %s audited %s (period to %s)\n", a.name().c_str(),
              r.audit().date().c_str(), r.audit().period_end().c_str());
  return 0;
}

int RecoveryRecord(dpmon::Client& client) {
  dpmon::v1::RecordRecoveryRequest r;
  r.set_account(AccountName());
  dpmon::v1::Recovery* rec = r.mutable_recovery();
  rec->set_id(Require("id", absl::GetFlag(FLAGS_id)));
  rec->set_amount_pence(absl::GetFlag(FLAGS_amount));
  dpmon::v1::RecoveryMethod method;
  if (!dpmon::v1::RecoveryMethod_Parse(absl::GetFlag(FLAGS_method), &method)) {
    return Fail("--method must be RECLAIM_FROM_ACCOUNT, INVOICE or REDUCE_FUTURE_PAYMENTS");
  }
  rec->set_method(method);
  rec->set_date(Require("date", absl::GetFlag(FLAGS_date)));
  rec->set_note(absl::GetFlag(FLAGS_note));
  std::string actor = absl::GetFlag(FLAGS_actor);
  if (actor.empty() && std::getenv("USER") != nullptr) actor = std::getenv("USER");
  rec->set_recorded_by(actor);
  dpmon::v1::Account a;
  absl::Status s = Call1(
      client, [&](auto* x, auto& q, auto* p) { return client.accounts().RecordRecovery(x, q, p); },
      r, &a);
  if (!s.ok()) return Fail(s);
  std::printf("recorded recovery %s on %s: %s by %s from %s\n", rec->id().c_str(), a.name().c_str(),
              dpmon::FormatPence(rec->amount_pence()).c_str(),
              dpmon::v1::RecoveryMethod_Name(method).c_str(), rec->date().c_str());
  return 0;
}

// ---- feeds ----

int FeedPush(dpmon::Client& client, const std::vector<std::string>& files) {
  const std::string council = Require("council", absl::GetFlag(FLAGS_council));
  const std::string source = Require("source", absl::GetFlag(FLAGS_source));
  const std::string format = absl::GetFlag(FLAGS_format);
  if (files.empty()) return Fail("feed push: name the files");
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  if (batch_size < 1 || batch_size > 10000) return Fail("--batch_size must be 1..10000");
  dpmon::feeds::CsvMapping mapping;
  if (format == "csv") {
    std::string text;
    if (const std::string preset = absl::GetFlag(FLAGS_preset); !preset.empty()) {
      text = dpmon::feeds::PresetMapping(preset);
      if (text.empty()) {
        return Fail(absl::StrCat("no preset \"", preset, "\"; there are ",
                                 absl::StrJoin(dpmon::feeds::PresetNames(), ", ")));
      }
    } else {
      absl::StatusOr<std::string> file =
          dpmon::ReadSmallFile(Require("mapping", absl::GetFlag(FLAGS_mapping)));
      if (!file.ok()) return Fail(file.status());
      text = *file;
    }
    absl::StatusOr<dpmon::feeds::CsvMapping> m = dpmon::feeds::CsvMapping::Parse(text);
    if (!m.ok()) return Fail(m.status());
    mapping = *m;
  } else if (format == "ofx" || format == "camt053") {
    // Nothing to set up: the file names its own accounts and fields.
  } else {
    return Fail("feed push: --format must be csv, camt053 or ofx");
  }
  const bool tty = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  int exit_code = 0;
  for (const std::string& path : files) {
    absl::StatusOr<std::string> text = dpmon::ReadSmallFile(path);
    if (!text.ok()) {
      std::fprintf(stderr, "dpctl: %s\n", std::string(text.status().message()).c_str());
      exit_code = kExitFailure;
      continue;
    }
    dpmon::PushSummary summary;
    const absl::Time start = absl::Now();
    const std::function<void(int64_t)> progress =
        tty ? std::function<void(int64_t)>([&path](int64_t done) {
          std::fprintf(stderr, "\r%s: %lld pushed", path.c_str(), static_cast<long long>(done));
        })
            : nullptr;
    dpmon::feeds::FeedResult feed;  // Problems (and, for XML formats, the entries).
    int64_t transactions = 0, statements = 0;
    absl::Status s;
    if (format == "csv") {
      // Read and push at once: the parser runs ahead by at most 20,000 entries.
      dpmon::EntryQueue queue(20000);
      std::thread producer([&] {
        feed = dpmon::feeds::ParseCsvFeed(*text, mapping, source, absl::GetFlag(FLAGS_account_ref),
                                          [&](dpmon::feeds::FeedEntry e) {
                                            (e.transaction ? transactions : statements) += 1;
                                            queue.Push(std::move(e));
                                          });
        queue.Close();
      });
      s = dpmon::PushEntries(
          client, council, [&queue](dpmon::feeds::FeedEntry* e) { return queue.Pop(e); },
          batch_size, progress, &summary);
      queue.Abandon();
      producer.join();
      dpmon::CountProblems(feed, &summary);
    } else {
      feed = format == "ofx" ? dpmon::feeds::ParseOfxFeed(*text, source)
                             : dpmon::feeds::ParseCamt053Feed(*text, source);
      for (const auto& e : feed.entries) (e.transaction ? transactions : statements) += 1;
      s = dpmon::PushFeed(
          client, council, feed, batch_size,
          [&progress](int64_t done, int64_t) {
            if (progress) progress(done);
          },
          &summary);
    }
    if (tty) std::fprintf(stderr, "\n");
    std::printf("%s: %lld transactions and %lld statements, pushed in %.2fs\n", path.c_str(),
                static_cast<long long>(transactions), static_cast<long long>(statements),
                absl::ToDoubleSeconds(absl::Now() - start));
    std::string counts;
    for (const char* o :
         {"ACCEPTED", "DUPLICATE", "CONFLICT", "SUSPENSE", "INVALID", "DENIED", "SKIPPED"}) {
      absl::StrAppend(&counts, counts.empty() ? "  " : ", ", absl::AsciiStrToLower(o), " ",
                      summary.outcomes[o]);
    }
    std::printf("%s\n", counts.c_str());
    for (const auto& p : summary.problems) {
      std::printf("  %s: %s%s%s\n", p.where.c_str(), p.outcome.c_str(),
                  p.field.empty() ? "" : (" " + p.field).c_str(),
                  p.reason.empty() ? "" : (": " + p.reason).c_str());
    }
    for (const auto& p : feed.skipped) {
      std::printf("  %s: SKIPPED %s\n", p.where.c_str(), p.reason.c_str());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "dpctl: %s: %s (%lld entries unsent)\n", path.c_str(),
                   s.ToString().c_str(), static_cast<long long>(summary.unsent));
      exit_code = kExitFailure;
    } else if (!summary.Clean() && exit_code == 0) {
      exit_code = kExitRejected;
    }
  }
  return exit_code;
}

// ---- keys and the access log ----

std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.emplace_back(part);
  }
  return out;
}

void PrintKey(const dpmon::v1::ApiKey& k) {
  if (Json()) {
    PrintJson(k);
    return;
  }
  std::string scope = k.all_councils() ? "all councils" : absl::StrJoin(k.councils(), ",");
  if (k.sources_size() > 0) absl::StrAppend(&scope, " sources=", absl::StrJoin(k.sources(), ","));
  std::printf("%-22s %-8s %-30s %s%s%s\n", k.name().c_str(), dpmon::v1::Role_Name(k.role()).c_str(),
              k.display_name().c_str(), scope.c_str(),
              k.expire_time().empty() ? "" : (" expires " + k.expire_time()).c_str(),
              k.revoke_time().empty() ? "" : (" REVOKED " + k.revoke_time()).c_str());
}

int WhoAmI(dpmon::Client& client) {
  dpmon::v1::ApiKey k;
  absl::Status s = Call1(
      client, [&](auto* x, auto& q, auto* p) { return client.identity().GetCaller(x, q, p); },
      dpmon::v1::GetCallerRequest(), &k);
  if (!s.ok()) return Fail(s);
  PrintKey(k);
  return 0;
}

int Keys(dpmon::Client& client, const std::string& verb, const std::string& arg) {
  if (verb == "create") {
    dpmon::v1::CreateApiKeyRequest r;
    dpmon::v1::ApiKey* k = r.mutable_api_key();
    k->set_display_name(absl::GetFlag(FLAGS_name));
    dpmon::v1::Role role;
    if (!dpmon::v1::Role_Parse(absl::GetFlag(FLAGS_role), &role)) {
      return Fail("admin keys create: --role must be FEED, OFFICER, AUDITOR or ADMIN");
    }
    k->set_role(role);
    for (const std::string& c : CommaList(absl::GetFlag(FLAGS_councils))) k->add_councils(c);
    k->set_all_councils(absl::GetFlag(FLAGS_all_councils));
    for (const std::string& src : CommaList(absl::GetFlag(FLAGS_sources))) k->add_sources(src);
    k->set_expire_time(absl::GetFlag(FLAGS_expires));
    if (const std::string cn = absl::GetFlag(FLAGS_cert_cn); !cn.empty()) {
      k->set_kind(dpmon::v1::CLIENT_CERTIFICATE);
      k->set_certificate_common_name(cn);
    }
    dpmon::v1::CreateApiKeyResponse out;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().CreateApiKey(x, q, p); }, r,
        &out);
    if (!s.ok()) return Fail(s);
    if (Json()) {
      PrintJson(out);
      return 0;
    }
    PrintKey(out.api_key());
    if (!out.secret().empty()) {
      std::printf("secret (shown once; keep it in a file only its user can read):\n%s\n",
                  out.secret().c_str());
    }
    return 0;
  }
  if (verb == "list") {
    dpmon::v1::ListApiKeysRequest r;
    r.set_page_size(1000);
    r.set_show_revoked(absl::GetFlag(FLAGS_show_revoked));
    do {
      dpmon::v1::ListApiKeysResponse page;
      absl::Status s = Call1(
          client, [&](auto* x, auto& q, auto* p) { return client.admin().ListApiKeys(x, q, p); }, r,
          &page);
      if (!s.ok()) return Fail(s);
      for (const auto& k : page.api_keys()) PrintKey(k);
      r.set_page_token(page.next_page_token());
    } while (!r.page_token().empty());
    return 0;
  }
  if (verb == "revoke") {
    if (arg.empty()) return Fail("admin keys revoke: name the key (KEY_ID or keys/KEY_ID)");
    dpmon::v1::RevokeApiKeyRequest r;
    r.set_name(arg.rfind("keys/", 0) == 0 ? arg : "keys/" + arg);
    dpmon::v1::ApiKey k;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().RevokeApiKey(x, q, p); }, r,
        &k);
    if (!s.ok()) return Fail(s);
    PrintKey(k);
    return 0;
  }
  return Fail("admin keys: create, list or revoke");
}

int AccessLog(dpmon::Client& client) {
  dpmon::v1::ListAccessLogRequest r;
  const std::string council = absl::GetFlag(FLAGS_council);
  const std::string account = absl::GetFlag(FLAGS_account);
  if (!account.empty()) {
    if (council.empty()) return Fail("admin access-log: --account needs --council");
    r.set_account(absl::StrCat("councils/", council, "/accounts/", account));
  } else if (!council.empty()) {
    r.set_council(absl::StrCat("councils/", council));
  }
  if (const std::string k = absl::GetFlag(FLAGS_key); !k.empty()) {
    r.set_key(k.rfind("keys/", 0) == 0 ? k : "keys/" + k);
  }
  r.set_start_time(absl::GetFlag(FLAGS_since));
  r.set_end_time(absl::GetFlag(FLAGS_until));
  int left = absl::GetFlag(FLAGS_limit);
  r.set_page_size(std::min(left, 1000));
  while (left > 0) {
    dpmon::v1::ListAccessLogResponse page;
    absl::Status s = Call1(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().ListAccessLog(x, q, p); }, r,
        &page);
    if (!s.ok()) return Fail(s);
    for (const auto& e : page.entries()) {
      if (left-- <= 0) break;
      if (Json()) {
        PrintJson(e);
        continue;
      }
      std::printf("%s %-22s %-45s %-12s %-12s %s%s\n", e.time().c_str(),
                  e.key().empty() ? "-" : e.key().c_str(), e.method().c_str(),
                  e.council().empty() ? "-" : e.council().c_str(),
                  e.account().empty() ? "-" : e.account().c_str(), e.code().c_str(),
                  e.message().empty() ? "" : (" " + e.message()).c_str());
    }
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  return 0;
}

// ---- monitoring ----

int Evaluate(dpmon::Client& client) {
  dpmon::v1::EvaluateCouncilRequest r;
  r.set_council(CouncilName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  dpmon::v1::EvaluateCouncilResponse out;
  absl::Status s = Call1(
      client,
      [&](auto* c, auto& q, auto* p) { return client.monitoring().EvaluateCouncil(c, q, p); }, r,
      &out);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(out);
  } else {
    std::printf(
        "evaluated %lld accounts of %s as of %s in %lld ms: %lld raised, %lld cleared, "
        "%lld updated\n",
        static_cast<long long>(out.accounts()), r.council().c_str(), out.as_of_date().c_str(),
        static_cast<long long>(out.duration_ms()), static_cast<long long>(out.raised()),
        static_cast<long long>(out.cleared()), static_cast<long long>(out.updated()));
  }
  return 0;
}

std::string Amount(const dpmon::v1::Flag& f) {
  return f.has_amount_pence() ? dpmon::FormatPence(f.amount_pence()) : "";
}

void PrintFlagTable(const std::vector<dpmon::v1::Flag>& flags, bool with_state) {
  std::printf("%-14s %-24s %-8s %-28s %14s %-10s%s\n", "ACCOUNT", "KIND", "SEVERITY", "SUBJECT",
              "AMOUNT", "DATE", with_state ? "  STATE         RAISED" : "");
  for (const dpmon::v1::Flag& f : flags) {
    std::printf("%-14s %-24s %-8s %-28s %14s %-10s", dpmon::LastNameSegment(f.account()).c_str(),
                dpmon::v1::FlagKind_Name(f.kind()).c_str(),
                dpmon::v1::Severity_Name(f.severity()).c_str(), f.subject().c_str(),
                Amount(f).c_str(), f.date().c_str());
    if (with_state) {
      std::printf("  %-13s %s", dpmon::v1::FlagState_Name(f.state()).c_str(),
                  f.raised_on().c_str());
    }
    std::printf("\n");
  }
  std::printf("%zu flags\n", flags.size());
}

int FlagReport(dpmon::Client& client) {
  std::vector<dpmon::v1::Flag> flags;
  dpmon::v1::ComputeFlagReportRequest r;
  r.set_council(CouncilName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  r.set_page_size(1000);
  do {
    dpmon::v1::ComputeFlagReportResponse page;
    absl::Status s = Call1(
        client,
        [&](auto* c, auto& q, auto* p) { return client.monitoring().ComputeFlagReport(c, q, p); },
        r, &page);
    if (!s.ok()) return Fail(s);
    for (dpmon::v1::Flag& f : *page.mutable_flags()) flags.push_back(std::move(f));
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  if (Json()) {
    std::fputs(dpmon::FlagReportJson(flags).c_str(), stdout);
  } else {
    PrintFlagTable(flags, false);
  }
  return 0;
}

int ListStoredFlags(dpmon::Client& client) {
  dpmon::v1::ListFlagsRequest r;
  r.set_council(CouncilName());
  r.set_page_size(1000);
  if (!absl::GetFlag(FLAGS_account).empty()) r.set_account(AccountName());
  if (const std::string k = absl::GetFlag(FLAGS_kind); !k.empty()) {
    dpmon::v1::FlagKind kind;
    if (!dpmon::v1::FlagKind_Parse(k, &kind)) return Fail(absl::StrCat("unknown --kind ", k));
    r.set_kind(kind);
  }
  for (absl::string_view st : absl::StrSplit(absl::GetFlag(FLAGS_state), ',', absl::SkipEmpty())) {
    dpmon::v1::FlagState state;
    if (!dpmon::v1::FlagState_Parse(std::string(st), &state)) {
      return Fail(absl::StrCat("unknown --state ", st));
    }
    r.add_states(state);
  }
  std::vector<dpmon::v1::Flag> flags;
  do {
    dpmon::v1::ListFlagsResponse page;
    absl::Status s = Call1(
        client, [&](auto* c, auto& q, auto* p) { return client.monitoring().ListFlags(c, q, p); },
        r, &page);
    if (!s.ok()) return Fail(s);
    for (dpmon::v1::Flag& f : *page.mutable_flags()) {
      if (Json()) {
        PrintJson(f);
      } else {
        flags.push_back(std::move(f));
      }
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  if (!Json()) PrintFlagTable(flags, true);
  return 0;
}

int CountFlags(dpmon::Client& client) {
  dpmon::v1::CountFlagsRequest r;
  r.set_council(CouncilName());
  dpmon::v1::CountFlagsResponse out;
  absl::Status s = Call1(
      client, [&](auto* c, auto& q, auto* p) { return client.monitoring().CountFlags(c, q, p); }, r,
      &out);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(out);
    return 0;
  }
  std::printf("last evaluation: as of %s, finished %s\n",
              out.evaluated_as_of_date().empty() ? "-" : out.evaluated_as_of_date().c_str(),
              out.evaluated_at().empty() ? "-" : out.evaluated_at().c_str());
  std::printf("%-24s %-8s %-13s %8s\n", "KIND", "SEVERITY", "STATE", "COUNT");
  for (const dpmon::v1::FlagCount& c : out.counts()) {
    std::printf("%-24s %-8s %-13s %8lld\n", dpmon::v1::FlagKind_Name(c.kind()).c_str(),
                dpmon::v1::Severity_Name(c.severity()).c_str(),
                dpmon::v1::FlagState_Name(c.state()).c_str(), static_cast<long long>(c.count()));
  }
  return 0;
}

int ActOnFlag(dpmon::Client& client, bool resolve) {
  dpmon::v1::ActOnFlagRequest r;
  r.set_account(AccountName());
  dpmon::v1::FlagKind kind;
  const std::string k = Require("kind", absl::GetFlag(FLAGS_kind));
  if (!dpmon::v1::FlagKind_Parse(k, &kind)) return Fail(absl::StrCat("unknown --kind ", k));
  r.set_kind(kind);
  r.set_subject(absl::GetFlag(FLAGS_subject));
  r.set_note(Require("note", absl::GetFlag(FLAGS_note)));
  std::string actor = absl::GetFlag(FLAGS_actor);
  if (actor.empty() && std::getenv("USER") != nullptr) actor = std::getenv("USER");
  r.set_actor(Require("actor", actor));
  dpmon::v1::Flag out;
  absl::Status s = Call1(
      client,
      [&](auto* c, auto& q, auto* p) {
        return resolve ? client.monitoring().ResolveFlag(c, q, p)
                       : client.monitoring().AcknowledgeFlag(c, q, p);
      },
      r, &out);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(out);
  } else {
    std::printf("%s %s %s: %s\n", dpmon::LastNameSegment(out.account()).c_str(),
                dpmon::v1::FlagKind_Name(out.kind()).c_str(), out.subject().c_str(),
                dpmon::v1::FlagState_Name(out.state()).c_str());
  }
  return 0;
}

int Flags(dpmon::Client& client, const std::string& verb) {
  if (verb == "counts") return CountFlags(client);
  if (verb == "ack") return ActOnFlag(client, false);
  if (verb == "resolve") return ActOnFlag(client, true);
  if (!verb.empty() && verb != "list") return Fail(absl::StrCat("flags: unknown verb ", verb));
  if (!absl::GetFlag(FLAGS_as_of).empty()) return FlagReport(client);
  return ListStoredFlags(client);
}

int Overview(dpmon::Client& client) {
  dpmon::v1::GetAccountOverviewRequest r;
  r.set_account(AccountName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  dpmon::v1::AccountOverview o;
  absl::Status s = Call1(
      client,
      [&](auto* c, auto& q, auto* p) { return client.monitoring().GetAccountOverview(c, q, p); }, r,
      &o);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(o);
    return 0;
  }
  std::printf("%s  %s  as of %s\n", o.account().name().c_str(),
              dpmon::v1::AccountStatus_Name(o.status()).c_str(), o.as_of_date().c_str());
  std::printf("balance %s, earmarked %s, available %s\n",
              dpmon::FormatPence(o.balance_pence()).c_str(),
              dpmon::FormatPence(o.earmarked_pence()).c_str(),
              dpmon::FormatPence(o.available_pence()).c_str());
  std::printf("window %s..%s: planned %s, spent %s\n", o.window_start().c_str(),
              o.as_of_date().c_str(), dpmon::FormatPence(o.planned_pence()).c_str(),
              dpmon::FormatPence(o.spend_pence()).c_str());
  for (const dpmon::v1::PlanLineActual& l : o.lines()) {
    std::printf("  %-20s planned %12s  actual %12s\n",
                dpmon::v1::Category_Name(l.category()).c_str(),
                dpmon::FormatPence(l.planned_pence()).c_str(),
                dpmon::FormatPence(l.actual_pence()).c_str());
  }
  std::printf("next review due %s, next audit due %s, last feed %s\n", o.next_review_due().c_str(),
              o.next_audit_due().empty() ? "-" : o.next_audit_due().c_str(),
              o.last_feed_date().empty() ? "-" : o.last_feed_date().c_str());
  if (o.has_last_statement()) {
    std::printf("last statement %s: %s, ledger %s (%s)\n",
                o.last_statement().input().date().c_str(),
                dpmon::FormatPence(o.last_statement().input().closing_balance_pence()).c_str(),
                dpmon::FormatPence(o.last_statement_ledger_pence()).c_str(),
                o.last_statement_reconciles() ? "reconciles" : "DOES NOT RECONCILE");
  }
  std::vector<dpmon::v1::Flag> flags(o.flags().begin(), o.flags().end());
  PrintFlagTable(flags, true);
  return 0;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "dpctl COMMAND: import FILE | councils list|get | accounts list|get | transactions list | "
      "statements list | balance | totals | suspense list | evaluate | flags | overview. See "
      "README.md.");
  // Accept --as-of as well as --as_of: dashes in flag names become underscores.
  std::vector<std::string> normalized(argv, argv + argc);
  for (std::string& a : normalized) {
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) continue;
    const size_t end = std::min(a.find('='), a.size());
    std::replace(a.begin() + 2, a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  std::vector<char*> raw;
  for (std::string& a : normalized) raw.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(raw.size()), raw.data());
  if (args.size() < 2) return Fail("no command; see dpctl --help");
  dpmon::ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.deadline = absl::Seconds(absl::GetFlag(FLAGS_deadline_seconds));
  absl::StatusOr<std::string> key = dpmon::ResolveApiKey(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) return Fail(key.status());
  options.api_key = *key;
  options.tls = absl::GetFlag(FLAGS_tls);
  const std::pair<std::string, std::string*> pem_files[] = {
      {absl::GetFlag(FLAGS_tls_ca_file), &options.tls_root_certs},
      {absl::GetFlag(FLAGS_tls_cert_file), &options.tls_cert_chain},
      {absl::GetFlag(FLAGS_tls_key_file), &options.tls_private_key}};
  for (const auto& [path, out] : pem_files) {
    if (!path.empty()) {
      absl::StatusOr<std::string> pem = dpmon::ReadSmallFile(path);
      if (!pem.ok()) return Fail(pem.status());
      *out = *pem;
      options.tls = true;
    }
  }
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  dpmon::Client client(options);
  const std::string command = args[1];
  const std::string verb = args.size() > 2 ? args[2] : "";
  if (command == "import") {
    if (verb.empty()) return Fail("import: name the file");
    return Import(client, verb);
  }
  if (command == "councils") return Councils(client, verb.empty() ? "list" : verb);
  if (command == "whoami") return WhoAmI(client);
  if (command == "feed") {
    if (verb != "push") return Fail("feed: push");
    return FeedPush(client, std::vector<std::string>(args.begin() + 3, args.end()));
  }
  if (command == "audit") {
    if (verb == "due") return AuditDue(client);
    if (verb == "risks") return AuditRisks(client);
    if (verb == "pack") return AuditPack(client);
    if (verb == "run") return AuditRun(client);
    if (verb == "record") return AuditRecord(client);
    return Fail("audit: due, risks, pack, run or record");
  }
  if (command == "recovery") {
    if (verb == "record") return RecoveryRecord(client);
    return Fail("recovery: record");
  }
  if (command == "admin") {
    if (verb == "keys") {
      return Keys(client, args.size() > 3 ? args[3] : "", args.size() > 4 ? args[4] : "");
    }
    if (verb == "access-log" || verb == "access_log") return AccessLog(client);
    return Fail("admin: keys or access-log");
  }
  if (command == "accounts") return Accounts(client, verb);
  if (command == "transactions") {
    return verb == "recategorise" ? Recategorise(client) : Transactions(client);
  }
  if (command == "statements") return Statements(client);
  if (command == "balance") return Balance(client);
  if (command == "totals") return Totals(client);
  if (command == "suspense") return Suspense(client);
  if (command == "evaluate") return Evaluate(client);
  if (command == "flags") return Flags(client, verb);
  if (command == "overview") return Overview(client);
  return Fail(absl::StrCat("unknown command \"", command, "\"; see dpctl --help"));
}
