// The 16 rules of DOMAIN.md at their edges. Expected values are worked out by
// hand from DOMAIN.md in each test, never by the code under test.
#include "domain/rules.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

Date D(const char* s) { return *Date::Parse(s); }

// Builds an account the way it is recorded: dated records in the order
// given; Model() puts them in order as storage's reader does.
struct Builder {
  AccountModel account;
  Builder(const char* start, Holding holding = PREPAID_CARD) {
    account.start_date = D(start);
    account.holding = holding;
  }
  Builder& Plan(const char* from, int64_t weekly, int64_t contribution = 0,
                PaymentCycle cycle = MONTHLY, std::vector<Category> lines = {PA_WAGES}) {
    AccountModel::PlanVersion p;
    p.effective_from = D(from);
    p.weekly_dp_pence = weekly;
    p.weekly_client_contribution_pence = contribution;
    p.payment_cycle = cycle;
    for (Category c : lines) {
      p.line_categories.push_back(c);
      p.line_weekly_pence.push_back(1);
    }
    account.plan_versions.push_back(std::move(p));
    return *this;
  }
  Builder& Status(const char* date, AccountStatus s) {
    account.status_changes.push_back({D(date), s});
    return *this;
  }
  Builder& Earmark(const char* from, const char* until, int64_t amount) {
    account.earmarks.push_back({D(from), D(until), amount});
    return *this;
  }
  Builder& Review(const char* date) {
    account.review_dates.push_back(D(date));
    return *this;
  }
  Builder& Audit(const char* date, const char* period_end) {
    account.audits.push_back({D(date), D(period_end)});
    return *this;
  }
  Builder& CarePlanReview(const char* date) {
    account.care_plan_review_date = D(date);
    return *this;
  }
  AccountModel Model() const {
    AccountModel m = account;
    m.Normalise();
    return m;
  }
};

// Facts with a feed that is never stale unless a test says so.
LedgerFacts Fresh(Date as_of, int64_t balance = 0) {
  LedgerFacts f;
  f.balance_pence = balance;
  f.last_transaction = as_of;
  f.last_council_payment = as_of;
  return f;
}

void Spend(LedgerFacts* f, Category c, int64_t pence) {
  f->window.net_pence[SlotOf(c, DEBIT)] -= pence;
}

std::vector<RuleFlag> Eval(const Builder& b, Date as_of, const LedgerFacts& facts,
                           const Policy& policy = DefaultPolicy()) {
  std::vector<RuleFlag> flags;
  absl::Status s = EvaluateAccount(b.Model(), policy, as_of, facts, &flags);
  EXPECT_TRUE(s.ok()) << s;
  return flags;
}

// A copy, so that it outlives the vector it came from.
std::optional<RuleFlag> Find(const std::vector<RuleFlag>& flags, FlagKind kind,
                             const std::string& subject = "") {
  for (const RuleFlag& f : flags) {
    if (f.kind == kind && f.subject == subject) return f;
  }
  return std::nullopt;
}

std::vector<std::string> Kinds(const std::vector<RuleFlag>& flags) {
  std::vector<std::string> out;
  for (const RuleFlag& f : flags) out.push_back(std::string(FlagKindName(f.kind)));
  return out;
}

// A plain active account: started long ago, reviewed and audited recently, so
// that only the rule under test can fire.
Builder Quiet(int64_t weekly = 7000, int64_t contribution = 0) {
  Builder b("2020-01-01");
  b.Plan("2020-01-01", weekly, contribution).Review("2025-06-01").Audit("2025-06-01", "2025-05-31");
  return b;
}
const Date kAsOf = D("2025-09-30");

TEST(Rules, QuietAccountHasNoFlags) {
  LedgerFacts f = Fresh(kAsOf, 1000);
  Spend(&f, PA_WAGES, 84000);  // exactly planned: 7000 × 84 / 7
  EXPECT_THAT(Kinds(Eval(Quiet(), kAsOf, f)), testing::IsEmpty());
}

TEST(Rules, NothingBeforeStartDate) {
  Builder b("2025-10-01");
  EXPECT_THAT(Eval(b, kAsOf, Fresh(kAsOf, -500)), testing::IsEmpty());
  EXPECT_NE(Find(Eval(b, D("2025-10-01"), Fresh(D("2025-10-01"), -500)), DEFICIT), std::nullopt);
}

TEST(Rules, NoSupportPlanUntilAVersionIsInForce) {
  Builder b = Quiet();
  b.account.plan_versions[0].effective_from = D("2025-10-01");
  EXPECT_NE(Find(Eval(b, kAsOf, Fresh(kAsOf)), NO_SUPPORT_PLAN), std::nullopt);
  EXPECT_EQ(Find(Eval(b, D("2025-10-01"), Fresh(D("2025-10-01"))), NO_SUPPORT_PLAN), std::nullopt);
}

TEST(Rules, DeficitBelowZeroOnly) {
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, Fresh(kAsOf, 0)), DEFICIT), std::nullopt);
  std::optional<RuleFlag> f = Find(Eval(Quiet(), kAsOf, Fresh(kAsOf, -1)), DEFICIT);
  ASSERT_NE(f, std::nullopt);
  EXPECT_EQ(f->amount_pence, 1);
  EXPECT_EQ(f->severity, CRITICAL);
  EXPECT_EQ(f->date, std::nullopt);
}

TEST(Rules, SurplusAtThresholdAndOnePennyOver) {
  // weekly 7000, threshold 8 weeks = 56000.
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, Fresh(kAsOf, 56000)), SURPLUS), std::nullopt);
  std::optional<RuleFlag> f = Find(Eval(Quiet(), kAsOf, Fresh(kAsOf, 56001)), SURPLUS);
  ASSERT_NE(f, std::nullopt);
  EXPECT_EQ(f->amount_pence, 1);  // retain 8 weeks = 56000
  Policy p = DefaultPolicy();
  p.surplus_retain_weeks = 4;
  f = Find(Eval(Quiet(), kAsOf, Fresh(kAsOf, 56001), p), SURPLUS);
  ASSERT_NE(f, std::nullopt);
  EXPECT_EQ(f->amount_pence, 56001 - 28000);
}

TEST(Rules, SurplusLessEarmarksInForce) {
  Builder b = Quiet();
  b.Earmark("2025-09-30", "2025-12-31", 10000);  // starts on D: counts
  EXPECT_EQ(Find(Eval(b, kAsOf, Fresh(kAsOf, 66000)), SURPLUS), std::nullopt);
  std::optional<RuleFlag> f = Find(Eval(b, kAsOf, Fresh(kAsOf, 66001)), SURPLUS);
  ASSERT_NE(f, std::nullopt);
  EXPECT_EQ(f->amount_pence, 1);
  Builder ended = Quiet();
  ended.Earmark("2025-01-01", "2025-09-29", 10000);  // ended the day before
  EXPECT_NE(Find(Eval(ended, kAsOf, Fresh(kAsOf, 66000)), SURPLUS), std::nullopt);
  Builder later = Quiet();
  later.Earmark("2025-10-01", "2025-12-31", 10000);  // not yet
  EXPECT_NE(Find(Eval(later, kAsOf, Fresh(kAsOf, 66000)), SURPLUS), std::nullopt);
}

TEST(Rules, OverspendAtThresholdAndOnePennyOver) {
  // planned over 84 days at 7000/week = 84000; 110% = 92400.
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 92400);
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), OVERSPEND), std::nullopt);
  Spend(&f, PA_WAGES, 1);
  std::optional<RuleFlag> flag = Find(Eval(Quiet(), kAsOf, f), OVERSPEND);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, 92401 - 84000);
}

TEST(Rules, SpendLeavesOutSurplusReturnAndCountsUncategorisedDebits) {
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, SURPLUS_RETURN, 1000000);
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), OVERSPEND), std::nullopt);
  Spend(&f, UNCATEGORISED, 92401);
  EXPECT_NE(Find(Eval(Quiet(), kAsOf, f), OVERSPEND), std::nullopt);
  // An uncategorised credit is not spend.
  LedgerFacts g = Fresh(kAsOf);
  Spend(&g, PA_WAGES, 92401);
  g.window.net_pence[SlotOf(UNCATEGORISED, CREDIT)] += 50000;
  EXPECT_NE(Find(Eval(Quiet(), kAsOf, g), OVERSPEND), std::nullopt);
}

TEST(Rules, OverspendNeedsTwentyEightDays) {
  Builder b("2025-09-04");  // window 2025-09-04..09-30 = 27 days
  b.Plan("2025-09-04", 7000).Review("2025-09-04");
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 100000);
  EXPECT_EQ(Find(Eval(b, kAsOf, f), OVERSPEND), std::nullopt);
  Builder b28("2025-09-03");  // 28 days: planned 7000 × 28 / 7 = 28000
  b28.Plan("2025-09-03", 7000);
  std::optional<RuleFlag> flag = Find(Eval(b28, kAsOf, f), OVERSPEND);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, 100000 - 28000);
}

TEST(Rules, PlannedUsesTheVersionInForceEachDayAndRoundsDownOnce) {
  // Window 2025-07-09..2025-09-30 (84 days). 1000/week until 08-31 (54 days),
  // then 2000/week (30 days): (54000 + 60000) / 7 = 16285.71 → 16285.
  Builder b("2020-01-01");
  b.Plan("2020-01-01", 1000)
      .Plan("2025-09-01", 2000)
      .Review("2025-06-01")
      .Audit("2025-06-01", "2025-05-31");
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 17913);  // 17913 × 100 = 1791300 ≤ 110 × 16285 = 1791350
  EXPECT_EQ(Find(Eval(b, kAsOf, f), OVERSPEND), std::nullopt);
  Spend(&f, PA_WAGES, 1);  // 1791400 > 1791350
  std::optional<RuleFlag> flag = Find(Eval(b, kAsOf, f), OVERSPEND);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, 17914 - 16285);
  int64_t planned = 0;
  ASSERT_TRUE(PlannedOver(b.Model(), D("2025-07-09"), kAsOf, false, &planned).ok());
  EXPECT_EQ(planned, 16285);
  // Days before the first version count as 0.
  Builder late("2025-09-01");
  late.Plan("2025-09-15", 7000);
  ASSERT_TRUE(PlannedOver(late.Model(), D("2025-09-01"), kAsOf, false, &planned).ok());
  EXPECT_EQ(planned, 16000);  // 16 days × 7000 / 7
}

TEST(Rules, UnderspendOnlyOverAFullWindow) {
  // planned 84000; 50% = 42000.
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 42000);
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), UNDERSPEND), std::nullopt);
  LedgerFacts g = Fresh(kAsOf);
  Spend(&g, PA_WAGES, 41999);
  std::optional<RuleFlag> flag = Find(Eval(Quiet(), kAsOf, g), UNDERSPEND);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, 84000 - 41999);
  Builder young("2025-07-10");  // 83-day window
  young.Plan("2025-07-10", 7000).Review("2025-07-10");
  EXPECT_EQ(Find(Eval(young, kAsOf, Fresh(kAsOf)), UNDERSPEND), std::nullopt);
  Builder full("2025-07-09");  // 84 days
  full.Plan("2025-07-09", 7000);
  EXPECT_NE(Find(Eval(full, kAsOf, Fresh(kAsOf)), UNDERSPEND), std::nullopt);
}

TEST(Rules, ContributionArrears) {
  // contribution 700/week: expected 8400 over 84 days; 4 weeks = 2800.
  Builder b = Quiet(7000, 700);
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 84000);
  f.window.net_pence[SlotOf(CLIENT_CONTRIBUTION, CREDIT)] = 5600;  // owes 2800
  EXPECT_EQ(Find(Eval(b, kAsOf, f), CONTRIBUTION_ARREARS), std::nullopt);
  f.window.net_pence[SlotOf(CLIENT_CONTRIBUTION, CREDIT)] = 5599;
  std::optional<RuleFlag> flag = Find(Eval(b, kAsOf, f), CONTRIBUTION_ARREARS);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, 2801);
  // No contribution in the plan: no arrears however little arrives.
  f.window.net_pence[SlotOf(CLIENT_CONTRIBUTION, CREDIT)] = 0;
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), CONTRIBUTION_ARREARS), std::nullopt);
}

TEST(Rules, MissedPaymentAfterCycleAndGrace) {
  // MONTHLY: 31 + 5 = 36 days.
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 84000);
  f.last_council_payment = kAsOf.AddDays(-36);
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), MISSED_PAYMENT), std::nullopt);
  f.last_council_payment = kAsOf.AddDays(-37);
  std::optional<RuleFlag> flag = Find(Eval(Quiet(), kAsOf, f), MISSED_PAYMENT);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->date, kAsOf.AddDays(-37));
  EXPECT_EQ(flag->amount_pence, std::nullopt);
  // No payment ever: counted from the start date.
  Builder weekly("2025-09-17");  // 13 days before D; WEEKLY: 7 + 5 = 12
  weekly.Plan("2025-09-17", 7000, 0, WEEKLY).Review("2025-09-17");
  f.last_council_payment.reset();
  flag = Find(Eval(weekly, kAsOf, f), MISSED_PAYMENT);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->date, D("2025-09-17"));
  // The person pays it all: no council share, nothing to miss.
  Builder own = Quiet(7000, 7000);
  EXPECT_EQ(Find(Eval(own, kAsOf, f), MISSED_PAYMENT), std::nullopt);
}

WatchedDebit Debit(const char* id, const char* date, int64_t amount, const char* mcc,
                   Category c = OTHER) {
  WatchedDebit w;
  w.source = "cardco";
  w.external_id = id;
  w.booking_date = D(date);
  w.amount_pence = amount;
  w.mcc = mcc;
  w.category = c;
  return w;
}

TEST(Rules, RestrictedAndEvidenceWithinLookback) {
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 84000);
  // Lookback (D − 365, D] = [2024-09-31 + 1 ...] = 2024-10-01..2025-09-30.
  f.watched_debits = {Debit("T1", "2024-10-01", -2500, "7995"),
                      Debit("T0", "2024-09-30", -2500, "7995"),
                      Debit("T2", "2025-09-01", -4000, "6011"),
                      Debit("T3", "2025-09-02", -6000, "", CASH_WITHDRAWAL),
                      Debit("T4", "2025-09-03", -100, "5921", CASH_WITHDRAWAL),
                      Debit("T5", "2025-09-04", -100, "5999"),
                      Debit("T6", "2025-09-05", -100, "7995")};
  f.watched_debits.back().reversed = true;
  std::vector<RuleFlag> flags = Eval(Quiet(), kAsOf, f);
  std::optional<RuleFlag> r = Find(flags, RESTRICTED_SPEND, "cardco:T1");
  ASSERT_NE(r, std::nullopt);
  EXPECT_EQ(r->amount_pence, 2500);
  EXPECT_EQ(r->date, D("2024-10-01"));
  EXPECT_EQ(Find(flags, RESTRICTED_SPEND, "cardco:T0"), std::nullopt);
  EXPECT_NE(Find(flags, EVIDENCE_REQUIRED, "cardco:T2"), std::nullopt);
  EXPECT_NE(Find(flags, EVIDENCE_REQUIRED, "cardco:T3"), std::nullopt);
  // Restricted and cash: rule 8 only.
  EXPECT_NE(Find(flags, RESTRICTED_SPEND, "cardco:T4"), std::nullopt);
  EXPECT_EQ(Find(flags, EVIDENCE_REQUIRED, "cardco:T4"), std::nullopt);
  EXPECT_EQ(Find(flags, EVIDENCE_REQUIRED, "cardco:T5"), std::nullopt);
  EXPECT_EQ(Find(flags, RESTRICTED_SPEND, "cardco:T6"), std::nullopt);  // reversed
  EXPECT_EQ(Find(flags, RESTRICTED_SPEND, "cardco:T6"), std::nullopt);
  EXPECT_EQ(Find(flags, EVIDENCE_REQUIRED, "cardco:T2")->severity, INFO);
}

TEST(Rules, UnplannedSpendAboveTolerance) {
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 70000);
  Spend(&f, RESPITE, 5000);          // at tolerance
  Spend(&f, EQUIPMENT, 5001);        // over
  Spend(&f, UNCATEGORISED, 6000);    // counts
  Spend(&f, BANK_CHARGES, 9000);     // left out
  Spend(&f, CASH_WITHDRAWAL, 9000);  // left out
  std::vector<RuleFlag> flags = Eval(Quiet(), kAsOf, f);
  EXPECT_EQ(Find(flags, UNPLANNED_SPEND, "RESPITE"), std::nullopt);
  std::optional<RuleFlag> e = Find(flags, UNPLANNED_SPEND, "EQUIPMENT");
  ASSERT_NE(e, std::nullopt);
  EXPECT_EQ(e->amount_pence, 5001);
  EXPECT_NE(Find(flags, UNPLANNED_SPEND, "UNCATEGORISED"), std::nullopt);
  EXPECT_EQ(Find(flags, UNPLANNED_SPEND, "BANK_CHARGES"), std::nullopt);
  EXPECT_EQ(Find(flags, UNPLANNED_SPEND, "CASH_WITHDRAWAL"), std::nullopt);
  EXPECT_EQ(Find(flags, UNPLANNED_SPEND, "PA_WAGES"), std::nullopt);
}

struct DueCase {
  const char* name;
  const char* start;
  const char* care_plan_review;  // "" = none
  const char* review;            // "" = none
  const char* as_of;
  const char* expect_kind;  // "" = no review flag
  const char* expect_due;
};

class ReviewDue : public testing::TestWithParam<DueCase> {};

TEST_P(ReviewDue, Matches) {
  const DueCase& c = GetParam();
  Builder b(c.start);
  b.Plan(c.start, 7000).Audit(c.as_of, c.as_of);
  if (*c.care_plan_review) b.CarePlanReview(c.care_plan_review);
  if (*c.review) b.Review(c.review);
  LedgerFacts f = Fresh(D(c.as_of));
  Spend(&f, PA_WAGES, 84000);
  std::vector<RuleFlag> flags = Eval(b, D(c.as_of), f);
  std::optional<RuleFlag> due = Find(flags, REVIEW_DUE, c.expect_due);
  std::optional<RuleFlag> overdue = Find(flags, REVIEW_OVERDUE, c.expect_due);
  std::string kinds;
  for (const RuleFlag& x : flags)
    kinds += std::string(FlagKindName(x.kind)) + "(" + x.subject + ") ";
  if (std::string(c.expect_kind) == "REVIEW_DUE") {
    EXPECT_NE(due, std::nullopt) << kinds;
    if (due) {
      EXPECT_EQ(due->date, D(c.expect_due));
    }
  } else if (std::string(c.expect_kind) == "REVIEW_OVERDUE") {
    EXPECT_NE(overdue, std::nullopt) << kinds;
    if (overdue) {
      EXPECT_EQ(overdue->severity, WARNING);
    }
  } else {
    for (const RuleFlag& x : flags) {
      EXPECT_NE(x.kind, REVIEW_DUE) << kinds;
      EXPECT_NE(x.kind, REVIEW_OVERDUE) << kinds;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ReviewDue,
    testing::Values(
        // 31 Aug + 6 months clamps to 28 Feb; due soon from 28 days before.
        DueCase{"before_due_soon", "2025-08-31", "", "", "2026-01-30", "", ""},
        DueCase{"first_day_due_soon", "2025-08-31", "", "", "2026-01-31", "REVIEW_DUE",
                "2026-02-28"},
        DueCase{"on_due_date", "2025-08-31", "", "", "2026-02-28", "REVIEW_DUE", "2026-02-28"},
        DueCase{"day_after", "2025-08-31", "", "", "2026-03-01", "REVIEW_OVERDUE", "2026-02-28"},
        // Leap year: 31 Aug 2023 + 6 months = 29 Feb 2024.
        DueCase{"leap", "2023-08-31", "", "", "2024-02-29", "REVIEW_DUE", "2024-02-29"},
        DueCase{"leap_after", "2023-08-31", "", "", "2024-03-01", "REVIEW_OVERDUE", "2024-02-29"},
        // After a review: 12 months on, clamped (29 Feb 2024 + 12 = 28 Feb 2025).
        DueCase{"after_review", "2023-08-31", "", "2024-02-29", "2025-02-28", "REVIEW_DUE",
                "2025-02-28"},
        // Care-plan alignment: [due − 90, due] = [2025-11-30, 2026-02-28].
        DueCase{"aligned_first_day", "2025-08-31", "2025-11-30", "", "2025-11-30", "REVIEW_DUE",
                "2025-11-30"},
        DueCase{"aligned_overdue", "2025-08-31", "2025-11-30", "", "2025-12-01", "REVIEW_OVERDUE",
                "2025-11-30"},
        DueCase{"just_outside", "2025-08-31", "2025-11-29", "", "2025-12-01", "", ""},
        DueCase{"later_never_moves_due", "2025-08-31", "2026-03-01", "", "2026-03-01",
                "REVIEW_OVERDUE", "2026-02-28"},
        // A review dated after D does not count yet.
        DueCase{"future_review", "2025-08-31", "", "2026-03-05", "2026-03-01", "REVIEW_OVERDUE",
                "2026-02-28"}),
    [](const testing::TestParamInfo<DueCase>& i) { return std::string(i.param.name); });

TEST(Rules, AuditDueFromLargestPeriodEnd) {
  Builder b("2024-01-10");
  b.Plan("2024-01-10", 7000).Review("2025-06-01");
  // No audit: due 2025-01-10.
  LedgerFacts f = Fresh(D("2025-01-11"));
  Spend(&f, PA_WAGES, 84000);
  EXPECT_NE(Find(Eval(b, D("2025-01-11"), f), AUDIT_OVERDUE, "2025-01-10"), std::nullopt);
  EXPECT_NE(Find(Eval(b, D("2024-12-13"), f), AUDIT_DUE, "2025-01-10"), std::nullopt);
  EXPECT_EQ(Find(Eval(b, D("2024-12-12"), f), AUDIT_DUE, "2025-01-10"), std::nullopt);
  // An audit dated 2025-02-01 covering to 2025-01-09: next due 2026-01-09,
  // but only from the audit's own date.
  b.Audit("2025-02-01", "2025-01-09").Audit("2025-03-01", "2024-06-30");
  EXPECT_NE(Find(Eval(b, D("2025-01-31"), f), AUDIT_OVERDUE, "2025-01-10"), std::nullopt);
  std::vector<RuleFlag> after = Eval(b, D("2025-02-01"), f);
  EXPECT_EQ(Find(after, AUDIT_OVERDUE, "2025-01-10"), std::nullopt);
  EXPECT_NE(Find(Eval(b, D("2025-12-12"), f), AUDIT_DUE, "2026-01-09"), std::nullopt);
}

TEST(Rules, ClosedAccountFinalAuditAndBalance) {
  // CLOSED since 2025-09-01: final audit due 2025-09-29; balance flagged after it.
  Builder b("2024-01-10", BANK_ACCOUNT);
  b.Plan("2024-01-10", 10000).Status("2025-09-01", CLOSED);
  std::vector<RuleFlag> at = Eval(b, D("2025-09-29"), Fresh(D("2025-09-29"), 40000));
  EXPECT_THAT(Kinds(at), testing::ElementsAre("AUDIT_DUE"));
  EXPECT_EQ(at[0].date, D("2025-09-29"));
  std::vector<RuleFlag> after = Eval(b, D("2025-09-30"), Fresh(D("2025-09-30"), -5));
  EXPECT_THAT(Kinds(after), testing::ElementsAre("AUDIT_OVERDUE", "CLOSED_WITH_BALANCE"));
  EXPECT_EQ(after[1].amount_pence, -5);
  // Zero balance: nothing to settle. A final audit covering the closure: done.
  b.Audit("2025-10-02", "2025-09-01");
  EXPECT_THAT(Eval(b, D("2025-10-02"), Fresh(D("2025-10-02"), 0)), testing::IsEmpty());
  // An audit covering only up to the day before the closure is not final.
  Builder c("2024-01-10", BANK_ACCOUNT);
  c.Plan("2024-01-10", 10000).Status("2025-09-01", CLOSED).Audit("2025-10-02", "2025-08-31");
  EXPECT_THAT(Kinds(Eval(c, D("2025-10-02"), Fresh(D("2025-10-02"), 0))),
              testing::ElementsAre("AUDIT_OVERDUE"));
}

TEST(Rules, ClosedSinceIsTheStartOfTheRun) {
  Builder b("2024-01-10");
  b.Status("2025-03-01", CLOSED)
      .Status("2025-04-01", CLOSED)
      .Status("2025-05-01", SUSPENDED)
      .Status("2025-05-01", CLOSED)  // same date, recorded later: wins
      .Status("2025-06-01", CLOSED);
  AccountModel m = b.Model();
  EXPECT_EQ(m.ClosedSince(D("2025-04-15")), D("2025-03-01"));
  EXPECT_EQ(m.ClosedSince(D("2025-06-15")), D("2025-03-01"));
  EXPECT_EQ(m.ClosedSince(D("2025-02-28")), std::nullopt);
  Builder r("2024-01-10");
  r.Status("2025-03-01", CLOSED).Status("2025-04-01", ACTIVE).Status("2025-05-01", CLOSED);
  EXPECT_EQ(r.Model().ClosedSince(D("2025-05-02")), D("2025-05-01"));
  EXPECT_EQ(r.Model().StatusAt(D("2025-04-30")), ACTIVE);
}

TEST(Rules, SuspendedKeepsBalanceRulesButNotTrendRules) {
  Builder b = Quiet(7000, 700);
  b.Status("2025-09-01", SUSPENDED);
  LedgerFacts f = Fresh(kAsOf, -100);
  Spend(&f, EQUIPMENT, 500000);
  f.last_council_payment = D("2025-01-01");
  f.watched_debits = {Debit("T1", "2025-09-10", -100, "7995")};
  EXPECT_THAT(Kinds(Eval(b, kAsOf, f)), testing::ElementsAre("DEFICIT", "RESTRICTED_SPEND"));
  // The same facts on an active account raise the trend rules too.
  EXPECT_THAT(Kinds(Eval(Quiet(7000, 700), kAsOf, f)),
              testing::ElementsAre("CONTRIBUTION_ARREARS", "DEFICIT", "MISSED_PAYMENT", "OVERSPEND",
                                   "RESTRICTED_SPEND", "UNPLANNED_SPEND"));
}

TEST(Rules, FeedStaleByHolding) {
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 84000);
  f.last_transaction = kAsOf.AddDays(-7);
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), FEED_STALE), std::nullopt);
  f.last_transaction = kAsOf.AddDays(-8);
  std::optional<RuleFlag> flag = Find(Eval(Quiet(), kAsOf, f), FEED_STALE);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->date, kAsOf.AddDays(-8));
  // A later statement counts as feed.
  f.last_statement = LedgerFacts::Statement{kAsOf.AddDays(-2), 0, 0};
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), FEED_STALE), std::nullopt);
  // Bank accounts: 35 days.
  Builder bank("2020-01-01", BANK_ACCOUNT);
  bank.Plan("2020-01-01", 7000).Review("2025-06-01").Audit("2025-06-01", "2025-05-31");
  f.last_statement.reset();
  f.last_transaction = kAsOf.AddDays(-35);
  EXPECT_EQ(Find(Eval(bank, kAsOf, f), FEED_STALE), std::nullopt);
  f.last_transaction = kAsOf.AddDays(-36);
  EXPECT_NE(Find(Eval(bank, kAsOf, f), FEED_STALE), std::nullopt);
  // Nothing ever: from the start date.
  f.last_transaction.reset();
  Builder fresh("2025-09-22");
  fresh.Plan("2025-09-22", 7000);
  EXPECT_EQ(Find(Eval(fresh, kAsOf, f), FEED_STALE)->date, D("2025-09-22"));
}

TEST(Rules, ReconciliationMismatch) {
  LedgerFacts f = Fresh(kAsOf);
  Spend(&f, PA_WAGES, 84000);
  f.last_statement = LedgerFacts::Statement{D("2025-09-15"), 12345, 12345};
  EXPECT_EQ(Find(Eval(Quiet(), kAsOf, f), RECONCILIATION_MISMATCH), std::nullopt);
  f.last_statement->closing_balance_pence = 12344;
  std::optional<RuleFlag> flag = Find(Eval(Quiet(), kAsOf, f), RECONCILIATION_MISMATCH);
  ASSERT_NE(flag, std::nullopt);
  EXPECT_EQ(flag->amount_pence, -1);
  EXPECT_EQ(flag->date, D("2025-09-15"));
  EXPECT_EQ(flag->severity, CRITICAL);
}

TEST(Rules, OverflowIsAnErrorNotAWrap) {
  LedgerFacts f = Fresh(kAsOf);
  f.window.net_pence[SlotOf(PA_WAGES, DEBIT)] = INT64_MIN;
  std::vector<RuleFlag> flags;
  EXPECT_EQ(EvaluateAccount(Quiet().Model(), DefaultPolicy(), kAsOf, f, &flags).code(),
            absl::StatusCode::kOutOfRange);
}

TEST(Rules, FlagsSortedByKindNameThenSubject) {
  LedgerFacts f = Fresh(kAsOf, -1);
  Spend(&f, PA_WAGES, 84000);
  f.watched_debits = {Debit("T9", "2025-09-10", -100, "7995"),
                      Debit("T10", "2025-09-11", -100, "7995")};
  std::vector<RuleFlag> flags = Eval(Quiet(), kAsOf, f);
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_EQ(flags[0].kind, DEFICIT);
  EXPECT_EQ(flags[1].subject, "cardco:T10");
  EXPECT_EQ(flags[2].subject, "cardco:T9");
}

}  // namespace
}  // namespace dpmon::domain
