// The evaluator over a real Store on a temporary RocksDB directory: the
// flags each account gets as of a date, what storing them raises, that a
// second run changes nothing, and that a change in the ledger clears and
// raises what it should. Expected flags and amounts are worked out by hand
// from DOMAIN.md's rules in the comments, never by the code under test.
#include "server/evaluator.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "domain/policy.h"
#include "gtest/gtest.h"
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
    StoreOptions o;
    o.path = dir_.string();
    ASSERT_TRUE(Store::Open(o, &store_).ok());
    v1::Council c;
    c.set_name(CouncilName("c"));
    c.set_display_name("Test Council");
    *c.mutable_policy() = PolicyToProto(domain::DefaultPolicy());
    ASSERT_TRUE(store_->CreateCouncil("c", c, {}).ok());
    // Two card accounts from 2025-01-01, each with a plan of £70 a week
    // (all PA_WAGES), paid monthly, no client contribution.
    for (const char* id : {"A", "B"}) {
      v1::Account a;
      a.set_start_date("2025-01-01");
      a.set_holding(v1::PREPAID_CARD);
      a.set_management(v1::SELF);
      a.set_recipient(v1::SERVICE_USER);
      v1::ExternalRef* r = a.add_external_refs();
      r->set_source("card");
      r->set_ref(absl::StrCat("CARD-", id));
      v1::PlanVersion* p = a.add_plan_versions();
      p->set_effective_from("2025-01-01");
      p->set_weekly_dp_pence(7000);
      p->set_payment_cycle(v1::MONTHLY);
      v1::PlanLine* l = p->add_lines();
      l->set_category(v1::PA_WAGES);
      l->set_weekly_pence(7000);
      a.set_name(AccountName("c", id));
      ASSERT_TRUE(store_->CreateAccount("c", id, a, {}).ok());
    }
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

}  // namespace
}  // namespace dpmon
