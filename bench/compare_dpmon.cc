// dpmon's half of bench/compare.sh, against a running dpmon-server: loads
// the council of bench/compare_data.h over gRPC streaming (every batch
// acknowledged once synced), then measures what the PostgreSQL half
// measures. Prints one "figure value" line each, and the flags the
// evaluation found by kind, for the script to set beside PostgreSQL's.
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/compare_data.h"
#include "bench/stats.h"
#include "client/client.h"
#include "domain/totals.h"
#include "storage/store.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "dpmon-server address.");
ABSL_FLAG(std::string, key_file, "", "File holding an ADMIN key.");
ABSL_FLAG(int, accounts, 2500, "Accounts in the council.");
ABSL_FLAG(int, months, 24, "Months of history, ending 2025-12-31.");
ABSL_FLAG(int, per_month, 30, "Debits an account makes a month.");
ABSL_FLAG(uint64_t, seed, 1, "The generator's seed.");
ABSL_FLAG(int, calls, 2000, "Calls for each latency figure.");
ABSL_FLAG(bool, load_only, false, "Make the council and load it, then stop (no reads).");
ABSL_FLAG(bool, reads_only, false,
          "The reads and the evaluation over gRPC, on a council an earlier run loaded.");
ABSL_FLAG(std::string, engine_dir, "",
          "Instead: open this data directory (the server stopped) and time the same reads in "
          "the process, without gRPC, authentication or the access log.");

namespace {

using dpmon::bench::PrintLatency;

using dpmon::bench::CompareAccount;
using dpmon::bench::CompareItem;
using dpmon::bench::CompareSpec;
namespace v1 = dpmon::v1;

template <typename F>
grpc::Status Call(dpmon::Client& c, F f) {
  grpc::ClientContext ctx;
  c.PrepareContext(&ctx);
  return f(&ctx);
}

int Fail(const char* what, const grpc::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.error_message().c_str());
  return 1;
}

// The reads alone: the store's sums for the same accounts and dates, in this
// process (what PostgreSQL's server-side timing is set beside).
int EngineReads(const CompareSpec& spec) {
  std::unique_ptr<dpmon::Store> store;
  dpmon::StoreOptions options;
  options.path = absl::GetFlag(FLAGS_engine_dir);
  if (absl::Status s = dpmon::Store::Open(options, &store); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  // Opening replays what the server wrote last (the evaluation's flags, the
  // access log) and may start compactions: let them finish first, so that
  // they do not share the cores with the reads timed (at most a minute).
  for (int quiet = 0, i = 0; quiet < 3 && i < 600; ++i) {
    const dpmon::Store::Stats st = store->GetStats();
    quiet = st.running_compactions == 0 && st.pending_compaction_bytes == 0 ? quiet + 1 : 0;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::vector<CompareAccount> accounts;
  for (int i = 0; i < spec.accounts; ++i) accounts.push_back(MakeCompareAccount(spec, i));
  const int calls = absl::GetFlag(FLAGS_calls);
  const int days = spec.end - spec.start() + 1;
  std::vector<double> lat;
  int64_t sink = 0;
  // Twice: the first pass warms the block cache (PostgreSQL's buffers are
  // warm from its load), the second is timed.
  for (int pass = 0; pass < 2; ++pass) {
    std::mt19937_64 rng(spec.seed + 7);  // The draws of the calls over gRPC.
    lat.clear();
    for (int k = 0; k < calls; ++k) {
      const std::string& id = accounts[rng() % accounts.size()].id;
      const dpmon::Date d = spec.start().AddDays(static_cast<int>(rng() % days));
      absl::Time c0 = absl::Now();
      absl::StatusOr<dpmon::domain::Totals> t = store->SumThrough("cmp", id, d);
      int64_t net = 0;
      if (!t.ok() || !t->NetPence(&net).ok()) return 1;
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
      sink += net;
    }
    if (pass == 1) PrintLatency("engine_balance", lat);
    lat.clear();
    const dpmon::Date year = spec.end.FirstOfYear();
    for (int k = 0; k < calls; ++k) {
      const std::string& id = accounts[rng() % accounts.size()].id;
      absl::Time c0 = absl::Now();
      absl::StatusOr<dpmon::domain::Totals> t = store->SumRange("cmp", id, year, spec.end);
      if (!t.ok()) return 1;
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
      sink += t->net_pence[0];
    }
    if (pass == 1) PrintLatency("engine_year_totals", lat);
  }
  // What the machine adds to any call of this length: a fixed piece of
  // arithmetic about as long as a balance read, timed the same way. On a
  // virtual machine its p99 shows the interruptions every short call meets.
  uint64_t x = 1;
  int steps = 1000;
  for (;;) {  // about 10 us
    absl::Time c0 = absl::Now();
    for (int i = 0; i < steps; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    if (absl::Now() - c0 >= absl::Microseconds(10) || steps > (1 << 24)) break;
    steps *= 2;
  }
  lat.clear();
  for (int k = 0; k < calls; ++k) {
    absl::Time c0 = absl::Now();
    for (int i = 0; i < steps; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
  }
  PrintLatency("engine_fixed_work", lat);
  sink += static_cast<int64_t>(x & 1);
  return sink == 42 ? 2 : 0;  // Keeps the reads from being optimised away.
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  CompareSpec spec;
  spec.accounts = absl::GetFlag(FLAGS_accounts);
  spec.months = absl::GetFlag(FLAGS_months);
  spec.per_month = absl::GetFlag(FLAGS_per_month);
  spec.seed = absl::GetFlag(FLAGS_seed);
  if (!absl::GetFlag(FLAGS_engine_dir).empty()) return EngineReads(spec);
  dpmon::ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  // The load is one stream: at 100,000 accounts (85M items) it takes more
  // than an hour on 2 cores (session 14's run was cut off by a 1-hour
  // deadline after 61M transactions).
  options.deadline = absl::Hours(12);
  absl::StatusOr<std::string> key = dpmon::ResolveApiKey(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  options.api_key = *key;
  dpmon::Client client(options);
  const std::string council = "councils/cmp";

  std::vector<CompareAccount> accounts;
  for (int i = 0; i < spec.accounts; ++i) accounts.push_back(MakeCompareAccount(spec, i));
  // --reads_only: the council is loaded already (a settled server).
  if (!absl::GetFlag(FLAGS_reads_only)) {
    v1::CreateCouncilRequest cc;
    cc.set_council_id("cmp");
    cc.mutable_council()->set_display_name("Comparison council");
    v1::Council made;
    if (grpc::Status s =
            Call(client, [&](auto* x) { return client.councils().CreateCouncil(x, cc, &made); });
        !s.ok()) {
      return Fail("council", s);
    }
    absl::Time t0 = absl::Now();
    for (const CompareAccount& a : accounts) {
      v1::CreateAccountRequest r;
      r.set_parent(council);
      r.set_account_id(a.id);
      r.mutable_account()->set_start_date(spec.start().ToString());
      r.mutable_account()->set_holding(a.bank ? v1::BANK_ACCOUNT : v1::PREPAID_CARD);
      r.mutable_account()->set_management(v1::SELF);
      r.mutable_account()->set_recipient(v1::SERVICE_USER);
      v1::ExternalRef* ref = r.mutable_account()->add_external_refs();
      ref->set_source("cmp");
      ref->set_ref(a.ref);
      v1::Account out;
      if (grpc::Status s =
              Call(client, [&](auto* x) { return client.accounts().CreateAccount(x, r, &out); });
          !s.ok()) {
        return Fail("account", s);
      }
      v1::CreatePlanVersionRequest p;
      p.set_account(absl::StrCat(council, "/accounts/", a.id));
      v1::PlanVersion* plan = p.mutable_plan_version();
      plan->set_effective_from(spec.start().ToString());
      plan->set_weekly_dp_pence(a.weekly_dp_pence);
      plan->set_weekly_client_contribution_pence(a.weekly_contribution_pence);
      plan->set_payment_cycle(a.cycle_days == 28 ? v1::FOUR_WEEKLY : v1::WEEKLY);
      v1::PlanLine* line = plan->add_lines();
      line->set_category(v1::PA_WAGES);
      line->set_weekly_pence(a.weekly_dp_pence / 2);
      line = plan->add_lines();
      line->set_category(v1::AGENCY_CARE);
      line->set_weekly_pence(a.weekly_dp_pence - a.weekly_dp_pence / 2);
      if (grpc::Status s = Call(
              client, [&](auto* x) { return client.accounts().CreatePlanVersion(x, p, &out); });
          !s.ok()) {
        return Fail("plan", s);
      }
    }
    std::printf("accounts_made_s %.2f\n", absl::ToDoubleSeconds(absl::Now() - t0));

    // Ingest: the whole history over one stream, 1,000 items a batch.
    std::vector<CompareItem> items;
    GenerateCompare(spec, accounts, [&](const CompareItem& i) { items.push_back(i); });
    int64_t transactions = 0;
    for (const CompareItem& i : items) transactions += !i.statement;
    size_t next = 0;
    int64_t batch_id = 0, accepted = 0;
    t0 = absl::Now();
    absl::Status streamed = client.StreamIngest(
        [&](v1::IngestBatchRequest* req) {
          if (next == items.size()) return false;
          req->set_parent(council);
          req->set_batch_id(batch_id++);
          for (int k = 0; k < 1000 && next < items.size(); ++k, ++next) {
            const CompareItem& i = items[next];
            const CompareAccount& a = accounts[i.account];
            if (i.statement) {
              v1::StatementInput* s = req->add_items()->mutable_statement();
              s->set_source("cmp");
              s->set_account_ref(a.ref);
              s->set_date(i.date.ToString());
              s->set_closing_balance_pence(i.amount_pence);
            } else {
              v1::TransactionInput* t = req->add_items()->mutable_transaction();
              t->set_source("cmp");
              t->set_account_ref(a.ref);
              t->set_external_id(i.external_id);
              t->set_booking_date(i.date.ToString());
              t->set_amount_pence(i.amount_pence);
              t->set_category(i.category);
              if (!i.mcc.empty()) t->set_mcc(i.mcc);
            }
          }
          return true;
        },
        16, [&](const v1::IngestBatchResponse& ack) { accepted += ack.accepted(); });
    const double ingest_s = absl::ToDoubleSeconds(absl::Now() - t0);
    if (!streamed.ok()) {
      std::fprintf(stderr, "stream: %s\n", streamed.ToString().c_str());
      return 1;
    }
    if (accepted != static_cast<int64_t>(items.size())) {
      std::fprintf(stderr, "accepted %lld of %zu items\n", static_cast<long long>(accepted),
                   items.size());
      return 1;
    }
    std::printf("transactions %lld\nstatements %lld\ningest_s %.2f\ningest_tps %.0f\n",
                static_cast<long long>(transactions),
                static_cast<long long>(items.size() - transactions), ingest_s,
                transactions / ingest_s);
  }

  if (absl::GetFlag(FLAGS_load_only)) return 0;

  // Reads: the same random accounts and dates as the PostgreSQL half.
  const int calls = absl::GetFlag(FLAGS_calls);
  const int days = spec.end - spec.start() + 1;
  std::mt19937_64 rng(spec.seed + 7);
  std::vector<double> lat;
  // Each read figure is timed on a second pass over the same draws: the
  // first warms the caches, as PostgreSQL's half does. (bench/compare.sh
  // lets the load's compactions finish first, as PostgreSQL's half is
  // vacuumed, analysed and checkpointed.)
  for (int pass = 0; pass < 2; ++pass) {
    rng.seed(spec.seed + 7);
    lat.clear();
    for (int k = 0; k < calls; ++k) {
      v1::GetBalanceRequest r;
      r.set_account(absl::StrCat(council, "/accounts/", accounts[rng() % accounts.size()].id));
      r.set_as_of_date(spec.start().AddDays(static_cast<int>(rng() % days)).ToString());
      v1::Balance b;
      absl::Time c0 = absl::Now();
      if (grpc::Status s =
              Call(client, [&](auto* x) { return client.ledger().GetBalance(x, r, &b); });
          !s.ok()) {
        return Fail("balance", s);
      }
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    }
    if (pass == 1) PrintLatency("balance", lat);
    lat.clear();
    const dpmon::Date year = spec.end.FirstOfYear();
    for (int k = 0; k < calls; ++k) {
      v1::GetCategoryTotalsRequest r;
      r.set_account(absl::StrCat(council, "/accounts/", accounts[rng() % accounts.size()].id));
      r.set_start_date(year.ToString());
      r.set_end_date(spec.end.ToString());
      v1::CategoryTotals t;
      absl::Time c0 = absl::Now();
      if (grpc::Status s =
              Call(client, [&](auto* x) { return client.ledger().GetCategoryTotals(x, r, &t); });
          !s.ok()) {
        return Fail("totals", s);
      }
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    }
    if (pass == 1) PrintLatency("year_totals", lat);
  }

  // The daily evaluation of every account, twice: the first stores every
  // flag, the second finds what changed (nothing).
  for (const char* figure : {"evaluate_first_s", "evaluate_again_s"}) {
    v1::EvaluateCouncilRequest r;
    r.set_council(council);
    r.set_as_of_date(spec.end.ToString());
    v1::EvaluateCouncilResponse out;
    absl::Time c0 = absl::Now();
    if (grpc::Status s =
            Call(client, [&](auto* x) { return client.monitoring().EvaluateCouncil(x, r, &out); });
        !s.ok()) {
      return Fail("evaluate", s);
    }
    std::printf("%s %.3f\n", figure, absl::ToDoubleSeconds(absl::Now() - c0));
  }
  v1::CountFlagsRequest cr;
  cr.set_council(council);
  v1::CountFlagsResponse counts;
  if (grpc::Status s =
          Call(client, [&](auto* x) { return client.monitoring().CountFlags(x, cr, &counts); });
      !s.ok()) {
    return Fail("count", s);
  }
  std::map<std::string, int64_t> by_kind;
  for (const v1::FlagCount& c : counts.counts()) {
    if (c.state() == v1::OPEN || c.state() == v1::ACKNOWLEDGED) {
      by_kind[v1::FlagKind_Name(c.kind())] += c.count();
    }
  }
  int64_t open = 0;
  for (const auto& [kind, n] : by_kind) {
    std::printf("flags_%s %lld\n", kind.c_str(), static_cast<long long>(n));
    open += n;
  }

  lat.clear();
  for (int k = 0; k < calls; ++k) {
    v1::ListFlagsRequest r;
    r.set_council(council);
    r.set_page_size(50);
    v1::ListFlagsResponse out;
    absl::Time c0 = absl::Now();
    if (grpc::Status s =
            Call(client, [&](auto* x) { return client.monitoring().ListFlags(x, r, &out); });
        !s.ok()) {
      return Fail("flags", s);
    }
    lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    if (out.flags_size() != std::min<int64_t>(50, open)) {
      std::fprintf(stderr, "first page of flags: %d\n", out.flags_size());
      return 1;
    }
  }
  PrintLatency("flags_page", lat);
  return 0;
}
