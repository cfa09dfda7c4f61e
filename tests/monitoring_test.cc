// Monitoring over real gRPC on the real server: stored flags and their
// lifecycle (raise, update, clear, acknowledge, resolve, occurrences), the
// dashboard's list order, pagination and counts, re-evaluation on change,
// the daily evaluation, and the account overview.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

const std::string kEdges = std::string(DPMON_SHARED_DIR) + "/scenarios/edges.jsonl";

// Unary call with a fresh context; the gRPC status.
template <typename Req, typename Resp, typename Fn>
grpc::Status Call(Client& client, Fn fn, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  client.PrepareContext(&ctx);
  return fn(&ctx, req, resp);
}

#define MON(method)                                     \
  [&](grpc::ClientContext* c, const auto& q, auto* p) { \
    return client.monitoring().method(c, q, p);         \
  }

class Monitoring : public ::testing::Test {
 protected:
  void StartWith(std::vector<std::string> flags) {
    ASSERT_TRUE(server_.Start(flags));
    client_ = std::make_unique<Client>(server_.Options());
  }
  void Import(const std::string& path) {
    std::string out;
    // 3: some lines were rejected (the scenarios hold a conflicting resend).
    const int status =
        RunCommand({DPMON_DPCTL_BIN, "--server=" + server_.address(),
                    "--key_file=" + server_.admin_key_file(), "--progress=false", "import", path},
                   &out);
    ASSERT_TRUE(status == 0 || status == 3) << status << "\n" << out;
  }
  v1::EvaluateCouncilResponse Evaluate(const std::string& council, const std::string& date) {
    Client& client = *client_;
    v1::EvaluateCouncilRequest r;
    r.set_council("councils/" + council);
    r.set_as_of_date(date);
    v1::EvaluateCouncilResponse out;
    grpc::Status s = Call(client, MON(EvaluateCouncil), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  std::vector<v1::Flag> Report(const std::string& council, const std::string& date) {
    Client& client = *client_;
    v1::ComputeFlagReportRequest r;
    r.set_council("councils/" + council);
    r.set_as_of_date(date);
    v1::ComputeFlagReportResponse out;
    EXPECT_TRUE(Call(client, MON(ComputeFlagReport), r, &out).ok());
    return {out.flags().begin(), out.flags().end()};
  }
  std::vector<v1::Flag> List(v1::ListFlagsRequest r, int page_size = 1000) {
    Client& client = *client_;
    std::vector<v1::Flag> all;
    r.set_page_size(page_size);
    do {
      v1::ListFlagsResponse out;
      grpc::Status s = Call(client, MON(ListFlags), r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      all.insert(all.end(), out.flags().begin(), out.flags().end());
      r.set_page_token(out.next_page_token());
    } while (!r.page_token().empty());
    return all;
  }
  std::vector<v1::Flag> Active(const std::string& council, const std::string& account = "") {
    v1::ListFlagsRequest r;
    r.set_council("councils/" + council);
    if (!account.empty()) r.set_account(absl::StrCat("councils/", council, "/accounts/", account));
    return List(r);
  }
  grpc::Status Act(bool resolve, const std::string& account, v1::FlagKind kind,
                   const std::string& subject, v1::Flag* out) {
    Client& client = *client_;
    v1::ActOnFlagRequest r;
    r.set_account("councils/edge/accounts/" + account);
    r.set_kind(kind);
    r.set_subject(subject);
    r.set_note("checked with the person");
    r.set_actor("officer.one");
    return resolve ? Call(client, MON(ResolveFlag), r, out)
                   : Call(client, MON(AcknowledgeFlag), r, out);
  }
  void Ingest(const std::string& account, const std::string& id, const std::string& date,
              int64_t amount, v1::Category category) {
    Client& client = *client_;
    v1::IngestBatchRequest r;
    r.set_parent("councils/edge");
    v1::TransactionInput* t = r.add_items()->mutable_transaction();
    t->set_source("test");
    t->set_account(account);
    t->set_external_id(id);
    t->set_booking_date(date);
    t->set_amount_pence(amount);
    t->set_category(category);
    v1::IngestBatchResponse out;
    grpc::Status s = Call(
        client,
        [&](grpc::ClientContext* c, const auto& q, auto* p) {
          return client.ledger().IngestBatch(c, q, p);
        },
        r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(out.accepted(), 1);
  }

  TestServer server_{"monitoring"};
  std::unique_ptr<Client> client_;
};

using Key = std::tuple<std::string, int, std::string, bool, int64_t, std::string>;
Key KeyOf(const v1::Flag& f) {
  return {f.account(), f.kind(), f.subject(), f.has_amount_pence(), f.amount_pence(), f.date()};
}
std::multiset<Key> Keys(const std::vector<v1::Flag>& flags) {
  std::multiset<Key> out;
  for (const v1::Flag& f : flags) out.insert(KeyOf(f));
  return out;
}
const v1::Flag* FindFlag(const std::vector<v1::Flag>& flags, const std::string& account,
                         v1::FlagKind kind, const std::string& subject = "") {
  for (const v1::Flag& f : flags) {
    if (f.account() == "councils/edge/accounts/" + account && f.kind() == kind &&
        f.subject() == subject) {
      return &f;
    }
  }
  return nullptr;
}

TEST_F(Monitoring, StoredFlagsFollowTheRulesAndTheirLifecycle) {
  StartWith({"--evaluate_at=off", "--reevaluate_delay_ms=3600000"});
  Import(kEdges);
  v1::EvaluateCouncilResponse first = Evaluate("edge", "2025-10-05");
  EXPECT_EQ(first.accounts(), 3);
  const std::vector<v1::Flag> report = Report("edge", "2025-10-05");
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(first.raised(), static_cast<int64_t>(report.size()));

  // What is stored is what the rules say, every flag OPEN, occurrence 1.
  std::vector<v1::Flag> active = Active("edge");
  EXPECT_EQ(Keys(active), Keys(report));
  for (const v1::Flag& f : active) {
    EXPECT_EQ(f.state(), v1::OPEN);
    EXPECT_EQ(f.occurrence(), 1);
    EXPECT_EQ(f.raised_on(), "2025-10-05");
    EXPECT_FALSE(f.raised_at().empty());
  }
  // Most severe first, then oldest.
  for (size_t i = 1; i < active.size(); ++i) {
    EXPECT_GE(active[i - 1].severity(), active[i].severity());
    if (active[i - 1].severity() == active[i].severity()) {
      EXPECT_LE(active[i - 1].raised_on(), active[i].raised_on());
    }
  }
  // Pages of one give the same list.
  v1::ListFlagsRequest all;
  all.set_council("councils/edge");
  std::vector<v1::Flag> paged = List(all, 1);
  ASSERT_EQ(paged.size(), active.size());
  for (size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(KeyOf(paged[i]), KeyOf(active[i]));

  // Evaluating again as of the same date changes nothing.
  v1::EvaluateCouncilResponse again = Evaluate("edge", "2025-10-05");
  EXPECT_EQ(again.raised(), 0);
  EXPECT_EQ(again.cleared(), 0);
  EXPECT_EQ(again.updated(), 0);

  // Acknowledge any flag; resolve only a per-transaction one.
  v1::Flag f;
  ASSERT_TRUE(Act(false, "E2", v1::DEFICIT, "", &f).ok());
  EXPECT_EQ(f.state(), v1::ACKNOWLEDGED);
  ASSERT_EQ(f.actions_size(), 1);
  EXPECT_EQ(f.actions(0).actor(), "officer.one");
  EXPECT_EQ(f.actions(0).note(), "checked with the person");
  EXPECT_FALSE(f.actions(0).at().empty());
  EXPECT_EQ(Act(true, "E2", v1::DEFICIT, "", &f).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Act(true, "E1", v1::RESTRICTED_SPEND, "cardco:T6", &f).ok());
  EXPECT_EQ(f.state(), v1::RESOLVED);
  EXPECT_EQ(Act(true, "E1", v1::RESTRICTED_SPEND, "cardco:T6", &f).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Act(false, "E1", v1::SURPLUS, "", &f).error_code(), grpc::StatusCode::NOT_FOUND);

  // Resolved stays resolved while its condition holds: not raised again.
  EXPECT_EQ(Evaluate("edge", "2025-10-05").raised(), 0);
  active = Active("edge");
  EXPECT_EQ(FindFlag(active, "E1", v1::RESTRICTED_SPEND, "cardco:T6"), nullptr);
  EXPECT_EQ(active.size(), report.size() - 1);
  v1::ListFlagsRequest resolved;
  resolved.set_council("councils/edge");
  resolved.add_states(v1::RESOLVED);
  ASSERT_EQ(List(resolved).size(), 1u);

  // Counts for the tiles.
  {
    Client& client = *client_;
    v1::CountFlagsRequest r;
    r.set_council("councils/edge");
    v1::CountFlagsResponse counts;
    ASSERT_TRUE(Call(client, MON(CountFlags), r, &counts).ok());
    int64_t open = 0, acked = 0, res = 0;
    for (const v1::FlagCount& c : counts.counts()) {
      if (c.state() == v1::OPEN) open += c.count();
      if (c.state() == v1::ACKNOWLEDGED) acked += c.count();
      if (c.state() == v1::RESOLVED) res += c.count();
    }
    EXPECT_EQ(acked, 1);
    EXPECT_EQ(res, 1);
    EXPECT_EQ(open, static_cast<int64_t>(report.size()) - 2);
    EXPECT_EQ(counts.evaluated_as_of_date(), "2025-10-05");
  }

  // The condition stops holding: CLEARED, history kept. It comes back: a new
  // occurrence, OPEN again.
  Ingest("E2", "top-up", "2025-10-04", 10000, v1::OTHER_INCOME);  // balance −10000 → 0
  EXPECT_GE(Evaluate("edge", "2025-10-05").cleared(), 1);
  EXPECT_EQ(FindFlag(Active("edge", "E2"), "E2", v1::DEFICIT), nullptr);
  Ingest("E2", "spend", "2025-10-05", -500, v1::EQUIPMENT);
  Evaluate("edge", "2025-10-05");
  std::vector<v1::Flag> e2 = Active("edge", "E2");
  const v1::Flag* deficit = FindFlag(e2, "E2", v1::DEFICIT);
  ASSERT_NE(deficit, nullptr);
  EXPECT_EQ(deficit->occurrence(), 2);
  EXPECT_EQ(deficit->state(), v1::OPEN);
  EXPECT_EQ(deficit->amount_pence(), 500);
  v1::ListFlagsRequest history;
  history.set_council("councils/edge");
  history.set_account("councils/edge/accounts/E2");
  history.add_states(v1::CLEARED);
  std::vector<v1::Flag> cleared = List(history);
  const v1::Flag* old = FindFlag(cleared, "E2", v1::DEFICIT);
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->occurrence(), 1);
  EXPECT_EQ(old->cleared_on(), "2025-10-05");
  EXPECT_EQ(old->actions_size(), 1);  // the acknowledgement is kept

  // A later date: what is stored follows the report again (less the resolved flag).
  Evaluate("edge", "2026-01-20");
  std::multiset<Key> want = Keys(Report("edge", "2026-01-20"));
  for (const v1::Flag& r : List(resolved)) want.erase(KeyOf(r));
  EXPECT_EQ(Keys(Active("edge")), want);

  // Every state, every group: pages of one give the same sequence as one
  // page, groups in order (active, resolved, cleared), and filters agree
  // with filtering the whole list.
  v1::ListFlagsRequest every;
  every.set_council("councils/edge");
  for (v1::FlagState st : {v1::OPEN, v1::ACKNOWLEDGED, v1::RESOLVED, v1::CLEARED}) {
    every.add_states(st);
  }
  std::vector<v1::Flag> whole = List(every);
  std::vector<v1::Flag> ones = List(every, 1);
  ASSERT_EQ(ones.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(KeyOf(ones[i]), KeyOf(whole[i]));
    EXPECT_EQ(ones[i].state(), whole[i].state());
    EXPECT_EQ(ones[i].occurrence(), whole[i].occurrence());
  }
  auto group = [](v1::FlagState st) { return st == v1::RESOLVED ? 1 : st == v1::CLEARED ? 2 : 0; };
  for (size_t i = 1; i < whole.size(); ++i) {
    EXPECT_LE(group(whole[i - 1].state()), group(whole[i].state()));
  }
  EXPECT_GT(std::count_if(whole.begin(), whole.end(),
                          [](const v1::Flag& f) { return f.state() == v1::CLEARED; }),
            0);
  for (v1::Severity sev : {v1::CRITICAL, v1::WARNING, v1::INFO}) {
    v1::ListFlagsRequest by_sev = every;
    by_sev.set_severity(sev);
    std::vector<v1::Flag> want_sev;
    for (const v1::Flag& f : whole) {
      if (f.severity() == sev) want_sev.push_back(f);
    }
    std::vector<v1::Flag> got = List(by_sev, 2);
    ASSERT_EQ(got.size(), want_sev.size()) << v1::Severity_Name(sev);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(KeyOf(got[i]), KeyOf(want_sev[i]));
  }
  v1::ListFlagsRequest by_kind = every;
  by_kind.set_kind(v1::DEFICIT);
  std::vector<v1::Flag> deficits = List(by_kind, 1);
  EXPECT_EQ(deficits.size(),
            static_cast<size_t>(std::count_if(whole.begin(), whole.end(), [](const v1::Flag& f) {
              return f.kind() == v1::DEFICIT;
            })));
}

TEST_F(Monitoring, ChangesAreReevaluatedAsOfTodayWithoutAnyJob) {
  StartWith({"--evaluate_at=off", "--reevaluate_delay_ms=50"});
  Import(kEdges);
  // E2 has no plan: the import's account changes alone raise NO_SUPPORT_PLAN.
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  };
  EXPECT_TRUE(wait_for(
      [&] { return FindFlag(Active("edge", "E2"), "E2", v1::NO_SUPPORT_PLAN) != nullptr; }));
  // A plan for E2: the flag clears by itself.
  const std::string plan = server_.data_dir() + ".e2-plan.jsonl";
  {
    std::ofstream f(plan);
    f << R"({"type":"plan","council":"edge","account":"E2","effective_from":"2025-09-01",)"
      << R"("weekly_dp_pence":7000,"weekly_client_contribution_pence":0,)"
      << R"("payment_cycle":"MONTHLY","lines":[]})"
      << "\n";
  }
  Import(plan);
  std::remove(plan.c_str());
  EXPECT_TRUE(wait_for(
      [&] { return FindFlag(Active("edge", "E2"), "E2", v1::NO_SUPPORT_PLAN) == nullptr; }));
}

TEST_F(Monitoring, DailyEvaluationRunsWhenTheServerStartsAfterItsTime) {
  StartWith({"--evaluate_at=00:00", "--reevaluate_delay_ms=3600000"});
  Import(kEdges);
  // Started after 00:00 (London), the server evaluates at once: but the
  // council did not exist yet. Restart: now it does.
  ASSERT_TRUE(server_.Terminate());
  StartWith({"--evaluate_at=00:00", "--reevaluate_delay_ms=3600000"});
  Client& client = *client_;
  v1::CountFlagsRequest r;
  r.set_council("councils/edge");
  v1::CountFlagsResponse counts;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Call(client, MON(CountFlags), r, &counts).ok());
    if (!counts.evaluated_as_of_date().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
  const std::string today = absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), london));
  EXPECT_EQ(counts.evaluated_as_of_date(), today);
  EXPECT_EQ(Keys(Active("edge")), Keys(Report("edge", today)));
}

// What the evaluator knows of each account survives a clean stop (SIGTERM)
// and not a kill -9: after a clean restart the same date evaluated again
// reads no account and changes no flag; after a kill, every account is read.
TEST_F(Monitoring, AfterACleanRestartTheEvaluationReadsOnlyWhatMayHaveChanged) {
  const std::vector<std::string> flags = {"--evaluate_at=off", "--reevaluate_delay_ms=3600000"};
  StartWith(flags);
  Import(kEdges);
  const v1::EvaluateCouncilResponse first = Evaluate("edge", "2025-10-05");
  ASSERT_GT(first.accounts(), 0);
  EXPECT_EQ(first.unchanged(), 0);
  const auto flags_stored = Keys(Active("edge"));
  ASSERT_TRUE(server_.Terminate());
  StartWith(flags);
  EXPECT_NE(server_.Log().find(absl::StrCat("evaluation: ", first.accounts(),
                                            " accounts' flags known from the last clean shutdown")),
            std::string::npos)
      << server_.Log();
  v1::EvaluateCouncilResponse again = Evaluate("edge", "2025-10-05");
  EXPECT_EQ(again.accounts(), first.accounts());
  EXPECT_EQ(again.unchanged(), first.accounts());
  EXPECT_EQ(again.raised() + again.cleared() + again.updated(), 0);
  EXPECT_EQ(Keys(Active("edge")), flags_stored);

  server_.Kill9();
  StartWith(flags);
  again = Evaluate("edge", "2025-10-05");
  EXPECT_EQ(again.unchanged(), 0);
  EXPECT_EQ(again.raised() + again.cleared() + again.updated(), 0);
  EXPECT_EQ(Keys(Active("edge")), flags_stored);
}

TEST_F(Monitoring, OverviewShowsTheWholePicture) {
  StartWith({"--evaluate_at=off", "--reevaluate_delay_ms=3600000"});
  Import(kEdges);
  Evaluate("edge", "2025-10-05");
  Client& client = *client_;
  v1::GetAccountOverviewRequest r;
  r.set_account("councils/edge/accounts/E1");
  r.set_as_of_date("2025-10-05");
  v1::AccountOverview o;
  grpc::Status s = Call(client, MON(GetAccountOverview), r, &o);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // From edges.jsonl by hand: E1 received 600 + 600, paid wages 140 × 3
  // (T3's 410 resend conflicts and is rejected), 25 bet reversed by 25, 30
  // at the off-licence: 1200 − 420 − 30 = 750.00.
  EXPECT_EQ(o.balance_pence(), 75000);
  EXPECT_EQ(o.earmarked_pence(), 0);
  EXPECT_EQ(o.available_pence(), 75000);
  EXPECT_EQ(o.status(), v1::ACTIVE);
  EXPECT_EQ(o.window_start(), "2025-08-31");  // the start date: younger than 84 days
  // 36 days at 14000/week: 14000 × 36 / 7 = 72000.
  EXPECT_EQ(o.planned_pence(), 72000);
  EXPECT_EQ(o.spend_pence(), 42000 + 3000);
  ASSERT_GE(o.lines_size(), 1);
  EXPECT_EQ(o.lines(0).category(), v1::PA_WAGES);
  EXPECT_EQ(o.lines(0).planned_pence(), 72000);
  EXPECT_EQ(o.lines(0).actual_pence(), 42000);
  // care_plan_review_date 2026-01-15 lies within 90 days before the first
  // review due (2025-08-31 + 6 months = 2026-02-28).
  EXPECT_EQ(o.next_review_due(), "2026-01-15");
  EXPECT_EQ(o.next_audit_due(), "2026-08-31");
  EXPECT_EQ(o.last_feed_date(), "2025-10-03");
  EXPECT_EQ(o.last_statement().input().date(), "2025-10-03");
  EXPECT_TRUE(o.last_statement_reconciles());
  // Its flags are the report's for E1, with their stored state.
  std::vector<v1::Flag> report;
  for (const v1::Flag& f : Report("edge", "2025-10-05")) {
    if (f.account() == "councils/edge/accounts/E1") report.push_back(f);
  }
  EXPECT_EQ(Keys({o.flags().begin(), o.flags().end()}), Keys(report));
  for (const v1::Flag& f : o.flags()) EXPECT_EQ(f.state(), v1::OPEN);
}

TEST_F(Monitoring, PolicyChangeToRestrictedMccsReachesPastTransactions) {
  StartWith({"--evaluate_at=off", "--reevaluate_delay_ms=3600000"});
  Import(kEdges);
  // E1's T3... are wages; its card spend T6 is at MCC 5921 (restricted by
  // default). Restrict nothing: the flag goes; restrict 5921 again: back.
  auto restricted = [&] {
    int n = 0;
    for (const v1::Flag& f : Report("edge", "2025-10-05")) n += f.kind() == v1::RESTRICTED_SPEND;
    return n;
  };
  ASSERT_EQ(restricted(), 1);
  Client& client = *client_;
  auto set_mccs = [&](std::vector<std::string> mccs) {
    v1::UpdatePolicyRequest r;
    r.set_council("councils/edge");
    for (const std::string& m : mccs) r.mutable_policy()->add_restricted_mccs(m);
    r.mutable_update_mask()->add_paths("restricted_mccs");
    v1::Council out;
    grpc::Status s = Call(
        client,
        [&](grpc::ClientContext* c, const auto& q, auto* p) {
          return client.councils().UpdatePolicy(c, q, p);
        },
        r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  };
  set_mccs({"9999"});
  EXPECT_EQ(restricted(), 0);
  set_mccs({"5921", "7995"});  // T4 at 7995 is reversed: still only T6
  EXPECT_EQ(restricted(), 1);
}

TEST_F(Monitoring, BadRequestsNameTheField) {
  StartWith({"--evaluate_at=off", "--reevaluate_delay_ms=3600000"});
  Import(kEdges);
  Client& client = *client_;
  v1::ComputeFlagReportRequest report;
  report.set_council("councils/edge");
  report.set_as_of_date("2025-02-30");
  v1::ComputeFlagReportResponse out;
  grpc::Status s = Call(client, MON(ComputeFlagReport), report, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "as_of_date");
  report.set_as_of_date("2025-02-28");
  report.set_council("councils/nowhere");
  EXPECT_EQ(Call(client, MON(ComputeFlagReport), report, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ActOnFlagRequest act;
  act.set_account("councils/edge/accounts/E2");
  act.set_kind(v1::DEFICIT);
  act.set_actor("officer.one");
  v1::Flag flag;
  s = Call(client, MON(AcknowledgeFlag), act, &flag);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "note");
  act.set_note("n");
  act.set_kind(v1::FLAG_KIND_UNSPECIFIED);
  s = Call(client, MON(AcknowledgeFlag), act, &flag);
  EXPECT_EQ(BadRequestField(s), "kind");

  v1::ListFlagsRequest list;
  list.set_council("councils/edge");
  list.add_states(static_cast<v1::FlagState>(42));
  v1::ListFlagsResponse page;
  s = Call(client, MON(ListFlags), list, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "states[0]");
  list.clear_states();
  list.set_page_token("not-a-token");
  s = Call(client, MON(ListFlags), list, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "page_token");
}

}  // namespace
}  // namespace dpmon
