// Categorisation rules: conditions, case, direction, order (account first).
#include "domain/categorise.h"

#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

CategoryRule Rule(const char* mcc, const char* cp, const char* desc, Category c) {
  return CategoryRule{mcc, cp, desc, c};
}

CategoriseInput Txn(int64_t pence, const char* mcc, const char* cp, const char* desc) {
  CategoriseInput t;
  t.amount_pence = pence;
  t.has_mcc = *mcc != 0;
  t.mcc = mcc;
  t.has_counterparty = *cp != 0;
  t.counterparty = cp;
  t.has_description = *desc != 0;
  t.description = desc;
  return t;
}

TEST(Categorise, ConditionsCaseAndDirection) {
  const CategoryRule agency = Rule("8050", "", "", AGENCY_CARE);
  EXPECT_TRUE(RuleMatches(agency, Txn(-100, "8050", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(-100, "8051", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(-100, "", "", "")));
  EXPECT_FALSE(RuleMatches(agency, Txn(100, "8050", "", "")));  // Money in: not a debit category.
  const CategoryRule wages = Rule("", "smith", "wages", PA_WAGES);
  EXPECT_TRUE(RuleMatches(wages, Txn(-100, "", "J SMITH", "Weekly WAGES wk 3")));
  EXPECT_FALSE(RuleMatches(wages, Txn(-100, "", "J SMITH", "Expenses")));  // Both must hold.
  EXPECT_FALSE(RuleMatches(wages, Txn(-100, "", "", "wages")));
  const CategoryRule council = Rule("", "council", "", COUNCIL_PAYMENT);
  EXPECT_TRUE(RuleMatches(council, Txn(50000, "", "Wiltshire Council", "")));
  EXPECT_FALSE(RuleMatches(council, Txn(-50000, "", "Wiltshire Council", "")));
  EXPECT_FALSE(RuleMatches(Rule("", "", "", OTHER), Txn(-1, "", "x", "y")));  // No condition.
  EXPECT_TRUE(RuleMatches(Rule("", "x", "", UNCATEGORISED), Txn(5, "", "x", "")));
}

TEST(Categorise, AccountRulesFirstThenCouncilFirstMatchWins) {
  CategoryRules account, council;
  account.push_back(Rule("", "respite", "", RESPITE));
  council.push_back(Rule("", "house", "", EQUIPMENT));
  council.push_back(Rule("", "respite house", "", DAY_SERVICES));
  EXPECT_EQ(Categorise(account, council, Txn(-1, "", "Respite House Ltd", "")), RESPITE);
  EXPECT_EQ(Categorise({}, council, Txn(-1, "", "Respite House Ltd", "")), EQUIPMENT);
  EXPECT_EQ(Categorise(account, council, Txn(-1, "", "Tesco", "")), UNCATEGORISED);
}

}  // namespace
}  // namespace dpmon::domain
