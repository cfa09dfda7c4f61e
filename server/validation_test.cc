#include "server/validation.h"

#include "gtest/gtest.h"
#include "server/status_util.h"

namespace dpmon {
namespace {

v1::TransactionInput GoodTxn() {
  v1::TransactionInput t;
  t.set_source("cardco");
  t.set_account_ref("CARD-1");
  t.set_external_id("T1");
  t.set_booking_date("2025-04-02");
  t.set_amount_pence(-1500);
  t.set_category(v1::PA_WAGES);
  return t;
}

TEST(ValidateTransactionInput, AcceptsAGoodOne) {
  Date d;
  EXPECT_TRUE(ValidateTransactionInput(GoodTxn(), "items[0].transaction", &d).ok());
  EXPECT_EQ(d.ToString(), "2025-04-02");
}

TEST(ValidateTransactionInput, NamesTheFieldOfEachProblem) {
  struct Case {
    const char* name;
    std::function<void(v1::TransactionInput*)> mutate;
    const char* field;
  } cases[] = {
      {"bad date", [](auto* t) { t->set_booking_date("2025-02-30"); }, "booking_date"},
      {"no date", [](auto* t) { t->clear_booking_date(); }, "booking_date"},
      {"zero", [](auto* t) { t->set_amount_pence(0); }, "amount_pence"},
      {"huge", [](auto* t) { t->set_amount_pence(-10'000'000'001); }, "amount_pence"},
      {"unknown category", [](auto* t) { t->set_category(static_cast<v1::Category>(77)); },
       "category"},
      {"credit category negative", [](auto* t) { t->set_category(v1::REFUND); }, "category"},
      {"debit category positive", [](auto* t) { t->set_amount_pence(10); }, "category"},
      {"empty id", [](auto* t) { t->clear_external_id(); }, "external_id"},
      {"no source", [](auto* t) { t->clear_source(); }, "source"},
      {"no account", [](auto* t) { t->clear_account_ref(); }, "account_ref"},
      {"bad account id", [](auto* t) { t->set_account("a b"); }, "account"},
      {"bad mcc", [](auto* t) { t->set_mcc("59a1"); }, "mcc"},
      {"self reversal", [](auto* t) { t->set_reverses("T1"); }, "reverses"},
      {"control chars", [](auto* t) { t->set_description("a\nb"); }, "description"},
  };
  for (const Case& c : cases) {
    v1::TransactionInput t = GoodTxn();
    c.mutate(&t);
    Date d;
    absl::Status s = ValidateTransactionInput(t, "items[2].transaction", &d);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(FieldOf(s), std::string("items[2].transaction.") + c.field) << c.name;
  }
}

TEST(ValidateTransactionInput, AReversalMayCarryEitherSign) {
  v1::TransactionInput t = GoodTxn();
  t.set_amount_pence(1500);
  t.set_reverses("T0");
  Date d;
  EXPECT_TRUE(ValidateTransactionInput(t, "t", &d).ok());
}

TEST(Policy, DefaultsAreDomainMdsAndMergeSetsOnlyWhatIsGiven) {
  v1::Policy p = DefaultPolicy();
  EXPECT_TRUE(ValidatePolicy(p, "policy").ok());
  EXPECT_EQ(p.surplus_threshold_weeks(), 8);
  EXPECT_EQ(p.trend_window_days(), 84);
  EXPECT_EQ(p.restricted_mccs_size(), 10);
  v1::Policy in;
  in.set_surplus_threshold_weeks(12);
  in.set_surplus_retain_weeks(4);
  ASSERT_TRUE(MergePolicy(in, {}, "policy", &p).ok());
  EXPECT_EQ(p.surplus_threshold_weeks(), 12);
  EXPECT_EQ(p.surplus_retain_weeks(), 4);
  EXPECT_EQ(p.overspend_percent(), 110);
  v1::Policy bad;
  bad.set_surplus_retain_weeks(13);  // above the threshold
  v1::Policy out = p;
  absl::Status s = MergePolicy(bad, {}, "policy", &out);
  EXPECT_EQ(FieldOf(s), "policy.surplus_retain_weeks");
}

TEST(PageTokens, RoundTripAndRejectOtherScopes) {
  std::string t = EncodePageToken("scope-a", std::string("key\0with\xff", 9));
  EXPECT_EQ(*DecodePageToken(t, "scope-a"), std::string("key\0with\xff", 9));
  EXPECT_EQ(DecodePageToken(t, "scope-b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken("!!!", "scope-a").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodePageToken("s", ""), "");
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*EffectivePageSize(0), 100);
  EXPECT_EQ(*EffectivePageSize(5000), 1000);
}

TEST(Names, ParseAndReject) {
  EXPECT_EQ(*ParseCouncilName("councils/wilts", "name"), "wilts");
  auto a = ParseAccountName("councils/wilts/accounts/A1001", "name");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->account, "A1001");
  EXPECT_EQ(ParseAccountName("councils/wilts/A1001", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCouncilName("councils/", "name").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dpmon
