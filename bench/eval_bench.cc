// dpmon-bench-eval: a large council for the monitoring benchmark.
//
//   dpmon-bench-eval generate --data_dir=D [--accounts=100000] [--months=24]
//   dpmon-bench-eval evaluate --data_dir=D [--as_of=2025-12-31]
//   dpmon-bench-eval dashboard --data_dir=D --server=ADDR   (server on D)
//
// `generate` writes a council "bench" of realistic DP accounts straight into
// the store (in process, WAL not synced: it is set-up, not the thing
// measured): prepaid cards and bank accounts, dated support plans with lines,
// a second plan version for some, contributions, reviews and audits,
// earmarks, suspended and closed accounts; and for each account `months` of
// transactions: council payments each cycle, contributions, weekly wages,
// card spending with MCCs (a few restricted or cash), bank charges, refunds
// and reversals; monthly statements for bank accounts. Deterministic (seeded).
//
// `evaluate` opens the store in a fresh process, evaluates every account as
// of a date with the server's Evaluator, stores the flags, and prints the
// time and the process's peak memory (VmHWM).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/stats.h"
#include "client/client.h"
#include "common/civil_date.h"
#include "common/names.h"
#include "server/evaluator.h"
#include "server/validation.h"
#include "storage/store.h"

ABSL_FLAG(std::string, data_dir, "", "RocksDB directory.");
ABSL_FLAG(std::string, key_file, "",
          "dashboard: file holding an API key (dpctl's rules otherwise).");
ABSL_FLAG(int, accounts, 100000, "Accounts to generate.");
ABSL_FLAG(int, months, 24, "Months of history per account, ending at --as_of.");
ABSL_FLAG(std::string, as_of, "2025-12-31", "Evaluation date (and end of the history).");
ABSL_FLAG(int, threads, 0, "Evaluation threads (0: one per core).");
ABSL_FLAG(int, block_cache_mib, 0,
          "evaluate: the store's block cache, MiB (0: the server's default, a quarter of the "
          "machine's memory).");
ABSL_FLAG(int, seed, 20261122, "Random seed.");
ABSL_FLAG(int, runs, 2,
          "evaluate: evaluations in a row (the first raises every flag of a fresh council, the "
          "rest find nothing changed).");
ABSL_FLAG(bool, remember, true,
          "evaluate: one evaluator for every run, as in the server (false: a new one each run, "
          "as after a restart: no account is left unread).");
ABSL_FLAG(std::string, restart, "none",
          "evaluate: before each run after the first, the store closes and opens again with a "
          "new evaluator (and a cold block cache), as a server restarting: \"clean\" (the "
          "evaluator keeps what it knows and the new one takes it, as at a server's shutdown and "
          "start) or \"crash\" (nothing kept, as after kill -9); \"none\": no restart.");
ABSL_FLAG(int, next_days, 0,
          "evaluate: after the runs as of --as_of, this many more, each a day later than the one "
          "before (the nightly run, nothing ingested in between).");
ABSL_FLAG(int, recoveries_every, 0,
          "generate: every Nth account gets a recovery (0: none), for the dashboard's pages.");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "dashboard: dpmon-server address.");
ABSL_FLAG(int, calls, 2000, "dashboard: calls per measurement.");

namespace dpmon {
namespace {

using bench::Percentile;

constexpr char kCouncil[] = "bench";

std::string PeakMemory() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return "?";
}

// CPU seconds the process has used (every thread, user and system): steadier
// than the wall clock on a shared machine, for telling builds apart.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
};

v1::TransactionInput Txn(const std::string& account, const std::string& id, Date d, int64_t amount,
                         v1::Category c, const char* mcc = nullptr) {
  v1::TransactionInput t;
  t.set_source(absl::StrCat("feed-", account.size() % 3));
  t.set_account(account);
  t.set_external_id(id);
  t.set_booking_date(d.ToString());
  t.set_amount_pence(amount);
  t.set_category(c);
  if (mcc != nullptr) t.set_mcc(mcc);
  return t;
}

int Generate() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  const int n = absl::GetFlag(FLAGS_accounts);
  const Date end = *Date::Parse(absl::GetFlag(FLAGS_as_of));
  const Date begin = AddMonths(end, -absl::GetFlag(FLAGS_months)).AddDays(1);
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.path = dir;
  options.sync = false;
  if (absl::Status s = Store::Open(options, &store); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  v1::Council council;
  council.set_name(CouncilName(kCouncil));
  council.set_display_name("Benchmark Council");
  *council.mutable_policy() = DefaultPolicy();
  if (absl::Status s = store->CreateCouncil(kCouncil, council, {}).status(); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  const auto started = std::chrono::steady_clock::now();
  Gen g(absl::GetFlag(FLAGS_seed));
  int64_t transactions = 0;
  std::atomic<int> in_flight{0};
  std::vector<LedgerWrite> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    storage::IngestOutcome response;
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].index = static_cast<int>(i);
      response.add_results()->set_index(static_cast<int>(i));
    }
    while (in_flight.load() >= 16) std::this_thread::sleep_for(std::chrono::microseconds(200));
    ++in_flight;
    store->IngestAsync(kCouncil, std::move(batch), std::move(response), {},
                       [&](absl::StatusOr<storage::IngestOutcome> r) {
                         if (!r.ok()) std::cerr << "ingest: " << r.status() << "\n";
                         --in_flight;
                       });
    batch.clear();
  };
  auto add = [&](v1::TransactionInput t) {
    LedgerWrite w;
    w.is_transaction = true;
    w.date = *Date::Parse(t.booking_date());
    w.transaction = std::move(t);
    batch.push_back(std::move(w));
    ++transactions;
    if (batch.size() == 1000) flush();
  };
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrFormat("A%07d", i);
    v1::Account a;
    // Most accounts have the whole history; some started during it.
    Date start = g.Chance(0.8) ? begin.AddDays(-static_cast<int>(g.Uniform(0, 700)))
                               : begin.AddDays(static_cast<int>(g.Uniform(0, 600)));
    a.set_start_date(start.ToString());
    const bool card = g.Chance(0.7);
    a.set_holding(card ? v1::PREPAID_CARD : v1::BANK_ACCOUNT);
    a.set_management(static_cast<v1::Management>(g.Uniform(1, 4)));
    a.set_recipient(g.Chance(0.85) ? v1::SERVICE_USER : v1::CARER);
    v1::ExternalRef* ref = a.add_external_refs();
    ref->set_source(card ? "cardco" : "bankfeed");
    ref->set_ref(absl::StrCat("R", id));
    if (g.Chance(0.5))
      a.set_care_plan_review_date(end.AddDays(static_cast<int>(g.Uniform(-60, 200))).ToString());
    // A name and a case id for the dashboard's search, from the index alone
    // (not the random stream, so that the rest of the council is unchanged).
    static constexpr const char* kFirst[] = {"Ann",  "Bob",  "Cath", "Dev", "Ed",   "Fay", "Gus",
                                             "Hana", "Ivan", "Jo",   "Kai", "Leah", "Mo",  "Nia",
                                             "Omar", "Pat",  "Raj",  "Sue", "Tom",  "Una"};
    static constexpr const char* kLast[] = {"Smith",   "Jones",  "Taylor", "Brown",  "Williams",
                                            "Wilson",  "Davies", "Evans",  "Thomas", "Johnson",
                                            "Roberts", "Walker", "Wright", "Khan",   "Patel",
                                            "Hughes",  "Green",  "Hall",   "Wood",   "Smithson"};
    a.set_display_name(absl::StrCat(kFirst[i % 20], " ", kLast[(i / 20 * 7 + i) % 20]));
    a.set_person_ref(absl::StrFormat("CM-%07d", i));
    a.set_name(AccountName(kCouncil, id));
    absl::StatusOr<storage::AttachOutcome> created = store->CreateAccount(kCouncil, id, a, {});
    if (!created.ok()) {
      std::cerr << created.status() << "\n";
      return 1;
    }
    const int64_t weekly = g.Uniform(150, 600) * 100;
    const int64_t contribution = g.Chance(0.4) ? weekly / 10 : 0;
    const v1::PaymentCycle cycle = g.Chance(0.5) ? v1::FOUR_WEEKLY : v1::MONTHLY;
    const v1::Category main_line = g.Chance(0.7) ? v1::PA_WAGES : v1::AGENCY_CARE;
    const bool has_plan = g.Chance(0.98);
    const Date raise = start.AddDays(365);
    const bool suspended = g.Chance(0.03), closed = g.Chance(0.04);
    absl::Status s =
        store
            ->UpdateAccount(
                kCouncil, id,
                [&](v1::Account* acc) {
                  if (has_plan) {
                    v1::PlanVersion* p = acc->add_plan_versions();
                    p->set_effective_from(start.ToString());
                    p->set_weekly_dp_pence(weekly);
                    p->set_weekly_client_contribution_pence(contribution);
                    p->set_payment_cycle(cycle);
                    v1::PlanLine* l = p->add_lines();
                    l->set_category(main_line);
                    l->set_weekly_pence(weekly * 9 / 10);
                    v1::PlanLine* l2 = p->add_lines();
                    l2->set_category(v1::RESPITE);
                    l2->set_weekly_pence(weekly / 10);
                    if (raise < end && g.Chance(0.3)) {
                      v1::PlanVersion* p2 = acc->add_plan_versions();
                      *p2 = *p;
                      p2->set_effective_from(raise.ToString());
                      p2->set_weekly_dp_pence(weekly * 11 / 10);
                    }
                  }
                  if (const int every = absl::GetFlag(FLAGS_recoveries_every);
                      every > 0 && i % every == 0 && start < end.AddDays(-90)) {
                    v1::Recovery* r = acc->add_recoveries();
                    r->set_id("R1");
                    r->set_amount_pence(weekly * 2);
                    r->set_method(v1::REDUCE_FUTURE_PAYMENTS);
                    r->set_date(end.AddDays(-90).ToString());
                    r->set_recorded_by("bench");
                  }
                  for (Date r = AddMonths(start, 6); r < end; r = AddMonths(r, 12)) {
                    if (g.Chance(0.8)) {
                      acc->add_reviews()->set_date(
                          r.AddDays(static_cast<int>(g.Uniform(-20, 40))).ToString());
                    }
                  }
                  for (Date r = AddMonths(start, 12); r < end; r = AddMonths(r, 12)) {
                    if (g.Chance(0.7)) {
                      v1::Audit* au = acc->add_audits();
                      au->set_date(r.AddDays(30).ToString());
                      au->set_period_end(r.ToString());
                      au->set_auditor("audit team");
                    }
                  }
                  if (g.Chance(0.1)) {
                    v1::Earmark* e = acc->add_earmarks();
                    e->set_id("E1");
                    e->set_kind(v1::AGREED_PURPOSE);
                    e->set_amount_pence(weekly * 4);
                    e->set_from(end.AddDays(-90).ToString());
                    e->set_until(end.AddDays(90).ToString());
                  }
                  if (suspended) {
                    v1::StatusChange* c = acc->add_status_history();
                    c->set_date(end.AddDays(-20).ToString());
                    c->set_status(v1::SUSPENDED);
                  }
                  if (closed) {
                    v1::StatusChange* c = acc->add_status_history();
                    c->set_date(end.AddDays(-static_cast<int>(g.Uniform(10, 200))).ToString());
                    c->set_status(v1::CLOSED);
                  }
                  return absl::OkStatus();
                },
                {})
            .status();
    if (!s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
    // The ledger: from max(start, begin) to end.
    const Date from = std::max(start, begin);
    const int cycle_days = cycle == v1::FOUR_WEEKLY ? 28 : 30;
    const double spend_rate = 0.80 + 0.3 * std::uniform_real_distribution<double>(0, 1)(g.rng);
    const bool pays_contribution = g.Chance(0.85);
    const bool feed_stops = g.Chance(0.03);
    int seq = 0;
    auto next_id = [&] { return absl::StrCat(id, "-", seq++); };
    int64_t balance = 0;
    for (Date d = from; d <= end; d = d.AddDays(1)) {
      if (feed_stops && end - d < 40) break;
      const int day = d - from;
      if (day % cycle_days == 0) {
        const int64_t pay = (weekly - contribution) * cycle_days / 7;
        add(Txn(id, next_id(), d, pay, v1::COUNCIL_PAYMENT));
        balance += pay;
      }
      if (day % 7 == 3) {
        if (contribution > 0 && pays_contribution) {
          add(Txn(id, next_id(), d, contribution, v1::CLIENT_CONTRIBUTION));
          balance += contribution;
        }
        const int64_t wages = static_cast<int64_t>(weekly * 0.85 * spend_rate);
        add(Txn(id, next_id(), d, -wages, main_line));
        balance -= wages;
      }
      if (g.Chance(card ? 0.6 : 0.25)) {
        const int64_t amount = g.Uniform(300, 4000);
        const char* mcc = "5411";
        v1::Category c = v1::OTHER;
        if (g.Chance(0.004)) {
          mcc = "7995";
        } else if (g.Chance(0.006)) {
          mcc = "6011";
          c = v1::CASH_WITHDRAWAL;
        } else if (g.Chance(0.3)) {
          mcc = "4121";
          c = v1::TRANSPORT;
        } else if (g.Chance(0.2)) {
          mcc = "7011";
          c = v1::RESPITE;
        }
        const std::string tid = next_id();
        add(Txn(id, tid, d, -amount, c, mcc));
        balance -= amount;
        if (g.Chance(0.01)) {  // reversed a day later
          v1::TransactionInput r = Txn(id, next_id(), d.AddDays(1), amount, v1::REFUND, mcc);
          r.set_reverses(tid);
          add(std::move(r));
          balance += amount;
        }
      }
      if (!card && d.day() == 28) {
        add(Txn(id, next_id(), d, -500, v1::BANK_CHARGES));
        balance -= 500;
        LedgerWrite w;
        w.is_transaction = false;
        w.date = d;
        w.statement.set_source("bankfeed");
        w.statement.set_account(id);
        w.statement.set_date(d.ToString());
        w.statement.set_closing_balance_pence(g.Chance(0.02) ? balance + 1000 : balance);
        batch.push_back(std::move(w));
        if (batch.size() == 1000) flush();
      }
    }
    if ((i + 1) % 10000 == 0) {
      std::fprintf(stderr, "  %d accounts, %lld transactions, %.0f s\n", i + 1,
                   static_cast<long long>(transactions), Seconds(started));
    }
  }
  flush();
  while (in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (absl::Status s = store->Flush(); !s.ok()) std::cerr << s << "\n";
  // A steady state, as a store that has run for a while has.
  if (absl::Status s = store->CompactAll(); !s.ok()) std::cerr << s << "\n";
  std::printf("generated: %d accounts, %lld transactions (%.1f a month each), %.0f s\n", n,
              static_cast<long long>(transactions),
              static_cast<double>(transactions) / n / absl::GetFlag(FLAGS_months),
              Seconds(started));
  return 0;
}

// The dashboard's calls against a running server: p50 and p99 latency.
int Dashboard() {
  ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  absl::StatusOr<std::string> key = ResolveApiKey(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  options.api_key = *key;
  Client client(options);
  const int calls = absl::GetFlag(FLAGS_calls);
  auto measure = [&](const std::string& what, const std::function<grpc::Status()>& call) {
    std::vector<double> us;
    for (int i = 0; i < calls; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      grpc::Status s = call();
      us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      if (!s.ok()) {
        std::cerr << what << ": " << s.error_message() << "\n";
        return false;
      }
    }
    std::printf("%s: %d calls: p50 %.0f us, p99 %.0f us\n", what.c_str(), calls,
                Percentile(us, 0.5), Percentile(us, 0.99));
    return true;
  };
  v1::ListFlagsRequest first;
  first.set_council(absl::StrCat("councils/", kCouncil));
  first.set_page_size(100);
  int returned = 0;
  bool ok = measure("ListFlags first page (100, OPEN+ACKNOWLEDGED, most severe first)", [&] {
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    v1::ListFlagsResponse r;
    grpc::Status s = client.monitoring().ListFlags(&ctx, first, &r);
    returned = r.flags_size();
    return s;
  });
  std::printf("  (a page held %d flags)\n", returned);
  v1::ListFlagsRequest by_kind = first;
  by_kind.set_kind(v1::RESTRICTED_SPEND);
  ok = ok && measure("ListFlags first page, kind = RESTRICTED_SPEND", [&] {
         grpc::ClientContext ctx;
         client.PrepareContext(&ctx);
         v1::ListFlagsResponse r;
         return client.monitoring().ListFlags(&ctx, by_kind, &r);
       });
  v1::ListFlagsRequest by_account = first;
  by_account.set_account(absl::StrCat("councils/", kCouncil, "/accounts/A0000001"));
  ok = ok && measure("ListFlags, one account", [&] {
         grpc::ClientContext ctx;
         client.PrepareContext(&ctx);
         v1::ListFlagsResponse r;
         return client.monitoring().ListFlags(&ctx, by_account, &r);
       });
  v1::CountFlagsRequest counts;
  counts.set_council(absl::StrCat("councils/", kCouncil));
  ok = ok && measure("CountFlags (tiles)", [&] {
         grpc::ClientContext ctx;
         client.PrepareContext(&ctx);
         v1::CountFlagsResponse r;
         return client.monitoring().CountFlags(&ctx, counts, &r);
       });
  v1::GetAccountOverviewRequest overview;
  overview.set_account(absl::StrCat("councils/", kCouncil, "/accounts/A0000001"));
  overview.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  ok = ok && measure("GetAccountOverview", [&] {
         grpc::ClientContext ctx;
         client.PrepareContext(&ctx);
         v1::AccountOverview r;
         return client.monitoring().GetAccountOverview(&ctx, overview, &r);
       });
  // The other calls the dashboard's pages make (docs/http.md has the pages).
  const std::string council = absl::StrCat("councils/", kCouncil);
  const std::string one = absl::StrCat(council, "/accounts/A0000001");
  auto unary = [&](const std::string& what, auto stub_call, auto request, auto response) {
    ok = ok && measure(what, [&] {
           grpc::ClientContext ctx;
           client.PrepareContext(&ctx);
           return stub_call(&ctx, request, &response);
         });
  };
  {
    v1::GetCouncilRequest r;
    r.set_name(council);
    unary(
        "GetCouncil (every page's title)",
        [&](auto* c, auto& q, auto* p) { return client.councils().GetCouncil(c, q, p); }, r,
        v1::Council());
  }
  {
    v1::SearchAccountsRequest r;
    r.set_parent(council);
    r.set_query("smi");
    r.set_page_size(50);
    unary(
        "SearchAccounts, a name prefix (Find)",
        [&](auto* c, auto& q, auto* p) { return client.accounts().SearchAccounts(c, q, p); }, r,
        v1::SearchAccountsResponse());
    r.set_query("CM-0000042");
    unary(
        "SearchAccounts, a case id (Find)",
        [&](auto* c, auto& q, auto* p) { return client.accounts().SearchAccounts(c, q, p); }, r,
        v1::SearchAccountsResponse());
  }
  {
    v1::ListAccountsRequest r;
    r.set_parent(council);
    r.set_filter("officer = keys/0000000000000001");
    r.set_page_size(100);
    unary(
        "ListAccounts, an officer's caseload (Today)",
        [&](auto* c, auto& q, auto* p) { return client.accounts().ListAccounts(c, q, p); }, r,
        v1::ListAccountsResponse());
  }
  {
    v1::ListSuspenseRequest r;
    r.set_parent(council);
    r.set_page_size(1000);
    unary(
        "ListSuspense (Today, Suspense)",
        [&](auto* c, auto& q, auto* p) { return client.ledger().ListSuspense(c, q, p); }, r,
        v1::ListSuspenseResponse());
  }
  {
    v1::ListRecoveriesRequest r;
    r.set_council(council);
    r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
    r.set_page_size(100);
    // From today's survey once the server has built it at start (until then
    // read from the accounts that have recoveries). Measured again below,
    // after the listing of what is due has certainly built it.
    unary(
        "ListRecoveries (Surplus and recoveries)",
        [&](auto* c, auto& q, auto* p) { return client.accounts().ListRecoveries(c, q, p); }, r,
        v1::ListRecoveriesResponse());
    v1::ListFlagsRequest f = first;
    f.set_kind(v1::SURPLUS);
    unary(
        "ListFlags, kind = SURPLUS (Surplus and recoveries)",
        [&](auto* c, auto& q, auto* p) { return client.monitoring().ListFlags(c, q, p); }, f,
        v1::ListFlagsResponse());
  }
  {
    v1::ListCaseNotesRequest r;
    r.set_parent(one);
    r.set_page_size(50);
    unary(
        "ListCaseNotes (account)",
        [&](auto* c, auto& q, auto* p) { return client.accounts().ListCaseNotes(c, q, p); }, r,
        v1::ListCaseNotesResponse());
    v1::GetBalanceRequest b;
    b.set_account(one);
    b.set_as_of_date(absl::GetFlag(FLAGS_as_of));
    unary(
        "GetBalance (account: each of the chart's 12 bars)",
        [&](auto* c, auto& q, auto* p) { return client.ledger().GetBalance(c, q, p); }, b,
        v1::Balance());
    v1::ListTransactionsRequest t;
    t.set_parent(one);
    t.set_page_size(50);
    unary(
        "ListTransactions, first page of 50 (transactions)",
        [&](auto* c, auto& q, auto* p) { return client.ledger().ListTransactions(c, q, p); }, t,
        v1::ListTransactionsResponse());
  }
  // Audit packs of one year, for accounts spread over the council.
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const Date as_of = *Date::Parse(absl::GetFlag(FLAGS_as_of));
  int n = 0;
  ok = ok && measure("GetAuditPack, one year", [&] {
         v1::GetAuditPackRequest r;
         r.set_account(absl::StrFormat("councils/%s/accounts/A%07d", kCouncil,
                                       (n++ * 7919) % std::max(1, accounts)));
         r.set_start_date(as_of.AddDays(-364).ToString());
         r.set_end_date(as_of.ToString());
         grpc::ClientContext ctx;
         client.PrepareContext(&ctx);
         v1::AuditPack p;
         return client.audits().GetAuditPack(&ctx, r, &p);
       });
  // What is due and risk, as of the server's today (start it with
  // --today=--as_of): the server builds the council's survey when it starts
  // (or else the first call does), the rest read the index. A past date is
  // surveyed in full.
  if (ok) {
    ClientOptions slow = options;
    slow.deadline = absl::Seconds(600);
    Client patient(slow);
    v1::ListAuditsDueRequest due;
    due.set_council(absl::StrCat("councils/", kCouncil));
    due.set_as_of_date(as_of.ToString());
    due.set_page_size(50);
    v1::ListAuditsDueResponse first_page;
    auto list_due = [&](const v1::ListAuditsDueRequest& q, v1::ListAuditsDueResponse* r) {
      grpc::ClientContext ctx;
      patient.PrepareContext(&ctx);
      return patient.audits().ListAuditsDue(&ctx, q, r);
    };
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status s = list_due(due, &first_page);
    const double build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!s.ok()) {
      std::cerr << "ListAuditsDue: " << s.error_message() << "\n";
      return 1;
    }
    std::printf(
        "ListAuditsDue, first call (builds the survey of %d accounts if the server has not yet): "
        "%.0f ms\n",
        accounts, build_ms);
    ok = measure("ListAuditsDue first page of 50 (audits due)", [&] {
      v1::ListAuditsDueResponse r;
      return list_due(due, &r);
    });
    if (ok && !first_page.next_page_token().empty()) {
      v1::ListAuditsDueRequest next = due;
      next.set_page_token(first_page.next_page_token());
      ok = measure("ListAuditsDue next page of 50", [&] {
        v1::ListAuditsDueResponse r;
        return list_due(next, &r);
      });
    }
    v1::ListAuditsDueRequest month = due;
    month.set_within_days(31);
    month.set_page_size(1);
    ok = ok && measure("ListAuditsDue within 31 days, page of 1 (today's tile)", [&] {
           v1::ListAuditsDueResponse r;
           return list_due(month, &r);
         });
    v1::ListAccountRisksRequest risks;
    risks.set_council(due.council());
    risks.set_as_of_date(as_of.ToString());
    risks.set_page_size(50);
    ok = ok && measure("ListAccountRisks first page of 50", [&] {
           grpc::ClientContext ctx;
           patient.PrepareContext(&ctx);
           v1::ListAccountRisksResponse r;
           return patient.audits().ListAccountRisks(&ctx, risks, &r);
         });
    v1::ListRecoveriesRequest recoveries;
    recoveries.set_council(due.council());
    recoveries.set_as_of_date(as_of.ToString());
    recoveries.set_page_size(100);
    for (v1::RecoveryState state : {v1::RECOVERY_STATE_UNSPECIFIED, v1::IN_PROGRESS}) {
      recoveries.set_state(state);
      ok = ok && measure(state == v1::IN_PROGRESS
                             ? "ListRecoveries in progress, first page of 100, from today's survey"
                             : "ListRecoveries first page of 100, from today's survey",
                         [&] {
                           grpc::ClientContext ctx;
                           patient.PrepareContext(&ctx);
                           v1::ListRecoveriesResponse r;
                           return patient.accounts().ListRecoveries(&ctx, recoveries, &r);
                         });
    }
    // A change to one account (a review recorded) and the listing after it,
    // which recomputes that account's row.
    int k = 0;
    std::vector<double> after_change;
    for (int i = 0; ok && i < 200; ++i) {
      v1::RecordReviewRequest review;
      review.set_account(absl::StrFormat("councils/%s/accounts/A%07d", kCouncil,
                                         (k++ * 104729) % std::max(1, accounts)));
      review.mutable_review()->set_date(as_of.ToString());
      review.mutable_review()->set_note("benchmark");
      grpc::ClientContext ctx;
      patient.PrepareContext(&ctx);
      v1::Account unused;
      if (grpc::Status rs = patient.accounts().RecordReview(&ctx, review, &unused); !rs.ok()) {
        std::cerr << "RecordReview: " << rs.error_message() << "\n";
        ok = false;
        break;
      }
      v1::ListAuditsDueResponse r;
      const auto t1 = std::chrono::steady_clock::now();
      ok = list_due(due, &r).ok();
      after_change.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count());
    }
    if (ok) {
      std::printf("ListAuditsDue after a review is recorded: %zu calls: p50 %.0f us, p99 %.0f us\n",
                  after_change.size(), Percentile(after_change, 0.5),
                  Percentile(after_change, 0.99));
    }
    v1::ListAuditsDueRequest past = due;
    past.set_as_of_date(as_of.AddDays(-30).ToString());
    const auto t2 = std::chrono::steady_clock::now();
    v1::ListAuditsDueResponse r;
    ok = ok && list_due(past, &r).ok();
    std::printf(
        "ListAuditsDue as of 30 days earlier (a full survey): %.0f ms\n",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t2).count());
  }
  return ok ? 0 : 1;
}

// `compact` on its own: for a directory generated before the generator compacted.
int Compact() {
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.path = absl::GetFlag(FLAGS_data_dir);
  if (absl::Status s = Store::Open(options, &store); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  absl::Status s = store->CompactAll();
  if (!s.ok()) std::cerr << s << "\n";
  return s.ok() ? 0 : 1;
}

int Evaluate() {
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.path = absl::GetFlag(FLAGS_data_dir);
  const int cache_mib = absl::GetFlag(FLAGS_block_cache_mib);
  options.block_cache_bytes =
      cache_mib <= 0 ? DefaultBlockCacheBytes() : static_cast<size_t>(cache_mib) << 20;
  std::cerr << "block cache: " << (options.block_cache_bytes >> 20) << " MiB\n";
  auto open = [&] {
    store.reset();  // closed first: one store a directory
    absl::Status s = Store::Open(options, &store);
    if (!s.ok()) std::cerr << s << "\n";
    return s.ok();
  };
  if (!open()) return 1;
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Each run with an evaluator of its own when told not to remember: as
  // after a restart, every account is read.
  const bool remember = absl::GetFlag(FLAGS_remember);
  const std::string restart = absl::GetFlag(FLAGS_restart);
  if (restart != "none" && restart != "clean" && restart != "crash") {
    std::cerr << "--restart: none, clean or crash, not \"" << restart << "\"\n";
    return 2;
  }
  auto evaluator = std::make_unique<Evaluator>(store.get(), threads);
  const Date as_of = *Date::Parse(absl::GetFlag(FLAGS_as_of));
  const int runs = absl::GetFlag(FLAGS_runs), next_days = absl::GetFlag(FLAGS_next_days);
  for (int run = 1; run <= runs + next_days; ++run) {
    const Date date = as_of.AddDays(std::max(0, run - runs));
    if (run > 1 && restart != "none") {
      if (restart == "clean") evaluator->StopAndKeep();
      evaluator.reset();
      if (!open()) return 1;
      evaluator = std::make_unique<Evaluator>(store.get(), threads);
      std::printf("restarted: %lld accounts known\n",
                  static_cast<long long>(evaluator->Recalled()));
    } else if (!remember) {
      evaluator = std::make_unique<Evaluator>(store.get(), threads);
    }
    const auto started = std::chrono::steady_clock::now();
    const double cpu_before = CpuSeconds();
    absl::StatusOr<v1::EvaluateCouncilResponse> r = evaluator->EvaluateCouncil(kCouncil, date);
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      return 1;
    }
    std::printf(
        "evaluate run %d (%s): %lld accounts as of %s, %d threads: %.2f s (CPU %.2f s); raised "
        "%lld, cleared %lld, updated %lld; %lld unchanged (not read); peak memory (VmHWM) %s\n",
        run,
        run > runs ? "a day later"
        : run == 1 ? "first in this process"
                   : "again: nothing changed",
        static_cast<long long>(r->accounts()), date.ToString().c_str(), threads, Seconds(started),
        CpuSeconds() - cpu_before, static_cast<long long>(r->raised()),
        static_cast<long long>(r->cleared()), static_cast<long long>(r->updated()),
        static_cast<long long>(r->unchanged()), PeakMemory().c_str());
  }
  return 0;
}

}  // namespace
}  // namespace dpmon

int main(int argc, char** argv) {
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 ||
      (absl::GetFlag(FLAGS_data_dir).empty() && std::string(args[1]) != "dashboard")) {
    std::fprintf(stderr, "usage: dpmon-bench-eval generate|evaluate --data_dir=D\n");
    return 2;
  }
  const std::string cmd = args[1];
  if (cmd == "generate") return dpmon::Generate();
  if (cmd == "evaluate") return dpmon::Evaluate();
  if (cmd == "dashboard") return dpmon::Dashboard();
  if (cmd == "compact") return dpmon::Compact();
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
