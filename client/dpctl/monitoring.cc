// dpctl's monitoring commands: evaluation, flags and an account's overview.
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

int Evaluate(dpmon::Client& client) {
  dpmon::v1::EvaluateCouncilRequest r;
  r.set_council(CouncilName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  dpmon::v1::EvaluateCouncilResponse out;
  absl::Status s =
      client.Call(client.monitoring(), &dpmon::v1::Monitoring::Stub::EvaluateCouncil, r, &out);
  if (!s.ok()) return Fail(s);
  if (Json()) {
    PrintJson(out);
  } else {
    std::printf(
        "evaluated %lld accounts of %s as of %s in %lld ms: %lld raised, %lld cleared, "
        "%lld updated; %lld unchanged since the server's last run (not read)\n",
        static_cast<long long>(out.accounts()), r.council().c_str(), out.as_of_date().c_str(),
        static_cast<long long>(out.duration_ms()), static_cast<long long>(out.raised()),
        static_cast<long long>(out.cleared()), static_cast<long long>(out.updated()),
        static_cast<long long>(out.unchanged()));
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
  if (absl::Status s = client.ForEachPage(
          client.monitoring(), &dpmon::v1::Monitoring::Stub::ComputeFlagReport, r,
          [&](dpmon::v1::ComputeFlagReportResponse& page) -> absl::Status {
            for (dpmon::v1::Flag& f : *page.mutable_flags()) flags.push_back(std::move(f));
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
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
  if (absl::Status s =
          client.ForEachPage(client.monitoring(), &dpmon::v1::Monitoring::Stub::ListFlags, r,
                             [&](dpmon::v1::ListFlagsResponse& page) -> absl::Status {
                               for (dpmon::v1::Flag& f : *page.mutable_flags()) {
                                 if (Json()) {
                                   PrintJson(f);
                                 } else {
                                   flags.push_back(std::move(f));
                                 }
                               }
                               return absl::OkStatus();
                             });
      !s.ok()) {
    return Fail(s);
  }
  if (!Json()) PrintFlagTable(flags, true);
  return 0;
}

int CountFlags(dpmon::Client& client) {
  dpmon::v1::CountFlagsRequest r;
  r.set_council(CouncilName());
  dpmon::v1::CountFlagsResponse out;
  absl::Status s =
      client.Call(client.monitoring(), &dpmon::v1::Monitoring::Stub::CountFlags, r, &out);
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
  absl::Status s = client.Call(client.monitoring(),
                               resolve ? &dpmon::v1::Monitoring::Stub::ResolveFlag
                                       : &dpmon::v1::Monitoring::Stub::AcknowledgeFlag,
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

int Overview(dpmon::Client& client) {
  dpmon::v1::GetAccountOverviewRequest r;
  r.set_account(AccountName());
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  dpmon::v1::AccountOverview o;
  absl::Status s =
      client.Call(client.monitoring(), &dpmon::v1::Monitoring::Stub::GetAccountOverview, r, &o);
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

int Flags(dpmon::Client& client, const std::string& verb) {
  if (verb == "counts") return CountFlags(client);
  if (verb == "ack") return ActOnFlag(client, false);
  if (verb == "resolve") return ActOnFlag(client, true);
  if (!verb.empty() && verb != "list") return Fail(absl::StrCat("flags: unknown verb ", verb));
  if (!absl::GetFlag(FLAGS_as_of).empty()) return FlagReport(client);
  return ListStoredFlags(client);
}

}  // namespace

const std::vector<Command>& MonitoringCommands() {
  static const std::vector<Command> table = {
      {"evaluate", "--council C [--as-of D]", "evaluate every account and store the flags", 0,
       [](dpmon::Client& c, const Args&) { return Evaluate(c); }},
      {"flags list", "--council C [--as-of D | [--account A] [--kind K] [--state S,...]]",
       "with --as-of, DOMAIN.md's flag report as of D (computed, nothing stored); without, the "
       "stored flags, most severe and oldest first",
       0, [](dpmon::Client& c, const Args&) { return Flags(c, "list"); }},
      {"flags counts", "--council C", "stored flags by kind, severity and state", 0,
       [](dpmon::Client& c, const Args&) { return Flags(c, "counts"); }},
      {"flags ack", "--council C --account A --kind K [--subject S] --note N [--actor WHO]",
       "acknowledge a flag", 0, [](dpmon::Client& c, const Args&) { return Flags(c, "ack"); }},
      {"flags resolve", "--council C --account A --kind K [--subject S] --note N [--actor WHO]",
       "resolve a per-transaction flag", 0,
       [](dpmon::Client& c, const Args&) { return Flags(c, "resolve"); }},
      {"overview", "--council C --account A [--as-of D]",
       "an account as of a date: balance, plan against spend, dues, flags", 0,
       [](dpmon::Client& c, const Args&) { return Overview(c); }},
  };
  return table;
}

}  // namespace dpctl
