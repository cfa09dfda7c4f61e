// Unit tests of domain/audit: the risk score's parts at their edges, what is
// due and for which period, and how recoveries share what came back.
#include "domain/audit.h"

#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

RiskInputs Base() {
  RiskInputs in;
  in.management = SELF;
  in.start_date = D("2025-01-01");
  in.as_of = D("2025-06-01");
  return in;
}

TEST(Risk, EachPartAtItsEdges) {
  EXPECT_EQ(RiskOf(Base()).score, 0);

  RiskInputs in = Base();
  in.open_flags = {CRITICAL, WARNING, INFO};
  EXPECT_EQ(RiskOf(in).flags_points, 38);
  EXPECT_EQ(RiskOf(in).open_flags, 3);
  in.open_flags = {CRITICAL, CRITICAL, WARNING};
  EXPECT_EQ(RiskOf(in).flags_points, 50);  // Capped.

  in = Base();
  in.management = AUTHORISED_PERSON;
  EXPECT_EQ(RiskOf(in).management_points, 10);
  in.management = NOMINATED_PERSON;
  EXPECT_EQ(RiskOf(in).management_points, 5);
  in.management = MANAGED_ACCOUNT;
  EXPECT_EQ(RiskOf(in).management_points, 0);

  in = Base();
  in.balance_pence = 99'999;  // £999.99
  EXPECT_EQ(RiskOf(in).amount_points, 0);
  in.balance_pence = 100'000;
  EXPECT_EQ(RiskOf(in).amount_points, 1);
  in.balance_pence = 5'000'000'000;
  EXPECT_EQ(RiskOf(in).amount_points, 20);
  in.balance_pence = -500'000;  // Overdrawn: nothing at stake in the account.
  EXPECT_EQ(RiskOf(in).amount_points, 0);

  in = Base();
  in.as_of = D("2026-01-01");  // 365 days after the start.
  EXPECT_EQ(RiskOf(in).audit_age_points, 0);
  in.as_of = D("2026-01-31");  // 395 days: 30 past a year.
  EXPECT_EQ(RiskOf(in).audit_age_points, 2);
  in.last_audit_period_end = D("2025-12-31");  // Audited recently.
  EXPECT_EQ(RiskOf(in).audit_age_points, 0);
  in.last_audit_period_end = std::nullopt;
  in.as_of = D("2030-01-01");
  EXPECT_EQ(RiskOf(in).audit_age_points, 20);

  in.open_flags = {CRITICAL, CRITICAL};
  in.management = AUTHORISED_PERSON;
  in.balance_pence = 3'000'000'00;
  EXPECT_EQ(RiskOf(in).score, 100);
}

AccountModel Account(const char* start) {
  AccountModel m;
  m.start_date = D(start);
  m.holding = PREPAID_CARD;
  return m;
}

Policy DuePolicy() {
  Policy p;
  p.first_review_months = 6;
  p.review_interval_months = 12;
  p.review_alignment_days = 90;
  p.audit_interval_months = 12;
  p.due_soon_days = 28;
  p.closure_settlement_days = 28;
  return p;
}

TEST(DueBy, AuditsAndReviewsWithTheirPeriods) {
  AccountModel m = Account("2025-01-10");
  // Nothing before the start date.
  EXPECT_TRUE(DueBy(m, DuePolicy(), D("2025-01-09"), 3000).empty());
  // As of 2025-06-20: review due 2025-07-10 (start + 6 months), audit 2026-01-10.
  std::vector<Due> due = DueBy(m, DuePolicy(), D("2025-06-20"), 28);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, REVIEW);
  EXPECT_EQ(due[0].due, D("2025-07-10"));
  EXPECT_FALSE(due[0].period_start.has_value());
  EXPECT_TRUE(DueBy(m, DuePolicy(), D("2025-06-20"), 19).empty());  // 20 days away.
  // Overdue audit: the period runs from the start to the due date.
  m.review_dates = {D("2025-07-01")};
  due = DueBy(m, DuePolicy(), D("2026-02-01"), 0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, AUDIT);
  EXPECT_EQ(due[0].due, D("2026-01-10"));
  EXPECT_EQ(*due[0].period_start, D("2025-01-10"));
  EXPECT_EQ(*due[0].period_end, D("2026-01-10"));
  // After an audit to 2026-01-31, the next covers from 2026-02-01, and a
  // pack due in the future stops at as_of.
  m.audits = {{D("2026-02-15"), D("2026-01-31")}};
  m.review_dates = {D("2025-07-01"), D("2026-07-01")};
  due = DueBy(m, DuePolicy(), D("2026-12-20"), 60);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].due, D("2027-01-31"));
  EXPECT_EQ(*due[0].period_start, D("2026-02-01"));
  EXPECT_EQ(*due[0].period_end, D("2026-12-20"));
  // An audit recorded after as_of does not count yet.
  EXPECT_EQ(*DueBy(m, DuePolicy(), D("2026-02-10"), 0)[0].period_start, D("2025-01-10"));
  // Closed: the final audit, and no review.
  m.status_changes = {{D("2026-06-01"), CLOSED}};
  due = DueBy(m, DuePolicy(), D("2026-07-15"), 0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, FINAL_AUDIT);
  EXPECT_EQ(due[0].due, D("2026-06-29"));
}

Recovery Rec(const char* id, int64_t amount, RecoveryMethod method, const char* date) {
  Recovery r;
  r.id = id;
  r.amount_pence = amount;
  r.method = method;
  r.date = D(date);
  return r;
}

TEST(ApplyProgress, OldestFirstWithinEachPeriod) {
  std::vector<Recovery> recs = {
      Rec("B", 500, INVOICE, "2026-02-01"), Rec("A", 1000, RECLAIM_FROM_ACCOUNT, "2026-01-01"),
      Rec("C", 700, REDUCE_FUTURE_PAYMENTS, "2026-01-15"), Rec("LATE", 100, INVOICE, "2026-09-01")};
  const Date as_of = D("2026-03-31");
  const std::vector<Date> periods = ProgressPeriods(as_of, recs);
  ASSERT_EQ(periods, (std::vector<Date>{D("2026-01-01"), D("2026-01-15"), D("2026-02-01")}));
  std::vector<RecoverySums> sums(3);
  sums[0].returned_pence = 600;  // Only A is open: A 600.
  sums[1].returned_pence = 300;  // A 900.
  sums[1].council_planned_pence = 1000;
  sums[1].council_paid_pence = 600;  // C 400.
  sums[2].returned_pence = 450;      // A takes its last 100, B 350.
  sums[2].council_planned_pence = 1000;
  sums[2].council_paid_pence = 1200;  // Overpaid: nothing made up (never below 0).
  ASSERT_TRUE(ApplyProgress(as_of, periods, sums, &recs).ok());
  EXPECT_EQ(recs[1].recovered_pence, 1000);
  EXPECT_EQ(recs[1].state, COMPLETED);
  EXPECT_EQ(recs[0].recovered_pence, 350);
  EXPECT_EQ(recs[0].state, IN_PROGRESS);
  EXPECT_EQ(recs[2].recovered_pence, 400);
  EXPECT_EQ(recs[3].recovered_pence, 0);
  EXPECT_EQ(recs[3].state, IN_PROGRESS);
  EXPECT_FALSE(ApplyProgress(as_of, periods, {}, &recs).ok());
}

}  // namespace
}  // namespace dpmon::domain
