// Audit jobs over real gRPC on the real server: audit packs for the shared
// scenarios against figures this test works out itself from the scenario
// files, the nightly job (`dpctl audit run`) written twice to the same
// bytes with nothing changed on the server, and recoveries that complete
// when their money comes back.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/audit_pack.h"
#include "client/client.h"
#include "common/civil_date.h"
#include "dpmon/v1/import.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

bool IsCredit(v1::Category c) {
  return c == v1::COUNCIL_PAYMENT || c == v1::CLIENT_CONTRIBUTION || c == v1::REFUND ||
         c == v1::OTHER_INCOME;
}

// What a scenario file says, worked out without dpmon.
struct Scenario {
  std::string council;
  std::map<std::string, v1::ImportLine> accounts;
  std::map<std::pair<std::string, std::string>, std::string> ref_owner;
  std::map<std::pair<std::string, std::string>, v1::ImportLine> txns;        // First one stands.
  std::map<std::pair<std::string, std::string>, v1::ImportLine> statements;  // (account, date)
  std::map<std::string, std::vector<v1::ImportLine>> plans, reviews, audits;

  static Scenario FromFile(const std::string& path) {
    Scenario s;
    std::ifstream in(path);
    std::string text;
    std::vector<v1::ImportLine> statement_lines;
    while (std::getline(in, text)) {
      v1::ImportLine l;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &l).ok()) << text;
      if (l.type() == "council") s.council = l.council();
      if (l.type() == "account") {
        s.accounts[l.account()] = l;
        for (const auto& r : l.external_refs()) s.ref_owner[{r.source(), r.ref()}] = l.account();
      }
      if (l.type() == "transaction") s.txns.emplace(std::make_pair(l.source(), l.external_id()), l);
      if (l.type() == "statement") statement_lines.push_back(l);
      if (l.type() == "plan") s.plans[l.account()].push_back(l);
      if (l.type() == "review") s.reviews[l.account()].push_back(l);
      if (l.type() == "audit") s.audits[l.account()].push_back(l);
    }
    for (const auto& l : statement_lines) {
      const std::string a = s.AccountOf(l);
      if (!a.empty()) s.statements.emplace(std::make_pair(a, l.date()), l);
    }
    return s;
  }
  std::string AccountOf(const v1::ImportLine& l) const {
    if (!l.account().empty()) return l.account();
    auto it = ref_owner.find({l.source(), l.account_ref()});
    return it == ref_owner.end() ? "" : it->second;
  }
  // The (category, direction) a transaction counts in: a reversal of a
  // transaction of the same account counts in its original's.
  std::pair<v1::Category, v1::Direction> Slot(const v1::ImportLine& t, int depth = 0) const {
    if (!t.reverses().empty() && depth < 8) {
      auto it = txns.find({t.source(), t.reverses()});
      if (it != txns.end() && AccountOf(it->second) == AccountOf(t)) {
        return Slot(it->second, depth + 1);
      }
    }
    v1::Category c = t.category() == v1::CATEGORY_UNSPECIFIED ? v1::UNCATEGORISED : t.category();
    if (c == v1::UNCATEGORISED) return {c, t.amount_pence() > 0 ? v1::CREDIT : v1::DEBIT};
    return {c, IsCredit(c) ? v1::CREDIT : v1::DEBIT};
  }
  int64_t Balance(const std::string& account, const std::string& through) const {
    int64_t sum = 0;
    for (const auto& [id, t] : txns) {
      if (AccountOf(t) == account && t.booking_date() <= through) sum += t.amount_pence();
    }
    return sum;
  }
  // Σ over the days of [from, to] (from the start date) of the weekly amount
  // in force, / 7, rounded down once.
  int64_t Planned(const std::string& account, Date from, Date to, bool contribution) const {
    const Date start = *Date::Parse(accounts.at(account).start_date());
    if (from < start) from = start;
    auto pit = plans.find(account);
    if (pit == plans.end()) return 0;
    int64_t sum = 0;
    for (Date d = from; d <= to; d = d.AddDays(1)) {
      const v1::ImportLine* in_force = nullptr;
      for (const auto& p : pit->second) {  // In file order: on one date the later wins.
        if (*Date::Parse(p.effective_from()) <= d &&
            (in_force == nullptr || p.effective_from() >= in_force->effective_from())) {
          in_force = &p;
        }
      }
      if (in_force != nullptr) {
        sum += contribution ? in_force->weekly_client_contribution_pence()
                            : in_force->weekly_dp_pence();
      }
    }
    return sum / 7;
  }
};

v1::AuditPack GetPack(Client& client, const std::string& account, const std::string& from,
                      const std::string& to) {
  v1::GetAuditPackRequest r;
  r.set_account(account);
  r.set_start_date(from);
  r.set_end_date(to);
  v1::AuditPack pack;
  grpc::ClientContext ctx;
  client.PrepareContext(&ctx);
  grpc::Status s = client.audits().GetAuditPack(&ctx, r, &pack);
  EXPECT_TRUE(s.ok()) << account << ": " << s.error_message();
  return pack;
}

void CheckPacks(const std::string& name,
                const std::vector<std::pair<std::string, std::string>>& periods) {
  const std::string path = absl::StrCat(DPMON_SHARED_DIR, "/scenarios/", name, ".jsonl");
  const Scenario want = Scenario::FromFile(path);
  TestServer server("audit_" + name);
  ASSERT_TRUE(server.Start({"--evaluate_at=off"}));
  std::string out;
  const int rc = RunCommand(server.Dpctl({"--progress=false", "import", path}), &out);
  ASSERT_TRUE(rc == 0 || rc == 3) << out;
  Client client(server.Options());
  int checked = 0;
  for (const auto& [account, line] : want.accounts) {
    for (const auto& [from, to] : periods) {
      SCOPED_TRACE(absl::StrCat(account, " ", from, "..", to));
      const v1::AuditPack pack =
          GetPack(client, absl::StrCat("councils/", want.council, "/accounts/", account), from, to);
      const Date f = *Date::Parse(from), t = *Date::Parse(to);
      EXPECT_EQ(pack.opening_balance_pence(), want.Balance(account, f.AddDays(-1).ToString()));
      EXPECT_EQ(pack.closing_balance_pence(), want.Balance(account, to));
      // By category and direction.
      std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> slots;
      int64_t credits = 0, debits = 0, count = 0;
      for (const auto& [id, tx] : want.txns) {
        if (want.AccountOf(tx) != account || tx.booking_date() < from || tx.booking_date() > to) {
          continue;
        }
        auto [c, d] = want.Slot(tx);
        auto& slot = slots[{c, d}];
        slot.first += tx.amount_pence();
        slot.second += 1;
        (d == v1::CREDIT ? credits : debits) += tx.amount_pence();
        ++count;
      }
      std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> got;
      for (const auto& c : pack.totals()) {
        got[{c.category(), c.direction()}] = {c.net_pence(), c.transaction_count()};
      }
      EXPECT_EQ(got, slots);
      EXPECT_EQ(pack.credits_pence(), credits);
      EXPECT_EQ(pack.debits_pence(), debits);
      EXPECT_EQ(pack.transaction_count(), count);
      EXPECT_EQ(pack.opening_balance_pence() + credits + debits, pack.closing_balance_pence());
      auto cc = slots.find({v1::CLIENT_CONTRIBUTION, v1::CREDIT});
      EXPECT_EQ(pack.contributions_received_pence(), cc == slots.end() ? 0 : cc->second.first);
      EXPECT_EQ(pack.planned_pence(), want.Planned(account, f, t, false));
      EXPECT_EQ(pack.contributions_expected_pence(), want.Planned(account, f, t, true));
      // Statements in the period, each against the ledger that day.
      std::vector<std::tuple<std::string, int64_t, int64_t>> statements;
      for (const auto& [key, st] : want.statements) {
        if (key.first != account || st.date() < from || st.date() > to) continue;
        statements.emplace_back(st.date(), st.closing_balance_pence(),
                                want.Balance(account, st.date()));
      }
      std::vector<std::tuple<std::string, int64_t, int64_t>> got_statements;
      for (const auto& c : pack.statements()) {
        got_statements.emplace_back(c.date(), c.closing_balance_pence(), c.ledger_balance_pence());
        EXPECT_EQ(c.reconciles(), c.closing_balance_pence() == c.ledger_balance_pence());
      }
      EXPECT_EQ(got_statements, statements);
      int reviews = 0, audits = 0;
      for (const auto& r :
           want.reviews.count(account) ? want.reviews.at(account) : std::vector<v1::ImportLine>{}) {
        reviews += r.date() >= from && r.date() <= to;
      }
      for (const auto& a :
           want.audits.count(account) ? want.audits.at(account) : std::vector<v1::ImportLine>{}) {
        audits += a.date() >= from && a.date() <= to;
      }
      EXPECT_EQ(pack.reviews_size(), reviews);
      EXPECT_EQ(pack.audits_size(), audits);
      EXPECT_EQ(pack.available_pence(), pack.closing_balance_pence() - pack.earmarked_pence());
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(want.accounts.size() * periods.size()));
}

TEST(AuditPack, CouncilDemoMatchesTheFile) {
  CheckPacks("council-demo", {{"2024-01-01", "2024-12-31"},
                              {"2025-01-01", "2025-12-31"},
                              {"2025-04-06", "2026-04-05"},
                              {"2026-02-28", "2026-03-01"}});
}

TEST(AuditPack, EdgesMatchTheFile) {
  CheckPacks("edges", {{"2025-01-01", "2025-12-31"}, {"2025-09-01", "2025-09-30"}});
}

// Every file under `dir`, relative name -> contents.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files[std::filesystem::relative(e.path(), dir).string()] = ss.str();
  }
  return files;
}

TEST(AuditRun, RerunningTheNightlyJobChangesNothing) {
  const std::string path = absl::StrCat(DPMON_SHARED_DIR, "/scenarios/council-demo.jsonl");
  TestServer server("audit_run");
  // The job runs as of a past date: nothing may re-evaluate as of today
  // between the runs (which would store flags as of another date).
  ASSERT_TRUE(server.Start({"--evaluate_at=off", "--reevaluate_delay_ms=-1"}));
  std::string out;
  const int rc = RunCommand(server.Dpctl({"--progress=false", "import", path}), &out);
  ASSERT_TRUE(rc == 0 || rc == 3) << out;
  const std::string dir = server.data_dir() + "-packs";
  const std::vector<std::string> run =
      server.Dpctl({"audit", "run", "--council", "demo", "--as-of", "2026-06-30", "--out", dir});
  ASSERT_EQ(RunCommand(run, &out), 0) << out;
  const std::map<std::string, std::string> first = Tree(dir);
  ASSERT_GT(first.size(), 20u) << out;
  ASSERT_TRUE(first.count("demo/2026-06-30/due.csv"));
  Client client(server.Options());
  auto flags = [&client] {
    v1::ListFlagsRequest r;
    r.set_council("councils/demo");
    r.set_page_size(1000);
    r.add_states(v1::OPEN);
    r.add_states(v1::ACKNOWLEDGED);
    r.add_states(v1::RESOLVED);
    r.add_states(v1::CLEARED);
    v1::ListFlagsResponse resp;
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    EXPECT_TRUE(client.monitoring().ListFlags(&ctx, r, &resp).ok());
    return resp.SerializeAsString();
  };
  const std::string flags_before = flags();
  ASSERT_EQ(RunCommand(run, &out), 0) << out;
  EXPECT_EQ(Tree(dir), first);
  EXPECT_EQ(flags(), flags_before);

  // Each pack's pack.json is exactly what GetAuditPack answers.
  int compared = 0;
  for (const auto& [name, contents] : first) {
    if (name.size() < 10 || name.substr(name.size() - 9) != "pack.json") continue;
    v1::AuditPack from_file;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(contents, &from_file).ok()) << name;
    const v1::AuditPack fresh =
        GetPack(client, from_file.account().name(), from_file.start_date(), from_file.end_date());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_file, fresh)) << name;
    EXPECT_TRUE(first.count(name.substr(0, name.size() - 9) + "pack.html")) << name;
    EXPECT_TRUE(first.count(name.substr(0, name.size() - 9) + "statements.csv")) << name;
    ++compared;
  }
  EXPECT_GT(compared, 10);
  std::filesystem::remove_all(dir);

  // Recording the audit of the first account due moves its next audit a
  // year past the audited period, and the next pack starts the day after.
  auto due = [&client] {
    v1::ListAuditsDueRequest r;
    r.set_council("councils/demo");
    r.set_as_of_date("2026-06-30");
    r.set_page_size(1000);
    v1::ListAuditsDueResponse resp;
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    EXPECT_TRUE(client.audits().ListAuditsDue(&ctx, r, &resp).ok());
    return resp;
  };
  v1::DueEntry audited;
  const v1::ListAuditsDueResponse before = due();
  for (const auto& e : before.entries()) {
    if (e.kind() == v1::AUDIT && e.period_end().substr(5) != "02-29") {
      audited = e;
      break;
    }
  }
  ASSERT_FALSE(audited.account().empty());
  const std::string id = audited.account().substr(audited.account().rfind('/') + 1);
  ASSERT_EQ(RunCommand(server.Dpctl({"audit", "record", "--council", "demo", "--account", id,
                                     "--date", "2026-06-30", "--period_end", audited.period_end(),
                                     "--auditor", "A. Auditor", "--note", "all in order"}),
                       &out),
            0)
      << out;
  const std::string next_due = absl::StrCat(std::stoi(audited.period_end().substr(0, 4)) + 1,
                                            audited.period_end().substr(4));
  bool found = false;
  const v1::ListAuditsDueResponse after = due();
  for (const auto& e : after.entries()) {
    if (e.account() != audited.account() || e.kind() != v1::AUDIT) continue;
    found = true;
    EXPECT_EQ(e.due_date(), next_due);
    EXPECT_EQ(e.period_start(), Date::Parse(audited.period_end())->AddDays(1).ToString());
  }
  // Listed again only if the next audit is already due by then.
  EXPECT_EQ(found, next_due <= "2026-07-28") << next_due;
}

class Recoveries : public ::testing::Test {
 protected:
  void SetUp() override {
    // Evaluations here are as of March 2026 only.
    ASSERT_TRUE(server_.Start({"--evaluate_at=off", "--reevaluate_delay_ms=-1"}));
    client_ = std::make_unique<Client>(server_.Options());
    const std::string file = server_.data_dir() + "-rec.jsonl";
    std::ofstream(file)
        << R"({"type":"council","council":"rc","name":"Recovery Council"})"
           "\n"
        << R"({"type":"account","council":"rc","account":"R1","start_date":"2026-01-01","holding":"PREPAID_CARD","management":"SELF","recipient":"SERVICE_USER"})"
           "\n"
        << R"({"type":"plan","council":"rc","account":"R1","effective_from":"2026-01-01","weekly_dp_pence":10000,"weekly_client_contribution_pence":0,"payment_cycle":"WEEKLY","lines":[{"category":"PA_WAGES","weekly_pence":10000}]})"
           "\n"
        << R"({"type":"transaction","council":"rc","source":"card","account":"R1","external_id":"P1","booking_date":"2026-01-01","amount_pence":200000,"category":"COUNCIL_PAYMENT"})"
           "\n"
        << R"({"type":"account","council":"rc","account":"R2","start_date":"2026-01-01","holding":"BANK_ACCOUNT","management":"SELF","recipient":"SERVICE_USER"})"
           "\n"
        << R"({"type":"plan","council":"rc","account":"R2","effective_from":"2026-01-01","weekly_dp_pence":7000,"weekly_client_contribution_pence":0,"payment_cycle":"WEEKLY","lines":[]})"
           "\n";
    std::string out;
    ASSERT_EQ(RunCommand(server_.Dpctl({"--progress=false", "import", file}), &out), 0) << out;
  }
  void Record(const std::string& account, const std::string& id, int64_t amount,
              v1::RecoveryMethod method, const std::string& date) {
    v1::RecordRecoveryRequest r;
    r.set_account("councils/rc/accounts/" + account);
    r.mutable_recovery()->set_id(id);
    r.mutable_recovery()->set_amount_pence(amount);
    r.mutable_recovery()->set_method(method);
    r.mutable_recovery()->set_date(date);
    r.mutable_recovery()->set_recorded_by("auditor");
    v1::Account a;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    grpc::Status s = client_->accounts().RecordRecovery(&ctx, r, &a);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void Ingest(const std::string& account, const std::string& id, const std::string& date,
              int64_t amount, v1::Category category) {
    v1::IngestBatchRequest r;
    r.set_parent("councils/rc");
    v1::TransactionInput* t = r.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account(account);
    t->set_external_id(id);
    t->set_booking_date(date);
    t->set_amount_pence(amount);
    t->set_category(category);
    v1::IngestBatchResponse resp;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    ASSERT_TRUE(client_->ledger().IngestBatch(&ctx, r, &resp).ok());
    ASSERT_EQ(resp.accepted(), 1);
  }
  // The stored SURPLUS flag's detail after evaluating as of `as_of`.
  std::string SurplusDetail(const std::string& as_of) {
    v1::EvaluateCouncilRequest e;
    e.set_council("councils/rc");
    e.set_as_of_date(as_of);
    v1::EvaluateCouncilResponse er;
    {
      grpc::ClientContext ctx;
      client_->PrepareContext(&ctx);
      EXPECT_TRUE(client_->monitoring().EvaluateCouncil(&ctx, e, &er).ok());
    }
    v1::ListFlagsRequest r;
    r.set_council("councils/rc");
    r.set_kind(v1::SURPLUS);
    r.set_account("councils/rc/accounts/R1");
    v1::ListFlagsResponse flags;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    EXPECT_TRUE(client_->monitoring().ListFlags(&ctx, r, &flags).ok());
    EXPECT_EQ(flags.flags_size(), 1);
    return flags.flags_size() == 1 ? flags.flags(0).detail() : "<none>";
  }
  v1::Recovery State(const std::string& account, const std::string& id, const std::string& as_of) {
    v1::AuditPack p = GetPack(*client_, "councils/rc/accounts/" + account, "2026-01-01", as_of);
    for (const auto& r : p.recoveries()) {
      if (r.id() == id) return r;
    }
    ADD_FAILURE() << "no recovery " << id;
    return {};
  }

  TestServer server_{"recoveries"};
  std::unique_ptr<Client> client_;
};

TEST_F(Recoveries, AReclaimCompletesWhenItsReturnIsIngested) {
  // £2,000 in, £100 a week planned: a surplus; reclaim £500 from the card.
  Record("R1", "REC1", 50000, v1::RECLAIM_FROM_ACCOUNT, "2026-03-01");
  v1::Recovery r = State("R1", "REC1", "2026-03-31");
  EXPECT_EQ(r.state(), v1::IN_PROGRESS);
  EXPECT_EQ(r.recovered_pence(), 0);
  EXPECT_EQ(SurplusDetail("2026-03-31"),
            "recovery REC1 in progress: £0.00 of £500.00 back (RECLAIM_FROM_ACCOUNT since "
            "2026-03-01)");
  Ingest("R1", "RET1", "2026-03-10", -30000, v1::SURPLUS_RETURN);
  r = State("R1", "REC1", "2026-03-31");
  EXPECT_EQ(r.state(), v1::IN_PROGRESS);
  EXPECT_EQ(r.recovered_pence(), 30000);
  // The surplus flag says how far the recovery has come (still a surplus:
  // £1,700 available against an £800 threshold).
  EXPECT_EQ(SurplusDetail("2026-03-31"),
            "recovery REC1 in progress: £300.00 of £500.00 back (RECLAIM_FROM_ACCOUNT since "
            "2026-03-01)");
  // As of a day before the return, nothing was back yet.
  EXPECT_EQ(State("R1", "REC1", "2026-03-09").recovered_pence(), 0);
  Ingest("R1", "RET2", "2026-03-20", -25000, v1::SURPLUS_RETURN);
  r = State("R1", "REC1", "2026-03-31");
  EXPECT_EQ(r.state(), v1::COMPLETED);
  EXPECT_EQ(r.recovered_pence(), 50000);  // At most the amount.
  EXPECT_EQ(SurplusDetail("2026-03-31"), "");
  // A second reclaim shares what came back, oldest first: £50 is left for it.
  Record("R1", "REC2", 10000, v1::INVOICE, "2026-03-15");
  r = State("R1", "REC2", "2026-03-31");
  EXPECT_EQ(r.state(), v1::IN_PROGRESS);
  EXPECT_EQ(r.recovered_pence(), 5000);
  // A return before a recovery's date does not count for it.
  Record("R1", "REC3", 1000, v1::RECLAIM_FROM_ACCOUNT, "2026-03-25");
  EXPECT_EQ(State("R1", "REC3", "2026-03-31").recovered_pence(), 0);
}

TEST_F(Recoveries, ReducedPaymentsCompleteWhenTheShortfallIsMadeUp) {
  // £70 a week planned (£10 a day); from 2026-02-01 the council pays less.
  Record("R2", "RED1", 10000, v1::REDUCE_FUTURE_PAYMENTS, "2026-02-01");
  Ingest("R2", "R2P1", "2026-02-01", 7000, v1::COUNCIL_PAYMENT);
  Ingest("R2", "R2P2", "2026-02-08", 7000, v1::COUNCIL_PAYMENT);
  // 14 days planned £140, paid £140: nothing made up.
  EXPECT_EQ(State("R2", "RED1", "2026-02-14").recovered_pence(), 0);
  Ingest("R2", "R2P3", "2026-02-15", 2000, v1::COUNCIL_PAYMENT);
  // 21 days planned £210, paid £160: £50 made up.
  v1::Recovery r = State("R2", "RED1", "2026-02-21");
  EXPECT_EQ(r.recovered_pence(), 5000);
  EXPECT_EQ(r.state(), v1::IN_PROGRESS);
  Ingest("R2", "R2P4", "2026-02-22", 2000, v1::COUNCIL_PAYMENT);
  r = State("R2", "RED1", "2026-02-28");
  EXPECT_EQ(r.recovered_pence(), 10000);
  EXPECT_EQ(r.state(), v1::COMPLETED);
}

}  // namespace
}  // namespace dpmon
