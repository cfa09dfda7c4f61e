// FlagsStandUntil against the rules themselves: for random accounts, ledgers
// and policies, the flags as of every day from D up to the date it gives are
// the flags as of D. The ledger facts of each day are worked out here from a
// plain list of the account's transactions and statements, the way DOMAIN.md
// defines them, not by storage.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/rules.h"
#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

struct Txn {
  Date date;
  int64_t amount = 0;  // negative: a debit
  Category category = UNCATEGORISED;
  std::string mcc;
  int reverses = -1;  // index of the debit it reverses, or -1
};
struct Stmt {
  Date date;
  int64_t closing = 0;
};

struct Ledger {
  std::vector<Txn> txns;
  std::vector<Stmt> statements;

  int64_t BalanceThrough(Date d) const {
    int64_t b = 0;
    for (const Txn& t : txns) {
      if (t.date <= d) b += t.amount;
    }
    return b;
  }
  // A reversal counts in its original's slot.
  int SlotOfTxn(const Txn& t) const {
    if (t.reverses >= 0) {
      const Txn& o = txns[t.reverses];
      return SlotOf(o.category, DirectionOf(o.category, o.amount));
    }
    return SlotOf(t.category, DirectionOf(t.category, t.amount));
  }

  LedgerFacts FactsAsOf(const AccountModel& account, const Policy& policy, Date as_of) const {
    LedgerFacts f;
    const Window w = EvaluationWindow(account, policy, as_of);
    const Date lookback = as_of.AddDays(-policy.transaction_flag_lookback_days + 1);
    for (size_t i = 0; i < txns.size(); ++i) {
      const Txn& t = txns[i];
      if (t.date > as_of) {
        if (!f.next_entry || t.date < *f.next_entry) f.next_entry = t.date;
        continue;
      }
      f.balance_pence += t.amount;
      if (t.date >= w.start) {
        EXPECT_TRUE(f.window.AddTransaction(SlotOfTxn(t), t.amount, 1).ok());
        if (t.date < w.start.AddDays(kWindowLeavingDays)) {
          auto row = std::find_if(f.window_leaving.begin(), f.window_leaving.end(),
                                  [&](const auto& r) { return r.first == t.date; });
          if (row == f.window_leaving.end()) {
            f.window_leaving.emplace_back(t.date, Totals());
            row = f.window_leaving.end() - 1;
          }
          EXPECT_TRUE(row->second.AddTransaction(SlotOfTxn(t), t.amount, 1).ok());
        } else if (!f.later_in_window || t.date < *f.later_in_window) {
          f.later_in_window = t.date;
        }
      }
      if (!f.last_transaction || t.date > *f.last_transaction) f.last_transaction = t.date;
      if (t.reverses < 0 && t.category == COUNCIL_PAYMENT && t.amount > 0 &&
          (!f.last_council_payment || t.date > *f.last_council_payment)) {
        f.last_council_payment = t.date;
      }
      if (t.reverses < 0 && t.amount < 0 && t.date >= lookback &&
          IsWatchedDebit(policy, false, DEBIT, t.category, t.mcc.empty() ? nullptr : &t.mcc)) {
        WatchedDebit d;
        d.source = "card";
        d.external_id = absl::StrCat("t", i);
        d.booking_date = t.date;
        d.amount_pence = t.amount;
        d.mcc = t.mcc;
        d.category = t.category;
        for (const Txn& r : txns) {
          if (r.reverses == static_cast<int>(i) && r.date <= as_of) d.reversed = true;
        }
        f.watched_debits.push_back(d);
      }
    }
    std::sort(f.window_leaving.begin(), f.window_leaving.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const Stmt& s : statements) {
      if (s.date > as_of) {
        if (!f.next_entry || s.date < *f.next_entry) f.next_entry = s.date;
        continue;
      }
      if (!f.last_statement || s.date > f.last_statement->date) {
        f.last_statement = LedgerFacts::Statement{s.date, s.closing, BalanceThrough(s.date)};
      }
    }
    return f;
  }
};

class Random {
 public:
  explicit Random(uint32_t seed) : gen_(seed) {}
  int In(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  bool Chance(int percent) { return In(1, 100) <= percent; }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(In(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  std::mt19937 gen_;
};

Policy RandomPolicy(Random& r) {
  Policy p = DefaultPolicy();
  p.trend_window_days = r.Pick<int32_t>({28, 35, 91});
  p.transaction_flag_lookback_days = r.Pick<int32_t>({7, 30, 90});
  p.due_soon_days = r.Pick<int32_t>({7, 30});
  p.payment_grace_days = r.Pick<int32_t>({0, 3, 7});
  p.feed_stale_days_card = r.Pick<int32_t>({7, 14, 35});
  p.feed_stale_days_bank = r.Pick<int32_t>({14, 45});
  p.closure_settlement_days = r.Pick<int32_t>({14, 60});
  p.first_review_months = r.Pick<int32_t>({1, 6});
  p.review_interval_months = r.Pick<int32_t>({2, 12});
  p.audit_interval_months = r.Pick<int32_t>({3, 12});
  p.review_alignment_days = r.Pick<int32_t>({0, 30});
  p.restricted_mccs = {"7995"};
  p.evidence_mccs = {"5812"};
  return p;
}

AccountModel RandomAccount(Random& r, Date base) {
  AccountModel a;
  a.start_date = base.AddDays(r.In(0, 60));
  a.holding = r.Chance(50) ? BANK_ACCOUNT : PREPAID_CARD;
  const std::vector<PaymentCycle> cycles = {WEEKLY, FORTNIGHTLY, FOUR_WEEKLY, MONTHLY};
  const std::vector<Category> lines = {PA_WAGES, AGENCY_CARE, RESPITE, TRANSPORT};
  for (int i = r.In(0, 3); i > 0; --i) {
    AccountModel::PlanVersion p;
    p.effective_from = a.start_date.AddDays(r.In(-20, 300));
    p.weekly_dp_pence = r.Pick<int64_t>({0, 7000, 14000});
    p.weekly_client_contribution_pence = r.Pick<int64_t>({0, 0, 1000, 7000});
    p.payment_cycle = r.Pick(cycles);
    for (Category c : lines) {
      if (r.Chance(50)) {
        p.line_categories.push_back(c);
        p.line_weekly_pence.push_back(1000);
      }
    }
    a.plan_versions.push_back(p);
  }
  for (int i = r.In(0, 2); i > 0; --i) {
    a.status_changes.push_back(
        {a.start_date.AddDays(r.In(0, 300)), r.Pick<AccountStatus>({ACTIVE, SUSPENDED, CLOSED})});
  }
  for (int i = r.In(0, 2); i > 0; --i) {
    const Date from = a.start_date.AddDays(r.In(0, 300));
    a.earmarks.push_back({from, from.AddDays(r.In(0, 60)), r.Pick<int64_t>({5000, 200000})});
  }
  for (int i = r.In(0, 2); i > 0; --i) a.review_dates.push_back(a.start_date.AddDays(r.In(0, 300)));
  for (int i = r.In(0, 2); i > 0; --i) {
    const Date d = a.start_date.AddDays(r.In(0, 300));
    a.audits.push_back({d, d.AddDays(-r.In(0, 60))});
  }
  if (r.Chance(30)) a.care_plan_review_date = a.start_date.AddDays(r.In(0, 300));
  a.Normalise();
  return a;
}

Ledger RandomLedger(Random& r, const AccountModel& a) {
  Ledger l;
  // Bursts and gaps: some accounts busy, some quiet for months.
  const int n = r.Pick<int>({0, 5, 20, 60});
  const std::vector<Category> debits = {PA_WAGES,     AGENCY_CARE,    RESPITE,
                                        TRANSPORT,    EQUIPMENT,      CASH_WITHDRAWAL,
                                        BANK_CHARGES, SURPLUS_RETURN, OTHER};
  for (int i = 0; i < n; ++i) {
    Txn t;
    t.date = a.start_date.AddDays(r.In(-5, 330));
    const int kind = r.In(0, 9);
    if (kind < 2) {
      t.category = COUNCIL_PAYMENT;
      t.amount = r.Pick<int64_t>({30000, 60000, 300000});
    } else if (kind == 2) {
      t.category = CLIENT_CONTRIBUTION;
      t.amount = 4000;
    } else if (kind == 3 && !l.txns.empty()) {
      // A reversal of an earlier debit, on its day or later.
      const int o = r.In(0, static_cast<int>(l.txns.size()) - 1);
      if (l.txns[o].amount >= 0 || l.txns[o].reverses >= 0) continue;
      t.reverses = o;
      t.category = l.txns[o].category;
      t.amount = -l.txns[o].amount;
      t.date = l.txns[o].date.AddDays(r.In(0, 20));
    } else {
      t.category = r.Pick(debits);
      t.amount = -r.Pick<int64_t>({500, 2500, 40000});
      t.mcc = r.Pick<std::string>({"", "", "7995", "5812", "5411"});
    }
    l.txns.push_back(t);
  }
  for (int i = r.In(0, 3); i > 0; --i) {
    Stmt s;
    s.date = a.start_date.AddDays(r.In(0, 330));
    s.closing = l.BalanceThrough(s.date) + (r.Chance(70) ? 0 : 100);
    bool taken = false;
    for (const Stmt& o : l.statements) taken = taken || o.date == s.date;
    if (!taken) l.statements.push_back(s);
  }
  return l;
}

TEST(FlagsStandUntil, TheFlagsOfEveryDayBeforeItAreTheFlagsOfD) {
  Random r(20261201);
  const Date base = *Date::Parse("2025-01-01");
  int64_t days_checked = 0, evaluations = 0, standing = 0;
  for (int account = 0; account < 400; ++account) {
    const Policy policy = RandomPolicy(r);
    const AccountModel a = RandomAccount(r, base);
    const Ledger ledger = RandomLedger(r, a);
    for (int trial = 0; trial < 12; ++trial) {
      const Date d = a.start_date.AddDays(r.In(-10, 360));
      const LedgerFacts facts = ledger.FactsAsOf(a, policy, d);
      std::vector<RuleFlag> flags;
      ASSERT_TRUE(EvaluateAccount(a, policy, d, facts, &flags).ok());
      const Date until = FlagsStandUntil(a, policy, d, facts);
      ASSERT_GT(until, d);
      ASSERT_LE(until, d.AddDays(366));
      ++evaluations;
      if (until > d.AddDays(1)) ++standing;
      for (Date day = d.AddDays(1); day < until && day <= d.AddDays(120); day = day.AddDays(1)) {
        std::vector<RuleFlag> later;
        ASSERT_TRUE(EvaluateAccount(a, policy, day, ledger.FactsAsOf(a, policy, day), &later).ok());
        ASSERT_EQ(later, flags) << "account " << account << ": flags as of " << d.ToString()
                                << " said to stand until " << until.ToString() << ", but as of "
                                << day.ToString() << " they differ";
        ++days_checked;
      }
    }
  }
  // Not vacuous: many answers stand beyond the next day.
  EXPECT_GT(standing, evaluations / 4);
  EXPECT_GT(days_checked, 10 * evaluations);
  RecordProperty("days_checked", static_cast<int>(days_checked));
}

// The edges worked out by hand, with DOMAIN.md's default policy: a quiet
// bank account stands until the first date a rule reads.
TEST(FlagsStandUntil, StopsAtTheFirstDateARuleReads) {
  const Policy p = DefaultPolicy();
  AccountModel a;
  a.start_date = *Date::Parse("2024-01-01");
  a.holding = BANK_ACCOUNT;
  AccountModel::PlanVersion plan;
  plan.effective_from = a.start_date;
  plan.weekly_dp_pence = 7000;
  plan.payment_cycle = MONTHLY;
  plan.line_categories = {PA_WAGES};
  plan.line_weekly_pence = {7000};
  a.plan_versions = {plan};
  a.review_dates = {*Date::Parse("2025-06-01")};
  a.audits = {{*Date::Parse("2025-06-01"), *Date::Parse("2025-05-31")}};
  a.Normalise();
  const Date d = *Date::Parse("2025-09-30");
  LedgerFacts f;
  f.last_transaction = d;  // stale (35 days for a bank account) from 5 November
  f.last_council_payment = *Date::Parse("2025-09-25");
  // Rule 7: a monthly cycle (31 days) and 5 days' grace after 25 September:
  // 36 days later is 31 October, flagged the day after.
  EXPECT_EQ(FlagsStandUntil(a, p, d, f), *Date::Parse("2025-11-01"));
  // A day with transactions after the window's first week, 10 July, leaves
  // the 84-day window when it starts on 11 July: as of 2 October.
  f.later_in_window = *Date::Parse("2025-07-10");
  EXPECT_EQ(FlagsStandUntil(a, p, d, f), *Date::Parse("2025-10-02"));
  // Something booked tomorrow.
  f.next_entry = *Date::Parse("2025-10-01");
  EXPECT_EQ(FlagsStandUntil(a, p, d, f), *Date::Parse("2025-10-01"));
  // The window (84 days) as of 30 September starts on 9 July. Spend 84,000,
  // as planned (84 days of £70 a week). 42,000 of it, on 9 July, leaves on
  // 1 October: 42,000 is not below half the plan (rule 5), no flag then;
  // 1,000 more, on 10 July, leaves on 2 October: 41,000 is: UNDERSPEND.
  f = LedgerFacts();
  f.last_transaction = d;
  f.last_council_payment = *Date::Parse("2025-09-25");
  f.window.net_pence[SlotOf(PA_WAGES, DEBIT)] = -84000;
  std::vector<RuleFlag> flags;
  ASSERT_TRUE(EvaluateAccount(a, p, d, f, &flags).ok());
  ASSERT_TRUE(flags.empty());
  Totals first, second;
  first.net_pence[SlotOf(PA_WAGES, DEBIT)] = -42000;
  second.net_pence[SlotOf(PA_WAGES, DEBIT)] = -1000;
  f.window_leaving = {{*Date::Parse("2025-07-09"), first}, {*Date::Parse("2025-07-10"), second}};
  EXPECT_EQ(FlagsStandUntil(a, p, d, f), *Date::Parse("2025-10-02"));
  f.window_leaving.pop_back();  // without the second, until the payment is missed
  EXPECT_EQ(FlagsStandUntil(a, p, d, f), *Date::Parse("2025-11-01"));
  // The audit due on 31 May 2026 (a year after the audited period) is due
  // soon 28 days before it, from 3 May; the review due on 1 June a day later.
  f = LedgerFacts();
  f.last_transaction = *Date::Parse("2026-04-20");
  f.last_council_payment = *Date::Parse("2026-04-20");
  EXPECT_EQ(FlagsStandUntil(a, p, *Date::Parse("2026-04-25"), f), *Date::Parse("2026-05-03"));
  a.audits.clear();
  a.audits.push_back({*Date::Parse("2025-06-01"), *Date::Parse("2025-06-30")});
  EXPECT_EQ(FlagsStandUntil(a, p, *Date::Parse("2026-04-25"), f), *Date::Parse("2026-05-04"));
}

}  // namespace
}  // namespace dpmon::domain
