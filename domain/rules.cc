#include "domain/rules.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dpmon::domain {
namespace {

// Checked int64 arithmetic that remembers the first overflow.
class Checked {
 public:
  int64_t Add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) overflow_ = true;
    return r;
  }
  int64_t Sub(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) overflow_ = true;
    return r;
  }
  int64_t Mul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) overflow_ = true;
    return r;
  }
  absl::Status status(absl::string_view what) const {
    return overflow_ ? absl::OutOfRangeError(absl::StrCat("overflow computing ", what))
                     : absl::OkStatus();
  }

 private:
  bool overflow_ = false;
};

int CycleDays(PaymentCycle cycle) {
  switch (cycle) {
    case WEEKLY:
      return 7;
    case FORTNIGHTLY:
      return 14;
    case FOUR_WEEKLY:
      return 28;
    case MONTHLY:
      return 31;
    default:
      return 31;
  }
}

// floor(Σ over the days of [from, to] of weekly(version in force) / 7).
absl::Status WeeklyOver(const AccountModel& account, Date from, Date to,
                        const std::function<int64_t(const AccountModel::PlanVersion&)>& weekly,
                        int64_t* out) {
  Checked c;
  int64_t sum = 0;
  const auto& plans = account.plan_versions;
  for (size_t i = 0; i < plans.size(); ++i) {
    Date seg_start = std::max(plans[i].effective_from, from);
    Date seg_end = i + 1 < plans.size() ? plans[i + 1].effective_from.AddDays(-1) : to;
    if (seg_end > to) seg_end = to;
    if (seg_end < seg_start) continue;
    sum = c.Add(sum, c.Mul(weekly(plans[i]), seg_end - seg_start + 1));
  }
  if (absl::Status s = c.status("a planned amount"); !s.ok()) return s;
  *out = sum / 7;  // Never negative: floor.
  return absl::OkStatus();
}

// What every group of rules reads, and where it puts its flags.
struct Evaluation {
  const AccountModel& account;
  const Policy& policy;
  Date as_of;
  const LedgerFacts& facts;
  std::vector<RuleFlag>* flags;
  Checked c;

  void Add(FlagKind kind, std::string subject, std::optional<int64_t> amount,
           std::optional<Date> date) {
    flags->push_back({kind, SeverityOf(kind), std::move(subject), amount, date, ""});
  }
  // DUE / OVERDUE as rule 11 defines them; nothing before the due-soon window.
  void AddDue(Date due, FlagKind due_kind, FlagKind overdue_kind) {
    FlagKind kind;
    if (as_of > due) {
      kind = overdue_kind;
    } else if (due.AddDays(-policy.due_soon_days) <= as_of) {
      kind = due_kind;
    } else {
      return;
    }
    Add(kind, due.ToString(), std::nullopt, due);
  }
};

// Rules 13 (the final audit) and 16, for a CLOSED account.
void ClosureRules(Evaluation& e) {
  const Date since = *e.account.ClosedSince(e.as_of);
  if (std::optional<Date> due = AuditDue(e.account, e.policy, e.as_of)) {
    e.AddDue(*due, AUDIT_DUE, AUDIT_OVERDUE);
  }
  const int64_t balance = e.facts.balance_pence;
  if (e.as_of > since.AddDays(e.policy.closure_settlement_days) && balance != 0) {
    e.Add(CLOSED_WITH_BALANCE, "", balance, std::nullopt);
  }
}

// Rules 1 (no plan), 2 (deficit) and 3 (surplus net of earmarks).
absl::Status BalanceRules(Evaluation& e, const AccountModel::PlanVersion* plan) {
  const int64_t balance = e.facts.balance_pence;
  if (plan == nullptr) e.Add(NO_SUPPORT_PLAN, "", std::nullopt, std::nullopt);
  if (balance < 0) e.Add(DEFICIT, "", e.c.Sub(0, balance), std::nullopt);
  if (plan == nullptr) return absl::OkStatus();
  const int64_t weekly_dp = plan->weekly_dp_pence;
  int64_t earmarked = 0;
  if (absl::Status s = EarmarkedAt(e.account, e.as_of, &earmarked); !s.ok()) return s;
  const int64_t available = e.c.Sub(balance, earmarked);
  if (available > e.c.Mul(e.policy.surplus_threshold_weeks, weekly_dp)) {
    e.Add(SURPLUS, "", e.c.Sub(available, e.c.Mul(e.policy.surplus_retain_weeks, weekly_dp)),
          std::nullopt);
  }
  return absl::OkStatus();
}

// Rule 10: spend in a category the plan in force has no line for.
void UnplannedRule(Evaluation& e, const AccountModel::PlanVersion& plan) {
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const Category cat = SlotCategory(slot);
    if (SlotDirection(slot) != DEBIT || cat == CATEGORY_UNSPECIFIED || cat == BANK_CHARGES ||
        cat == SURPLUS_RETURN || cat == CASH_WITHDRAWAL) {
      continue;
    }
    if (std::find(plan.line_categories.begin(), plan.line_categories.end(), cat) !=
        plan.line_categories.end()) {
      continue;
    }
    const int64_t cat_spend = e.c.Sub(0, e.facts.window.net_pence[slot]);
    if (cat_spend > e.policy.unplanned_tolerance_pence) {
      e.Add(UNPLANNED_SPEND, std::string(CategoryName(cat)), cat_spend, std::nullopt);
    }
  }
}

// Rules 4 (overspend), 5 (underspend), 6 (contribution arrears), 7 (missed
// payment) and 10 (unplanned spend), for an ACTIVE account with a plan.
absl::Status TrendRules(Evaluation& e, const AccountModel::PlanVersion& plan) {
  const Window w = EvaluationWindow(e.account, e.policy, e.as_of);
  const int32_t length = w.length_days();
  const Totals& window = e.facts.window;
  int64_t spend = 0;
  if (absl::Status s = SpendOf(window, &spend); !s.ok()) return s;
  int64_t planned = 0;
  if (absl::Status s = PlannedOver(e.account, w.start, w.end, false, &planned); !s.ok()) return s;
  if (length >= 28 && e.c.Mul(spend, 100) > e.c.Mul(e.policy.overspend_percent, planned)) {
    e.Add(OVERSPEND, "", e.c.Sub(spend, planned), std::nullopt);
  }
  if (length == e.policy.trend_window_days &&
      e.c.Mul(spend, 100) < e.c.Mul(e.policy.underspend_percent, planned)) {
    e.Add(UNDERSPEND, "", e.c.Sub(planned, spend), std::nullopt);
  }
  const int64_t weekly_contribution = plan.weekly_client_contribution_pence;
  if (length >= 28 && weekly_contribution > 0) {
    int64_t expected = 0;
    if (absl::Status s = PlannedOver(e.account, w.start, w.end, true, &expected); !s.ok()) {
      return s;
    }
    const int64_t received = window.net_pence[SlotOf(CLIENT_CONTRIBUTION, CREDIT)];
    const int64_t owed = e.c.Sub(expected, received);
    if (owed > e.c.Mul(e.policy.contribution_arrears_weeks, weekly_contribution)) {
      e.Add(CONTRIBUTION_ARREARS, "", owed, std::nullopt);
    }
  }
  if (plan.weekly_dp_pence - weekly_contribution > 0) {
    const Date last = e.facts.last_council_payment.value_or(e.account.start_date);
    if (e.as_of - last > CycleDays(plan.payment_cycle) + e.policy.payment_grace_days) {
      e.Add(MISSED_PAYMENT, "", std::nullopt, last);
    }
  }
  if (length >= 28) UnplannedRule(e, plan);
  return absl::OkStatus();
}

// Rules 8 (restricted spend) and 9 (evidence required), per transaction.
void TransactionRules(Evaluation& e) {
  const Date lookback_start = e.as_of.AddDays(-e.policy.transaction_flag_lookback_days + 1);
  for (const WatchedDebit& t : e.facts.watched_debits) {
    if (t.booking_date < lookback_start || t.booking_date > e.as_of || t.reversed ||
        t.amount_pence >= 0) {
      continue;
    }
    std::string subject = absl::StrCat(t.source, ":", t.external_id);
    if (!t.mcc.empty() && e.policy.IsRestrictedMcc(t.mcc)) {
      e.Add(RESTRICTED_SPEND, std::move(subject), e.c.Sub(0, t.amount_pence), t.booking_date);
    } else if ((!t.mcc.empty() && e.policy.IsEvidenceMcc(t.mcc)) || t.category == CASH_WITHDRAWAL) {
      e.Add(EVIDENCE_REQUIRED, std::move(subject), e.c.Sub(0, t.amount_pence), t.booking_date);
    }
  }
}

// Rules 14 (stale feed) and 15 (statement does not reconcile).
void FeedRules(Evaluation& e) {
  const Date feed = e.facts.LastFeedDate(e.as_of).value_or(e.account.start_date);
  const int stale = e.account.holding == BANK_ACCOUNT ? e.policy.feed_stale_days_bank
                                                      : e.policy.feed_stale_days_card;
  if (e.as_of - feed > stale) e.Add(FEED_STALE, "", std::nullopt, feed);
  if (e.facts.last_statement && e.facts.last_statement->date <= e.as_of) {
    const LedgerFacts::Statement& st = *e.facts.last_statement;
    if (st.closing_balance_pence != st.ledger_balance_pence) {
      e.Add(RECONCILIATION_MISMATCH, "", e.c.Sub(st.closing_balance_pence, st.ledger_balance_pence),
            st.date);
    }
  }
}

}  // namespace

Window EvaluationWindow(const AccountModel& account, const Policy& policy, Date as_of) {
  Date start = as_of.AddDays(-(policy.trend_window_days - 1));
  if (start < account.start_date) start = account.start_date;
  return Window{start, as_of};
}

absl::Status PlannedOver(const AccountModel& account, Date from, Date to, bool contribution,
                         int64_t* out) {
  return WeeklyOver(
      account, from, to,
      [contribution](const AccountModel::PlanVersion& p) {
        return contribution ? p.weekly_client_contribution_pence : p.weekly_dp_pence;
      },
      out);
}

absl::Status PlannedLineOver(const AccountModel& account, Category category, Date from, Date to,
                             int64_t* out) {
  return WeeklyOver(
      account, from, to,
      [category](const AccountModel::PlanVersion& p) {
        int64_t weekly = 0;
        for (size_t i = 0; i < p.line_categories.size(); ++i) {
          if (p.line_categories[i] == category) weekly += p.line_weekly_pence[i];
        }
        return weekly;
      },
      out);
}

absl::Status EarmarkedAt(const AccountModel& account, Date as_of, int64_t* out) {
  Checked c;
  int64_t sum = 0;
  for (const AccountModel::Earmark& e : account.earmarks) {
    if (e.from <= as_of && as_of <= e.until) sum = c.Add(sum, e.amount_pence);
  }
  if (absl::Status s = c.status("earmarks"); !s.ok()) return s;
  *out = sum;
  return absl::OkStatus();
}

absl::Status SpendOf(const Totals& window, int64_t* out) {
  Checked c;
  int64_t spend = 0;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const Category cat = SlotCategory(slot);
    if (SlotDirection(slot) != DEBIT || cat == SURPLUS_RETURN || cat == CATEGORY_UNSPECIFIED) {
      continue;
    }
    spend = c.Sub(spend, window.net_pence[slot]);
  }
  if (absl::Status s = c.status("spend"); !s.ok()) return s;
  *out = spend;
  return absl::OkStatus();
}

Severity SeverityOf(FlagKind kind) {
  switch (kind) {
    case DEFICIT:
    case RECONCILIATION_MISMATCH:
      return CRITICAL;
    case EVIDENCE_REQUIRED:
    case UNPLANNED_SPEND:
    case REVIEW_DUE:
    case AUDIT_DUE:
      return INFO;
    case FLAG_KIND_UNSPECIFIED:
      return SEVERITY_UNSPECIFIED;
    default:
      return WARNING;
  }
}

bool IsPerTransaction(FlagKind kind) {
  return kind == RESTRICTED_SPEND || kind == EVIDENCE_REQUIRED;
}

Date ReviewDue(const AccountModel& account, const Policy& policy, Date as_of) {
  std::optional<Date> last_review;
  for (Date d : account.review_dates) {
    if (d <= as_of) last_review = d;
  }
  Date due = last_review ? AddMonths(*last_review, policy.review_interval_months)
                         : AddMonths(account.start_date, policy.first_review_months);
  if (account.care_plan_review_date &&
      due.AddDays(-policy.review_alignment_days) <= *account.care_plan_review_date &&
      *account.care_plan_review_date <= due) {
    due = *account.care_plan_review_date;
  }
  return due;
}

std::optional<Date> AuditDue(const AccountModel& account, const Policy& policy, Date as_of) {
  if (std::optional<Date> since = account.ClosedSince(as_of)) {
    for (const AccountModel::Audit& a : account.audits) {
      if (a.date <= as_of && a.period_end >= *since) return std::nullopt;  // final audit done
    }
    return since->AddDays(policy.closure_settlement_days);
  }
  Date base = account.start_date;
  bool any = false;
  for (const AccountModel::Audit& a : account.audits) {
    if (a.date > as_of) continue;
    if (!any || a.period_end > base) base = a.period_end;
    any = true;
  }
  return AddMonths(base, policy.audit_interval_months);
}

absl::Status EvaluateAccount(const AccountModel& account, const Policy& policy, Date as_of,
                             const LedgerFacts& facts, std::vector<RuleFlag>* flags) {
  flags->clear();
  if (as_of < account.start_date) return absl::OkStatus();
  Evaluation e{account, policy, as_of, facts, flags, {}};
  const AccountStatus status = account.StatusAt(as_of);
  if (status == CLOSED) {
    ClosureRules(e);
  } else {
    const AccountModel::PlanVersion* plan = account.PlanAt(as_of);
    if (absl::Status s = BalanceRules(e, plan); !s.ok()) return s;
    if (plan != nullptr && status == ACTIVE) {
      if (absl::Status s = TrendRules(e, *plan); !s.ok()) return s;
    }
    TransactionRules(e);
    e.AddDue(ReviewDue(account, policy, as_of), REVIEW_DUE, REVIEW_OVERDUE);
    e.AddDue(*AuditDue(account, policy, as_of), AUDIT_DUE, AUDIT_OVERDUE);
    FeedRules(e);
  }
  if (absl::Status s = e.c.status("the flags"); !s.ok()) return s;
  std::sort(flags->begin(), flags->end(), [](const RuleFlag& a, const RuleFlag& b) {
    const absl::string_view ka = FlagKindName(a.kind);
    const absl::string_view kb = FlagKindName(b.kind);
    if (ka != kb) return ka < kb;
    return a.subject < b.subject;
  });
  return absl::OkStatus();
}

Date FlagsStandUntil(const AccountModel& account, const Policy& policy, Date as_of,
                     const LedgerFacts& facts) {
  const Date next_day = as_of.AddDays(1);
  Date until = as_of.AddDays(366);
  // The flags may change from day d on (a day not after D has passed).
  auto from = [&](Date d) {
    if (d > as_of && d < until) until = d;
  };
  if (as_of < account.start_date) {  // nothing until the account starts
    from(account.start_date);
    return until;
  }
  // The record's dated changes still to come.
  for (const AccountModel::StatusChange& c : account.status_changes) from(c.date);
  for (const AccountModel::PlanVersion& p : account.plan_versions) from(p.effective_from);
  for (const AccountModel::Earmark& e : account.earmarks) {
    from(e.from);
    from(e.until.AddDays(1));
  }
  for (Date d : account.review_dates) from(d);
  for (const AccountModel::Audit& a : account.audits) from(a.date);
  // A due date's flag starts due_soon_days before it and turns overdue the
  // day after it.
  auto due = [&](Date d) {
    from(d.AddDays(-policy.due_soon_days));
    from(d.AddDays(1));
  };
  if (std::optional<Date> since = account.ClosedSince(as_of)) {
    if (std::optional<Date> audit = AuditDue(account, policy, as_of)) due(*audit);
    from(since->AddDays(policy.closure_settlement_days + 1));
  } else {
    due(ReviewDue(account, policy, as_of));
    if (std::optional<Date> audit = AuditDue(account, policy, as_of)) due(*audit);
  }
  // The trend window matters only to the trend rules (4 to 7 and 10), for
  // an ACTIVE account with a plan (either changes on a date above). Growing
  // (the account younger than it) or with a plan change inside it, its
  // planned amounts move every day; else its sums move as its days with
  // transactions leave it (below).
  const AccountModel::PlanVersion* trend_plan =
      account.StatusAt(as_of) == ACTIVE ? account.PlanAt(as_of) : nullptr;
  if (trend_plan != nullptr) {
    const Window w = EvaluationWindow(account, policy, as_of);
    if (as_of.AddDays(-(policy.trend_window_days - 1)) < account.start_date) from(next_day);
    for (const AccountModel::PlanVersion& p : account.plan_versions) {
      if (p.effective_from > w.start && p.effective_from <= as_of) from(next_day);
    }
    if (facts.later_in_window) from(facts.later_in_window->AddDays(policy.trend_window_days));
  }
  // Rule 7's threshold after the latest council payment, and rule 14's
  // after the latest sign of a feed.
  if (const AccountModel::PlanVersion* plan = account.PlanAt(as_of)) {
    const Date last = facts.last_council_payment.value_or(account.start_date);
    from(last.AddDays(CycleDays(plan->payment_cycle) + policy.payment_grace_days + 1));
  }
  const int stale =
      account.holding == BANK_ACCOUNT ? policy.feed_stale_days_bank : policy.feed_stale_days_card;
  from(facts.LastFeedDate(as_of).value_or(account.start_date).AddDays(stale + 1));
  // Each watched debit leaves the lookback; what is booked after D (a
  // debit, its reversal, a statement) counts from its day.
  for (const WatchedDebit& t : facts.watched_debits) {
    from(
        t.booking_date.AddDays(t.booking_date > as_of ? 0 : policy.transaction_flag_lookback_days));
  }
  if (facts.next_entry) from(std::max(*facts.next_entry, next_day));
  // Before then, only the window moves, when a day with transactions leaves
  // it, and only the trend rules read it: those again as of each such day,
  // with the window less what has left, until they answer otherwise.
  if (trend_plan != nullptr && !facts.window_leaving.empty() && until > next_day) {
    LedgerFacts trend;  // what the trend rules read
    trend.window = facts.window;
    trend.last_council_payment = facts.last_council_payment;
    std::vector<RuleFlag> at_d, again;
    Evaluation e{account, policy, as_of, trend, &at_d, {}};
    if (!TrendRules(e, *trend_plan).ok() || !e.c.status("").ok()) return next_day;
    for (const auto& [day, row] : facts.window_leaving) {
      const Date leaves = day.AddDays(policy.trend_window_days);
      if (!(leaves < until)) break;
      again.clear();
      Evaluation later{account, policy, leaves, trend, &again, {}};
      if (!trend.window.Subtract(row).ok() || !TrendRules(later, *trend_plan).ok() ||
          !later.c.status("").ok() || again != at_d) {
        from(std::max(leaves, next_day));
        break;
      }
    }
  }
  return until;
}

}  // namespace dpmon::domain
