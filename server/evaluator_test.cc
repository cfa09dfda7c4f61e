// The evaluator over a real Store on a temporary RocksDB directory: the
// flags each account gets as of a date, what storing them raises, that a
// second run changes nothing, and that a change in the ledger clears and
// raises what it should. Expected flags and amounts are worked out by hand
// from DOMAIN.md's rules in the comments, never by the code under test.
#include "server/evaluator.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "common/version.h"
#include "domain/policy.h"
#include "gtest/gtest.h"
#include "server/account_view.h"
#include "storage/proto_domain.h"
#include "storage/store.h"

namespace dpmon {
namespace {

Date D(const char* s) { return *Date::Parse(s); }

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("dpmon_evaluator_test_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                        getpid());
    std::filesystem::remove_all(dir_);
    Reopen();
    v1::Council c;
    c.set_name(CouncilName("c"));
    c.set_display_name("Test Council");
    *c.mutable_policy() = PolicyToProto(domain::DefaultPolicy());
    ASSERT_TRUE(store_->CreateCouncil("c", c, {}).ok());
    // Two card accounts from 2025-01-01, each with a plan of £70 a week
    // (all PA_WAGES), paid monthly, no client contribution.
    for (const char* id : {"A", "B"}) {
      ASSERT_TRUE(store_->CreateAccount("c", id, CardAccount(id, "2025-01-01", 7000), {}).ok());
    }
  }
  // A card account (ref CARD-id) from `start` with a plan from then of
  // `weekly` a week, all PA_WAGES, paid monthly, no client contribution.
  static v1::Account CardAccount(const std::string& id, const std::string& start, int64_t weekly) {
    v1::Account a;
    a.set_start_date(start);
    a.set_holding(v1::PREPAID_CARD);
    a.set_management(v1::SELF);
    a.set_recipient(v1::SERVICE_USER);
    v1::ExternalRef* r = a.add_external_refs();
    r->set_source("card");
    r->set_ref(absl::StrCat("CARD-", id));
    v1::PlanVersion* p = a.add_plan_versions();
    p->set_effective_from(start);
    p->set_weekly_dp_pence(weekly);
    p->set_payment_cycle(v1::MONTHLY);
    v1::PlanLine* l = p->add_lines();
    l->set_category(v1::PA_WAGES);
    l->set_weekly_pence(weekly);
    a.set_name(AccountName("c", id));
    return a;
  }
  // Closes the store (if open) and opens it again.
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.string();
    ASSERT_TRUE(Store::Open(o, &store_).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Ingest(const std::string& ref, const std::string& id, const char* date, int64_t amount,
              v1::Category category) {
    LedgerWrite w;
    w.is_transaction = true;
    w.index = 0;
    w.transaction.set_source("card");
    w.transaction.set_account_ref(ref);
    w.transaction.set_external_id(id);
    w.transaction.set_booking_date(date);
    w.transaction.set_amount_pence(amount);
    w.transaction.set_category(category);
    w.date = D(date);
    storage::IngestOutcome response;
    response.add_results()->set_index(0);
    std::vector<LedgerWrite> items;
    items.push_back(std::move(w));
    absl::StatusOr<storage::IngestOutcome> r = store_->Ingest("c", std::move(items), response, {});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->results(0).outcome(), v1::ACCEPTED);
  }
  // "KIND amount" of each flag the evaluator computes, by account.
  std::map<std::string, std::vector<std::string>> Compute(Evaluator& ev, Date as_of) {
    absl::StatusOr<Page<v1::Account>> accounts =
        store_->ListAccounts("c", "", 100, [](const v1::Account&) { return true; });
    EXPECT_TRUE(accounts.ok());
    absl::StatusOr<v1::Council> council = store_->GetCouncil("c");
    EXPECT_TRUE(council.ok());
    std::vector<AccountResult> results;
    absl::Status s = ev.Compute("c", council->policy(), accounts->items, as_of, &results);
    EXPECT_TRUE(s.ok()) << s;
    std::map<std::string, std::vector<std::string>> out;
    for (const AccountResult& r : results) {
      std::vector<std::string>& flags = out[r.account_id];
      for (const domain::RuleFlag& f : r.flags) {
        flags.push_back(
            absl::StrCat(domain::FlagKindName(f.kind), " ", f.amount_pence.value_or(-1)));
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(EvaluatorTest, EachAccountsFlagsAsOfADate) {
  // B: £20,000 from the council on 2025-03-28.
  Ingest("CARD-B", "B1", "2025-03-28", 2'000'000, v1::COUNCIL_PAYMENT);
  Evaluator ev(store_.get(), 2);
  const auto flags = Compute(ev, D("2025-03-31"));
  // Window as of 2025-03-31: [2025-01-07, 2025-03-31], 84 days; planned
  // 7000 × 84 / 7 = 84,000; spend 0, under 50%: UNDERSPEND 84,000.
  // A: no council payment since the start (89 days > 31 + 5): MISSED_PAYMENT
  // (no amount); no feed since the start (89 days > 7): FEED_STALE.
  EXPECT_EQ(flags.at("A"),
            (std::vector<std::string>{"FEED_STALE -1", "MISSED_PAYMENT -1", "UNDERSPEND 84000"}));
  // B: balance 2,000,000 over 8 weeks × 7000 = 56,000: SURPLUS of
  // 2,000,000 − 56,000 = 1,944,000; paid and fed 3 days ago.
  EXPECT_EQ(flags.at("B"), (std::vector<std::string>{"SURPLUS 1944000", "UNDERSPEND 84000"}));
}

TEST_F(EvaluatorTest, StoringRaisesOnceThenChangesFollowTheLedger) {
  Ingest("CARD-B", "B1", "2025-03-28", 2'000'000, v1::COUNCIL_PAYMENT);
  Evaluator ev(store_.get(), 2);
  absl::StatusOr<v1::EvaluateCouncilResponse> first = ev.EvaluateCouncil("c", D("2025-03-31"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->accounts(), 2);
  EXPECT_EQ(first->raised(), 5);  // A's three and B's two, above.
  absl::StatusOr<v1::EvaluateCouncilResponse> again = ev.EvaluateCouncil("c", D("2025-03-31"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->raised(), 0);
  EXPECT_EQ(again->cleared(), 0);
  EXPECT_EQ(again->updated(), 0);

  // B pays £19,900 of wages on 2025-03-30: balance 10,000 (no surplus);
  // spend 1,990,000 × 100 > 110% × 84,000: OVERSPEND 1,990,000 − 84,000.
  Ingest("CARD-B", "B2", "2025-03-30", -1'990'000, v1::PA_WAGES);
  // An unknown account is skipped, not an error.
  ASSERT_TRUE(ev.EvaluateAccounts("c", {"B", "nobody"}, D("2025-03-31")).ok());
  absl::StatusOr<std::vector<v1::Flag>> stored = store_->GetAccountFlags("c", "B");
  ASSERT_TRUE(stored.ok());
  std::map<std::string, v1::FlagState> state;
  for (const v1::Flag& f : *stored) state[v1::FlagKind_Name(f.kind())] = f.state();
  EXPECT_EQ(state["SURPLUS"], v1::CLEARED);
  EXPECT_EQ(state["UNDERSPEND"], v1::CLEARED);
  EXPECT_EQ(state["OVERSPEND"], v1::OPEN);
  for (const v1::Flag& f : *stored) {
    if (f.kind() == v1::OVERSPEND) {
      EXPECT_EQ(f.amount_pence(), 1'906'000);
    }
  }
}

// Nightly runs that leave out the accounts whose last evaluation stands
// leave every account's stored flags as a full evaluation would, whatever
// happens between them: transactions and statements (some dated ahead, some
// back), reviews, plan versions and status changes to come, officers
// acknowledging flags, policy changes, an evaluation as of an earlier date,
// the same date twice. After each run, the flags the rules raise for every
// account, computed afresh by an evaluator that never skips, are what is
// stored (Store::FlagsChange finds nothing to change).
TEST_F(EvaluatorTest, LeavingOutAccountsWhoseFlagsStandChangesNoStoredFlag) {
  std::mt19937 rng(20261202);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  std::vector<std::string> ids = {"A", "B"};
  for (int i = 0; i < 10; ++i) {
    const std::string id = absl::StrCat("X", i);
    const std::string start = D("2025-01-01").AddDays(pick(60)).ToString();
    const v1::Holding holding = pick(2) == 0 ? v1::PREPAID_CARD : v1::BANK_ACCOUNT;
    const int64_t weekly = pick(2) == 0 ? 7000 : 14000;
    v1::Account a = CardAccount(id, start, weekly);
    a.set_holding(holding);
    v1::PlanVersion* p = a.mutable_plan_versions(0);
    p->set_weekly_client_contribution_pence(pick(3) == 0 ? 1000 : 0);
    p->set_payment_cycle(pick(2) == 0 ? v1::MONTHLY : v1::FOUR_WEEKLY);
    ASSERT_TRUE(store_->CreateAccount("c", id, a, {}).ok());
    ids.push_back(id);
  }
  int seq = 0;
  auto txn = [&](const std::string& id, Date date) {
    const int kind = pick(10);
    const v1::Category category = kind < 2   ? v1::COUNCIL_PAYMENT
                                  : kind < 3 ? v1::CLIENT_CONTRIBUTION
                                  : kind < 4 ? v1::CASH_WITHDRAWAL
                                  : kind < 5 ? v1::TRANSPORT
                                             : v1::PA_WAGES;
    const int64_t amount = category == v1::COUNCIL_PAYMENT       ? 30'000 + 1000 * pick(40)
                           : category == v1::CLIENT_CONTRIBUTION ? 4000
                                                                 : -(500 + 1000 * pick(20));
    Ingest(absl::StrCat("CARD-", id), absl::StrCat("t", ++seq), date.ToString().c_str(), amount,
           category);
  };
  // A history to 30 April: two or three transactions a week each, in bursts.
  for (const std::string& id : ids) {
    for (Date d = D("2025-01-01"); d <= D("2025-04-30"); d = d.AddDays(1 + pick(5))) {
      txn(id, d);
    }
  }
  auto check = [&](Date as_of) {
    Evaluator full(store_.get(), 1);
    absl::StatusOr<Page<v1::Account>> accounts =
        store_->ListAccounts("c", "", 100, [](const v1::Account&) { return true; });
    ASSERT_TRUE(accounts.ok());
    absl::StatusOr<v1::Council> council = store_->GetCouncil("c");
    ASSERT_TRUE(council.ok());
    std::vector<AccountResult> results;
    ASSERT_TRUE(full.Compute("c", council->policy(), accounts->items, as_of, &results).ok());
    for (const AccountResult& r : results) {
      absl::StatusOr<std::vector<v1::Flag>> stored = store_->GetAccountFlags("c", r.account_id);
      ASSERT_TRUE(stored.ok());
      absl::StatusOr<bool> changes = Store::FlagsChange(*stored, r.flags);
      ASSERT_TRUE(changes.ok());
      ASSERT_FALSE(*changes) << "account " << r.account_id << " as of " << as_of.ToString()
                             << ": the stored flags are not those the rules raise";
    }
  };
  auto ev = std::make_unique<Evaluator>(store_.get(), 2);
  int64_t unchanged = 0, accounts = 0, recalled = 0, unchanged_after_restart = 0;
  bool restarted = false;
  Date day = D("2025-05-01");
  for (int night = 0; night < 90; ++night) {
    SCOPED_TRACE(absl::StrCat("night ", night, ", ", day.ToString()));
    for (int n = pick(4); n > 0; --n) {
      const std::string id = ids[pick(static_cast<int>(ids.size()))];
      const RequestKey none;
      switch (pick(9)) {
        case 0:
        case 1:
        case 2:  // a transaction, mostly of the last few days, some ahead
          txn(id, day.AddDays(pick(14) - 8));
          break;
        case 3: {  // a statement, agreeing or not
          LedgerWrite w;
          w.is_transaction = false;
          w.statement.set_source("card");
          w.statement.set_account_ref(absl::StrCat("CARD-", id));
          const Date date = day.AddDays(pick(10) - 5);
          w.statement.set_date(date.ToString());
          w.statement.set_closing_balance_pence(pick(2) == 0 ? 0 : 100 * pick(1000));
          w.date = date;
          storage::IngestOutcome response;
          response.add_results()->set_index(0);
          std::vector<LedgerWrite> items;
          items.push_back(std::move(w));
          ASSERT_TRUE(store_->Ingest("c", std::move(items), response, {}).ok());
          break;
        }
        case 4:  // a review, done or to come
          ASSERT_TRUE(store_
                          ->UpdateAccount(
                              "c", id,
                              [&](v1::Account* a) {
                                a->add_reviews()->set_date(day.AddDays(pick(40) - 20).ToString());
                                return absl::OkStatus();
                              },
                              none)
                          .ok());
          break;
        case 5:  // a plan version from a day to come
          ASSERT_TRUE(store_
                          ->UpdateAccount(
                              "c", id,
                              [&](v1::Account* a) {
                                v1::PlanVersion p = a->plan_versions(0);
                                p.set_effective_from(day.AddDays(1 + pick(10)).ToString());
                                p.set_weekly_dp_pence(7000 + 1000 * pick(10));
                                p.mutable_lines(0)->set_weekly_pence(p.weekly_dp_pence());
                                *a->add_plan_versions() = p;
                                return absl::OkStatus();
                              },
                              none)
                          .ok());
          break;
        case 6: {  // suspended, closed or active again, from a day to come
          const v1::AccountStatus st = pick(3) == 0   ? v1::CLOSED
                                       : pick(2) == 0 ? v1::SUSPENDED
                                                      : v1::ACTIVE;
          ASSERT_TRUE(store_
                          ->UpdateAccount(
                              "c", id,
                              [&](v1::Account* a) {
                                v1::StatusChange* c = a->add_status_history();
                                c->set_date(day.AddDays(1 + pick(10)).ToString());
                                c->set_status(st);
                                return absl::OkStatus();
                              },
                              none)
                          .ok());
          break;
        }
        case 7: {  // an officer acknowledges an open flag
          absl::StatusOr<std::vector<v1::Flag>> flags = store_->GetAccountFlags("c", id);
          ASSERT_TRUE(flags.ok());
          for (const v1::Flag& f : *flags) {
            if (f.state() != v1::OPEN) continue;
            v1::FlagAction action;
            action.set_state(pick(2) == 0 || (f.kind() != v1::RESTRICTED_SPEND &&
                                              f.kind() != v1::EVIDENCE_REQUIRED)
                                 ? v1::ACKNOWLEDGED
                                 : v1::RESOLVED);
            action.set_actor("officer");
            action.set_at("2025-05-01T09:00:00Z");
            ASSERT_TRUE(store_->ActOnFlag("c", id, f.kind(), f.subject(), action, none).ok());
            break;
          }
          break;
        }
        default:  // the policy changes
          ASSERT_TRUE(store_
                          ->UpdateCouncil(
                              "c",
                              [&](v1::Council* c) {
                                c->mutable_policy()->set_due_soon_days(14 + pick(30));
                                c->mutable_policy()->set_payment_grace_days(pick(8));
                                return absl::OkStatus();
                              },
                              none)
                          .ok());
          break;
      }
    }
    // After the day's writes,
    restarted = false;
    if (pick(6) == 0) {         // the server restarts: cleanly, or killed, or cleanly and then
      const int how = pick(4);  // another program writes to the directory before it starts
      if (how != 1) ev->StopAndKeep();
      ev.reset();
      Reopen();
      if (how == 3) {
        txn(ids[pick(static_cast<int>(ids.size()))], day.AddDays(-pick(5)));
        Reopen();
      }
      ev = std::make_unique<Evaluator>(store_.get(), 2);
      if (how == 1 || how == 3) {
        EXPECT_EQ(ev->Recalled(), 0) << "kept though the server did not stop cleanly, or "
                                        "something was written after";
      }
      recalled += ev->Recalled();
      restarted = true;
    }
    if (pick(12) == 0) {  // someone evaluates as of an earlier date
      const Date earlier = day.AddDays(-1 - pick(10));
      ASSERT_TRUE(ev->EvaluateCouncil("c", earlier).ok());
      check(earlier);
      restarted = false;
    }
    absl::StatusOr<v1::EvaluateCouncilResponse> r = ev->EvaluateCouncil("c", day);
    ASSERT_TRUE(r.ok()) << r.status();
    unchanged += r->unchanged();
    accounts += r->accounts();
    if (restarted) unchanged_after_restart += r->unchanged();
    check(day);
    if (pick(8) != 0) day = day.AddDays(1 + (pick(6) == 0 ? 1 : 0));  // else the same date again
  }
  // Not vacuous: many accounts were left out, some on the first night after
  // a clean restart.
  EXPECT_GT(unchanged, accounts / 4);
  EXPECT_GT(recalled, 0);
  EXPECT_GT(unchanged_after_restart, 0);
  RecordProperty("unchanged", static_cast<int>(unchanged));
  RecordProperty("unchanged_after_restart", static_cast<int>(unchanged_after_restart));
}

// What the evaluator knows is kept across a clean restart only: stopped with
// StopAndKeep, the store closed and opened again with nothing written in
// between, by the same program.
TEST_F(EvaluatorTest, WhatItKnowsIsKeptAcrossACleanRestartOnly) {
  for (const char* id : {"A", "B"}) {
    Ingest(absl::StrCat("CARD-", id), absl::StrCat("pay-", id), "2025-03-01", 30'000,
           v1::COUNCIL_PAYMENT);
  }
  auto ev = std::make_unique<Evaluator>(store_.get(), 2);
  EXPECT_EQ(ev->Recalled(), 0);
  ASSERT_TRUE(ev->EvaluateCouncil("c", D("2025-03-10")).ok());
  auto restart = [&](bool keep) {
    if (keep) ev->StopAndKeep();
    ev.reset();
    Reopen();
    ev = std::make_unique<Evaluator>(store_.get(), 2);
  };
  // Clean: both accounts known, and evaluating the same date again leaves
  // them out (what is known of an account holds from its date to a later one).
  restart(true);
  EXPECT_EQ(ev->Recalled(), 2);
  absl::StatusOr<v1::EvaluateCouncilResponse> r = ev->EvaluateCouncil("c", D("2025-03-10"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->unchanged(), 2);
  // Taken once: a second evaluator on the same store knows nothing.
  EXPECT_EQ(Evaluator(store_.get(), 1).Recalled(), 0);

  // An account written since it was evaluated is not kept; the other is.
  Ingest("CARD-A", "day", "2025-03-10", -500, v1::PA_WAGES);
  restart(true);
  EXPECT_EQ(ev->Recalled(), 1);
  r = ev->EvaluateCouncil("c", D("2025-03-10"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->unchanged(), 1);

  // Killed (no StopAndKeep): nothing.
  restart(false);
  EXPECT_EQ(ev->Recalled(), 0);
  ASSERT_TRUE(ev->EvaluateCouncil("c", D("2025-03-11")).ok());

  // Kept, then an account written before the store closed: nothing kept.
  ev->StopAndKeep();
  Ingest("CARD-A", "late", "2025-03-11", -500, v1::PA_WAGES);
  ev.reset();
  Reopen();
  ev = std::make_unique<Evaluator>(store_.get(), 2);
  EXPECT_EQ(ev->Recalled(), 0);
  ASSERT_TRUE(ev->EvaluateCouncil("c", D("2025-03-11")).ok());

  // Kept, then the directory opened and written by another program before
  // the server starts again: nothing.
  ev->StopAndKeep();
  ev.reset();
  Reopen();
  Ingest("CARD-B", "offline", "2025-03-11", -700, v1::PA_WAGES);
  restart(false);
  EXPECT_EQ(ev->Recalled(), 0);
  // ... though opening it without writing leaves it as it was.
  ASSERT_TRUE(ev->EvaluateCouncil("c", D("2025-03-11")).ok());
  restart(true);
  EXPECT_EQ(ev->Recalled(), 2);

  // Kept by another program (another build ID): not taken. The same bytes
  // under this program's build ID are.
  ev->StopAndKeep();
  ev.reset();
  Reopen();
  std::optional<std::string> kept = store_->TakeEvaluatorMemory();
  ASSERT_TRUE(kept.has_value());
  storage::EvaluatorMemory memory;
  ASSERT_TRUE(memory.ParseFromString(*kept));
  EXPECT_EQ(memory.build_id(), BuildId());
  EXPECT_FALSE(memory.build_id().empty());
  for (const std::string& build : {std::string("0123456789abcdef"), memory.build_id()}) {
    storage::EvaluatorMemory m = memory;
    m.set_build_id(build);
    store_->KeepEvaluatorMemory(m.SerializeAsString(), store_->WriteClock());
    Reopen();
    EXPECT_EQ(Evaluator(store_.get(), 1).Recalled(), build == BuildId() ? 2 : 0) << build;
  }
}

}  // namespace
}  // namespace dpmon

namespace dpmon {
namespace {

// Store::FlagsChange, the evaluation threads' quick answer, is exactly
// ChangesFlags' (the writer's own planning), errors included, over
// random stored occurrences (every state, repeated occurrences, cleared or
// not) and rule flags that mostly repeat what is stored, with one fact or
// another changed.
TEST(FlagsChange, AnswersExactlyAsChangesFlags) {
  std::mt19937 rng(1201);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const domain::FlagKind kinds[] = {domain::SURPLUS, domain::RESTRICTED_SPEND, domain::FEED_STALE};
  const char* subjects[] = {"", "card:1", "card:2"};
  const v1::FlagState states[] = {v1::OPEN, v1::ACKNOWLEDGED, v1::RESOLVED, v1::CLEARED};
  const domain::Severity severities[] = {domain::WARNING, domain::CRITICAL};
  int agreed = 0, disagreed = 0, unreadable = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<v1::Flag> stored;
    const int n_stored = pick(5);
    for (int i = 0; i < n_stored; ++i) {
      v1::Flag f;
      f.set_kind(ToProto(kinds[pick(3)]));
      f.set_subject(subjects[pick(3)]);
      f.set_occurrence(1 + pick(3));
      f.set_state(pick(60) == 0 ? v1::FLAG_STATE_UNSPECIFIED : states[pick(4)]);
      if (pick(2) == 0) f.set_cleared_on("2025-11-30");
      f.set_severity(ToProto(severities[pick(2)]));
      if (pick(3) != 0) f.set_amount_pence(pick(3) * 100);
      if (pick(3) != 0) f.set_date(pick(2) == 0 ? "2025-12-01" : "2025-12-02");
      if (pick(4) == 0) f.set_detail("recovery R1 in progress");
      stored.push_back(f);
    }
    // The rules' flags: most copy a stored flag's facts, some change one;
    // some are new.
    std::vector<domain::RuleFlag> flags;
    for (const v1::Flag& s : stored) {
      if (pick(3) == 0) continue;
      domain::RuleFlag f;
      f.kind = ToDomain(s.kind());
      f.subject = s.subject();
      f.severity = ToDomain(s.severity());
      if (s.has_amount_pence()) f.amount_pence = s.amount_pence();
      if (!s.date().empty()) f.date = *Date::Parse(s.date());
      f.detail = s.detail();
      switch (pick(12)) {
        case 0:
          f.severity = f.severity == domain::WARNING ? domain::CRITICAL : domain::WARNING;
          break;
        case 1:
          f.amount_pence = f.amount_pence ? std::nullopt : std::optional<int64_t>(0);
          break;
        case 2:
          f.amount_pence = f.amount_pence.value_or(0) + 1;
          break;
        case 3:
          f.date = f.date ? std::nullopt : std::optional<Date>(*Date::Parse("2025-12-01"));
          break;
        case 4:
          f.detail += "!";
          break;
        default:
          break;
      }
      flags.push_back(f);
    }
    if (pick(6) == 0) {
      domain::RuleFlag f;
      f.kind = kinds[pick(3)];
      f.subject = subjects[pick(3)];
      f.severity = severities[pick(2)];
      flags.push_back(f);
    }
    std::shuffle(flags.begin(), flags.end(), rng);

    const absl::StatusOr<bool> quick = Store::FlagsChange(stored, flags);
    Store::AccountEvaluation e;
    e.account_id = "A";
    e.stored = stored;
    for (const domain::RuleFlag& f : flags) e.flags.push_back(FlagToProto("c", "A", f));
    absl::StatusOr<bool> changes = Store::ChangesFlags("2025-12-31", "2026-01-01T02:00:00Z", &e);
    std::string what;
    for (const v1::Flag& f : stored) absl::StrAppend(&what, "stored ", f.ShortDebugString(), "\n");
    for (const v1::Flag& f : e.flags) absl::StrAppend(&what, "rule ", f.ShortDebugString(), "\n");
    if (!changes.ok()) {
      ++unreadable;
      EXPECT_EQ(quick.status().code(), absl::StatusCode::kDataLoss) << what;
    } else {
      ASSERT_TRUE(quick.ok()) << quick.status() << "\n" << what;
      EXPECT_EQ(*quick, *changes) << what;
      ++(*changes ? disagreed : agreed);
    }
    if (::testing::Test::HasFailure()) break;
  }
  // Each answer was reached often.
  EXPECT_GT(agreed, 2000);
  EXPECT_GT(disagreed, 2000);
  EXPECT_GT(unreadable, 50);
}

}  // namespace
}  // namespace dpmon
