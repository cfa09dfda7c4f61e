// Categorisation rules: conditions, case, direction, order (account first).
#include "storage/categorise.h"

#include "gtest/gtest.h"

namespace dpmon {
namespace {

v1::CategoryRule Rule(const char* mcc, const char* cp, const char* desc, v1::Category c) {
  v1::CategoryRule r;
  r.set_mcc(mcc);
  r.set_counterparty_contains(cp);
  r.set_description_contains(desc);
  r.set_category(c);
  return r;
}

v1::TransactionInput Txn(int64_t pence, const char* mcc, const char* cp, const char* desc) {
  v1::TransactionInput t;
  t.set_amount_pence(pence);
  if (*mcc) t.set_mcc(mcc);
  if (*cp) t.set_counterparty(cp);
  if (*desc) t.set_description(desc);
  return t;
}

TEST(Categorise, ConditionsCaseAndDirection) {
  const v1::CategoryRule agency = Rule("8050", "", "", v1::AGENCY_CARE);
  EXPECT_TRUE(RuleMatches(agency, Txn(-100, "8050", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(-100, "8051", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(-100, "", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(100, "8050", "", "")));  // Money in: not a debit category.
  const v1::CategoryRule wages = Rule("", "smith", "wages", v1::PA_WAGES);
  EXPECT_TRUE(RuleMatches(wages, Txn(-100, "", "J SMITH", "Weekly WAGES wk 3")));
  EXPECT_FALSE(RuleMatches(wages, Txn(-100, "", "J SMITH", "Expenses")));  // Both must hold.
  EXPECT_FALSE(RuleMatches(wages, Txn(-100, "", "", "wages")));
  const v1::CategoryRule council = Rule("", "council", "", v1::COUNCIL_PAYMENT);
  EXPECT_TRUE(RuleMatches(council, Txn(50000, "", "Wiltshire Council", "")));
  EXPECT_FALSE(RuleMatches(council, Txn(-50000, "", "Wiltshire Council", "")));
  EXPECT_FALSE(RuleMatches(Rule("", "", "", v1::OTHER), Txn(-1, "", "x", "y")));  // No condition.
  EXPECT_TRUE(RuleMatches(Rule("", "x", "", v1::UNCATEGORISED), Txn(5, "", "x", "")));
}

TEST(Categorise, AccountRulesFirstThenCouncilFirstMatchWins) {
  CategoryRules account, council;
  *account.Add() = Rule("", "respite", "", v1::RESPITE);
  *council.Add() = Rule("", "house", "", v1::EQUIPMENT);
  *council.Add() = Rule("", "respite house", "", v1::DAY_SERVICES);
  EXPECT_EQ(Categorise(account, council, Txn(-1, "", "Respite House Ltd", "")), v1::RESPITE);
  EXPECT_EQ(Categorise({}, council, Txn(-1, "", "Respite House Ltd", "")), v1::EQUIPMENT);
  EXPECT_EQ(Categorise(account, council, Txn(-1, "", "Tesco", "")), v1::UNCATEGORISED);
}

}  // namespace
}  // namespace dpmon
