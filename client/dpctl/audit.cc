// dpctl's audit commands: what is due, risk, audit packs, the nightly job,
// recording audits and recoveries.
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
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/audit_pack.h"
#include "client/client.h"
#include "client/dpctl/dpctl.h"
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

namespace dpctl {
namespace {

using Args = std::vector<std::string>;

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
  return client.ForEachPage(client.audits(), &dpmon::v1::Audits::Stub::ListAuditsDue, r,
                            [&](const dpmon::v1::ListAuditsDueResponse& page) {
                              for (const auto& e : page.entries()) out->push_back(e);
                              *as_of_out = page.as_of_date();
                              return absl::OkStatus();
                            });
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
  if (absl::Status s = client.ForEachPage(
          client.audits(), &dpmon::v1::Audits::Stub::ListAccountRisks, r,
          [&](const dpmon::v1::ListAccountRisksResponse& page) -> absl::Status {
            for (const auto& a : page.accounts()) {
              if (Json()) {
                PrintJson(a);
                continue;
              }
              std::printf(
                  "%-40s risk %3d (flags %2d, management %2d, amount %2d, audit age %2d) %s %s\n",
                  a.account().c_str(), a.risk().score(), a.risk().flags_points(),
                  a.risk().management_points(), a.risk().amount_points(),
                  a.risk().audit_age_points(), dpmon::v1::Management_Name(a.management()).c_str(),
                  dpmon::FormatPence(a.balance_pence()).c_str());
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
  return 0;
}

absl::Status FetchPack(dpmon::Client& client, const std::string& account, const std::string& from,
                       const std::string& to, dpmon::v1::AuditPack* pack) {
  dpmon::v1::GetAuditPackRequest r;
  r.set_account(account);
  r.set_start_date(from);
  r.set_end_date(to);
  return client.Call(client.audits(), &dpmon::v1::Audits::Stub::GetAuditPack, r, pack);
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
  absl::Status s = client.Call(client.monitoring(), &dpmon::v1::Monitoring::Stub::EvaluateCouncil,
                               er, &evaluated);
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
  absl::Status s = client.Call(client.accounts(), &dpmon::v1::Accounts::Stub::RecordAudit, r, &a);
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
  absl::Status s =
      client.Call(client.accounts(), &dpmon::v1::Accounts::Stub::RecordRecovery, r, &a);
  if (!s.ok()) return Fail(s);
  std::printf("recorded recovery %s on %s: %s by %s from %s\n", rec->id().c_str(), a.name().c_str(),
              dpmon::FormatPence(rec->amount_pence()).c_str(),
              dpmon::v1::RecoveryMethod_Name(method).c_str(), rec->date().c_str());
  return 0;
}

}  // namespace

const std::vector<Command>& AuditCommands() {
  static const std::vector<Command> table = {
      {"audit due", "--council C [--within DAYS] [--as-of D]",
       "audits and reviews due, most urgent first", 0,
       [](dpmon::Client& c, const Args&) { return AuditDue(c); }},
      {"audit risks", "--council C [--as-of D]", "every account's risk score, highest first", 0,
       [](dpmon::Client& c, const Args&) { return AuditRisks(c); }},
      {"audit pack", "--council C --account A --from D1 --to D2 --out DIR",
       "an audit pack as JSON, CSV and HTML", 0,
       [](dpmon::Client& c, const Args&) { return AuditPack(c); }},
      {"audit run", "--council C [--as-of D] [--within DAYS] --out DIR",
       "the nightly job: evaluate, list what is due, write a pack for each audit due (safe to "
       "rerun)",
       0, [](dpmon::Client& c, const Args&) { return AuditRun(c); }},
      {"audit record", "--council C --account A --date D --period_end D --auditor WHO [--note N]",
       "record an audit", 0, [](dpmon::Client& c, const Args&) { return AuditRecord(c); }},
      {"recovery record",
       "--council C --account A --id R --amount PENCE "
       "--method RECLAIM_FROM_ACCOUNT|INVOICE|REDUCE_FUTURE_PAYMENTS --date D [--note N] "
       "[--actor WHO]",
       "record the council reclaiming a surplus", 0,
       [](dpmon::Client& c, const Args&) { return RecoveryRecord(c); }},
  };
  return table;
}

}  // namespace dpctl
