// dpctl's ledger commands: bulk import, transactions, statements, balances,
// totals and suspense.
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
  if (!s.ok() && summary.applied == 0 && summary.rejected.empty()) {
    // Say only what happened: nothing reached the ledger.
    return Fail(absl::StrCat(path, ": nothing imported: ", absl::StatusCodeToString(s.code()), ": ",
                             s.message()));
  }
  for (const dpmon::LineError& e : summary.rejected) {
    std::printf("line %lld: %s\n", static_cast<long long>(e.line), e.message.c_str());
  }
  std::printf("%s %s: %lld lines in %.2fs; %lld applied, %zu rejected\n",
              s.ok() ? "imported" : "stopped importing", path.c_str(),
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
  absl::Status s =
      client.Call(client.ledger(), &dpmon::v1::Ledger::Stub::RecategoriseTransaction, r, &t);
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
  int64_t shown = 0;
  if (absl::Status s = client.ForEachPage(
          client.ledger(), &dpmon::v1::Ledger::Stub::ListTransactions, r,
          [&](const dpmon::v1::ListTransactionsResponse& page) -> absl::Status {
            shown += page.transactions_size();
            for (const auto& t : page.transactions()) {
              if (Json()) {
                PrintJson(t);
                continue;
              }
              const auto& in = t.input();
              std::printf(
                  "%s %14s %-20s %s:%s %s%s\n", in.booking_date().c_str(),
                  dpmon::FormatPence(in.amount_pence()).c_str(),
                  dpmon::v1::Category_Name(t.effective_category()).c_str(), in.source().c_str(),
                  in.external_id().c_str(), in.counterparty().c_str(),
                  in.has_reverses() ? absl::StrCat(" (reverses ", in.reverses(), ")").c_str() : "");
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
  // Say so, for people: an empty answer looks like a fault.
  if (shown == 0 && !Json())
    std::printf("no transactions in %s for those dates\n", AccountName().c_str());
  return 0;
}

int Statements(dpmon::Client& client) {
  dpmon::v1::ListStatementsRequest r;
  r.set_parent(AccountName());
  r.set_start_date(absl::GetFlag(FLAGS_from));
  r.set_end_date(absl::GetFlag(FLAGS_to));
  r.set_page_size(1000);
  int64_t shown = 0;
  if (absl::Status s = client.ForEachPage(
          client.ledger(), &dpmon::v1::Ledger::Stub::ListStatements, r,
          [&](const dpmon::v1::ListStatementsResponse& page) -> absl::Status {
            shown += page.statements_size();
            for (const auto& st : page.statements()) {
              if (Json()) {
                PrintJson(st);
                continue;
              }
              std::printf("%s %14s %s\n", st.input().date().c_str(),
                          dpmon::FormatPence(st.input().closing_balance_pence()).c_str(),
                          st.input().source().c_str());
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
  // Say so, for people: an empty answer looks like a fault.
  if (shown == 0 && !Json())
    std::printf("no statements in %s for those dates\n", AccountName().c_str());
  return 0;
}

int Balance(dpmon::Client& client) {
  dpmon::v1::GetBalanceRequest r;
  r.set_account(AccountName());
  r.set_as_of_date(Require("as_of", absl::GetFlag(FLAGS_as_of)));
  dpmon::v1::Balance b;
  absl::Status s = client.Call(client.ledger(), &dpmon::v1::Ledger::Stub::GetBalance, r, &b);
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
  absl::Status s = client.Call(client.ledger(), &dpmon::v1::Ledger::Stub::GetCategoryTotals, r, &t);
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
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  int64_t shown = 0;
  if (absl::Status s = client.ForEachPage(
          client.ledger(), &dpmon::v1::Ledger::Stub::ListSuspense, r,
          [&](const dpmon::v1::ListSuspenseResponse& page) -> absl::Status {
            shown += page.items_size();
            for (const auto& item : page.items()) {
              if (Json()) {
                PrintJson(item);
              } else if (item.has_transaction()) {
                std::printf("%s:%s transaction %s %s %s\n", item.source().c_str(),
                            item.account_ref().c_str(), item.transaction().external_id().c_str(),
                            item.transaction().booking_date().c_str(),
                            dpmon::FormatPence(item.transaction().amount_pence()).c_str());
              } else {
                std::printf("%s:%s statement %s %s\n", item.source().c_str(),
                            item.account_ref().c_str(), item.statement().date().c_str(),
                            dpmon::FormatPence(item.statement().closing_balance_pence()).c_str());
              }
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
  // Say so, for people: an empty answer looks like a fault.
  if (shown == 0 && !Json())
    std::printf("nothing waits in suspense in %s\n", CouncilName().c_str());
  return 0;
}

}  // namespace

const std::vector<Command>& LedgerCommands() {
  static const std::vector<Command> table = {
      {"import", "FILE.jsonl", "bulk import (DOMAIN.md's format); exit 3 if any line was rejected",
       1,
       [](dpmon::Client& c, const Args& a) {
         if (a.empty()) return Fail("import: name the file");
         return Import(c, a[0]);
       }},
      {"transactions list", "--council C --account A [--from D] [--to D]",
       "an account's transactions, in booking order", 0,
       [](dpmon::Client& c, const Args&) { return Transactions(c); }},
      {"transactions recategorise",
       "--council C --account A --source S --id EXTERNAL_ID --category CAT --note N [--actor WHO]",
       "move a stored transaction to another category", 0,
       [](dpmon::Client& c, const Args&) { return Recategorise(c); }},
      {"statements list", "--council C --account A [--from D] [--to D]",
       "an account's statements, each against the ledger", 0,
       [](dpmon::Client& c, const Args&) { return Statements(c); }},
      {"balance", "--council C --account A --as-of D", "the balance at the end of a day", 0,
       [](dpmon::Client& c, const Args&) { return Balance(c); }},
      {"totals", "--council C --account A --from D --to D", "sums by category over a period", 0,
       [](dpmon::Client& c, const Args&) { return Totals(c); }},
      {"suspense list", "--council C [--as-of D]",
       "what waits for an account to claim its reference (with --as-of, what waited then)", 0,
       [](dpmon::Client& c, const Args&) { return Suspense(c); }},
  };
  return table;
}

}  // namespace dpctl
