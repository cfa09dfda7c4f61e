#include "server/rules.h"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dpmon::rules {
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

absl::Status ParseStored(const std::string& text, absl::string_view what, Date* out) {
  absl::StatusOr<Date> d = Date::Parse(text);
  if (!d.ok()) return absl::DataLossError(absl::StrCat("stored ", what, " \"", text, "\""));
  *out = *d;
  return absl::OkStatus();
}

int CycleDays(v1::PaymentCycle cycle) {
  switch (cycle) {
    case v1::WEEKLY:
      return 7;
    case v1::FORTNIGHTLY:
      return 14;
    case v1::FOUR_WEEKLY:
      return 28;
    case v1::MONTHLY:
      return 31;
    default:
      return 31;
  }
}

// DUE / OVERDUE as rule 11 defines them; nothing before the due-soon window.
void AddDue(Date due, Date as_of, const v1::Policy& policy, v1::FlagKind due_kind,
            v1::FlagKind overdue_kind, std::vector<RuleFlag>* flags) {
  v1::FlagKind kind;
  if (as_of > due) {
    kind = overdue_kind;
  } else if (due.AddDays(-policy.due_soon_days()) <= as_of) {
    kind = due_kind;
  } else {
    return;
  }
  flags->push_back({kind, SeverityOf(kind), due.ToString(), std::nullopt, due, ""});
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

absl::Status AccountModel::FromAccount(const v1::Account& a, AccountModel* out) {
  AccountModel m;
  if (absl::Status s = ParseStored(a.start_date(), "start_date", &m.start_date); !s.ok()) return s;
  m.holding = a.holding();
  if (!a.care_plan_review_date().empty()) {
    Date d;
    if (absl::Status s = ParseStored(a.care_plan_review_date(), "care_plan_review_date", &d);
        !s.ok()) {
      return s;
    }
    m.care_plan_review_date = d;
  }
  // Dated records: sort stably by date so that, on one date, the later
  // recorded comes last and wins.
  for (const v1::StatusChange& c : a.status_history()) {
    StatusChange sc;
    if (absl::Status s = ParseStored(c.date(), "status date", &sc.date); !s.ok()) return s;
    sc.status = c.status();
    m.status_changes.push_back(sc);
  }
  std::stable_sort(m.status_changes.begin(), m.status_changes.end(),
                   [](const StatusChange& x, const StatusChange& y) { return x.date < y.date; });
  for (const v1::PlanVersion& p : a.plan_versions()) {
    PlanVersion pv;
    if (absl::Status s = ParseStored(p.effective_from(), "effective_from", &pv.effective_from);
        !s.ok()) {
      return s;
    }
    pv.weekly_dp_pence = p.weekly_dp_pence();
    pv.weekly_client_contribution_pence = p.weekly_client_contribution_pence();
    pv.payment_cycle = p.payment_cycle();
    for (const v1::PlanLine& l : p.lines()) {
      pv.line_categories.push_back(l.category());
      pv.line_weekly_pence.push_back(l.weekly_pence());
    }
    m.plan_versions.push_back(std::move(pv));
  }
  std::stable_sort(m.plan_versions.begin(), m.plan_versions.end(),
                   [](const PlanVersion& x, const PlanVersion& y) {
                     return x.effective_from < y.effective_from;
                   });
  // Keep only the last recorded version of each date.
  std::vector<PlanVersion> plans;
  for (PlanVersion& p : m.plan_versions) {
    if (!plans.empty() && plans.back().effective_from == p.effective_from) {
      plans.back() = std::move(p);
    } else {
      plans.push_back(std::move(p));
    }
  }
  m.plan_versions = std::move(plans);
  for (const v1::Earmark& e : a.earmarks()) {
    Earmark em;
    if (absl::Status s = ParseStored(e.from(), "earmark from", &em.from); !s.ok()) return s;
    if (absl::Status s = ParseStored(e.until(), "earmark until", &em.until); !s.ok()) return s;
    em.amount_pence = e.amount_pence();
    m.earmarks.push_back(em);
  }
  for (const v1::Review& r : a.reviews()) {
    Date d;
    if (absl::Status s = ParseStored(r.date(), "review date", &d); !s.ok()) return s;
    m.review_dates.push_back(d);
  }
  std::sort(m.review_dates.begin(), m.review_dates.end());
  for (const v1::Audit& au : a.audits()) {
    Audit x;
    if (absl::Status s = ParseStored(au.date(), "audit date", &x.date); !s.ok()) return s;
    if (absl::Status s = ParseStored(au.period_end(), "audit period_end", &x.period_end); !s.ok()) {
      return s;
    }
    m.audits.push_back(x);
  }
  *out = std::move(m);
  return absl::OkStatus();
}

v1::AccountStatus AccountModel::StatusAt(Date d) const {
  v1::AccountStatus status = v1::ACTIVE;
  for (const StatusChange& c : status_changes) {
    if (c.date > d) break;
    status = c.status;
  }
  return status;
}

std::optional<Date> AccountModel::ClosedSince(Date d) const {
  // Index of the change in force at d.
  int last = -1;
  for (int i = 0; i < static_cast<int>(status_changes.size()); ++i) {
    if (status_changes[i].date > d) break;
    last = i;
  }
  if (last < 0 || status_changes[last].status != v1::CLOSED) return std::nullopt;
  // Walk back over the changes in force on earlier dates while they are
  // CLOSED. A change overridden on its own date by a later record does not
  // break the run: only the last of each date is in force.
  Date since = status_changes[last].date;
  for (int i = last - 1; i >= 0; --i) {
    if (status_changes[i].date == status_changes[i + 1].date) continue;  // overridden
    if (status_changes[i].status != v1::CLOSED) break;
    since = status_changes[i].date;
  }
  return since;
}

const AccountModel::PlanVersion* AccountModel::PlanAt(Date d) const {
  const PlanVersion* in_force = nullptr;
  for (const PlanVersion& p : plan_versions) {
    if (p.effective_from > d) break;
    in_force = &p;
  }
  return in_force;
}

Window EvaluationWindow(const AccountModel& account, const v1::Policy& policy, Date as_of) {
  Date start = as_of.AddDays(-(policy.trend_window_days() - 1));
  if (start < account.start_date) start = account.start_date;
  return Window{start, as_of};
}

namespace {
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
}  // namespace

absl::Status PlannedOver(const AccountModel& account, Date from, Date to, bool contribution,
                         int64_t* out) {
  return WeeklyOver(
      account, from, to,
      [contribution](const AccountModel::PlanVersion& p) {
        return contribution ? p.weekly_client_contribution_pence : p.weekly_dp_pence;
      },
      out);
}

absl::Status PlannedLineOver(const AccountModel& account, v1::Category category, Date from, Date to,
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
    const v1::Category cat = SlotCategory(slot);
    if (SlotDirection(slot) != v1::DEBIT || cat == v1::SURPLUS_RETURN ||
        cat == v1::CATEGORY_UNSPECIFIED) {
      continue;
    }
    spend = c.Sub(spend, window.net_pence[slot]);
  }
  if (absl::Status s = c.status("spend"); !s.ok()) return s;
  *out = spend;
  return absl::OkStatus();
}

v1::Severity SeverityOf(v1::FlagKind kind) {
  switch (kind) {
    case v1::DEFICIT:
    case v1::RECONCILIATION_MISMATCH:
      return v1::CRITICAL;
    case v1::EVIDENCE_REQUIRED:
    case v1::UNPLANNED_SPEND:
    case v1::REVIEW_DUE:
    case v1::AUDIT_DUE:
      return v1::INFO;
    case v1::FLAG_KIND_UNSPECIFIED:
      return v1::SEVERITY_UNSPECIFIED;
    default:
      return v1::WARNING;
  }
}

bool IsPerTransaction(v1::FlagKind kind) {
  return kind == v1::RESTRICTED_SPEND || kind == v1::EVIDENCE_REQUIRED;
}

Date ReviewDue(const AccountModel& account, const v1::Policy& policy, Date as_of) {
  std::optional<Date> last_review;
  for (Date d : account.review_dates) {
    if (d <= as_of) last_review = d;
  }
  Date due = last_review ? AddMonths(*last_review, policy.review_interval_months())
                         : AddMonths(account.start_date, policy.first_review_months());
  if (account.care_plan_review_date &&
      due.AddDays(-policy.review_alignment_days()) <= *account.care_plan_review_date &&
      *account.care_plan_review_date <= due) {
    due = *account.care_plan_review_date;
  }
  return due;
}

std::optional<Date> AuditDue(const AccountModel& account, const v1::Policy& policy, Date as_of) {
  if (std::optional<Date> since = account.ClosedSince(as_of)) {
    for (const AccountModel::Audit& a : account.audits) {
      if (a.date <= as_of && a.period_end >= *since) return std::nullopt;  // final audit done
    }
    return since->AddDays(policy.closure_settlement_days());
  }
  Date base = account.start_date;
  bool any = false;
  for (const AccountModel::Audit& a : account.audits) {
    if (a.date > as_of) continue;
    if (!any || a.period_end > base) base = a.period_end;
    any = true;
  }
  return AddMonths(base, policy.audit_interval_months());
}

absl::Status EvaluateAccount(const AccountModel& account, const v1::Policy& policy, Date as_of,
                             const LedgerFacts& facts, std::vector<RuleFlag>* flags) {
  flags->clear();
  if (as_of < account.start_date) return absl::OkStatus();
  Checked c;
  auto add = [&](v1::FlagKind kind, std::string subject, std::optional<int64_t> amount,
                 std::optional<Date> date) {
    flags->push_back({kind, SeverityOf(kind), std::move(subject), amount, date, ""});
  };
  const v1::AccountStatus status = account.StatusAt(as_of);
  const int64_t balance = facts.balance_pence;

  if (status == v1::CLOSED) {
    const Date since = *account.ClosedSince(as_of);
    // Rule 13: the final audit.
    if (std::optional<Date> due = AuditDue(account, policy, as_of)) {
      AddDue(*due, as_of, policy, v1::AUDIT_DUE, v1::AUDIT_OVERDUE, flags);
    }
    // Rule 16.
    if (as_of > since.AddDays(policy.closure_settlement_days()) && balance != 0) {
      add(v1::CLOSED_WITH_BALANCE, "", balance, std::nullopt);
    }
  } else {
    const bool active = status == v1::ACTIVE;
    const AccountModel::PlanVersion* plan = account.PlanAt(as_of);
    // Rule 1.
    if (plan == nullptr) add(v1::NO_SUPPORT_PLAN, "", std::nullopt, std::nullopt);
    // Rule 2.
    if (balance < 0) add(v1::DEFICIT, "", c.Sub(0, balance), std::nullopt);

    if (plan != nullptr) {
      const int64_t weekly_dp = plan->weekly_dp_pence;
      const int64_t weekly_contribution = plan->weekly_client_contribution_pence;
      // Rule 3.
      int64_t earmarked = 0;
      if (absl::Status s = EarmarkedAt(account, as_of, &earmarked); !s.ok()) return s;
      const int64_t available = c.Sub(balance, earmarked);
      if (available > c.Mul(policy.surplus_threshold_weeks(), weekly_dp)) {
        add(v1::SURPLUS, "", c.Sub(available, c.Mul(policy.surplus_retain_weeks(), weekly_dp)),
            std::nullopt);
      }

      if (active) {
        const Window w = EvaluationWindow(account, policy, as_of);
        const int32_t length = w.length_days();
        int64_t spend = 0;
        if (absl::Status s = SpendOf(facts.window, &spend); !s.ok()) return s;
        int64_t planned = 0;
        if (absl::Status s = PlannedOver(account, w.start, w.end, false, &planned); !s.ok()) {
          return s;
        }
        // Rule 4.
        if (length >= 28 && c.Mul(spend, 100) > c.Mul(policy.overspend_percent(), planned)) {
          add(v1::OVERSPEND, "", c.Sub(spend, planned), std::nullopt);
        }
        // Rule 5.
        if (length == policy.trend_window_days() &&
            c.Mul(spend, 100) < c.Mul(policy.underspend_percent(), planned)) {
          add(v1::UNDERSPEND, "", c.Sub(planned, spend), std::nullopt);
        }
        // Rule 6.
        if (length >= 28 && weekly_contribution > 0) {
          int64_t expected = 0;
          if (absl::Status s = PlannedOver(account, w.start, w.end, true, &expected); !s.ok()) {
            return s;
          }
          const int64_t received =
              facts.window.net_pence[SlotOf(v1::CLIENT_CONTRIBUTION, v1::CREDIT)];
          const int64_t owed = c.Sub(expected, received);
          if (owed > c.Mul(policy.contribution_arrears_weeks(), weekly_contribution)) {
            add(v1::CONTRIBUTION_ARREARS, "", owed, std::nullopt);
          }
        }
        // Rule 7.
        if (weekly_dp - weekly_contribution > 0) {
          const Date last = facts.last_council_payment.value_or(account.start_date);
          if (as_of - last > CycleDays(plan->payment_cycle) + policy.payment_grace_days()) {
            add(v1::MISSED_PAYMENT, "", std::nullopt, last);
          }
        }
        // Rule 10.
        if (length >= 28) {
          for (int slot = 0; slot < kSlotCount; ++slot) {
            const v1::Category cat = SlotCategory(slot);
            if (SlotDirection(slot) != v1::DEBIT || cat == v1::CATEGORY_UNSPECIFIED ||
                cat == v1::BANK_CHARGES || cat == v1::SURPLUS_RETURN ||
                cat == v1::CASH_WITHDRAWAL) {
              continue;
            }
            if (std::find(plan->line_categories.begin(), plan->line_categories.end(), cat) !=
                plan->line_categories.end()) {
              continue;
            }
            const int64_t cat_spend = c.Sub(0, facts.window.net_pence[slot]);
            if (cat_spend > policy.unplanned_tolerance_pence()) {
              add(v1::UNPLANNED_SPEND, v1::Category_Name(cat), cat_spend, std::nullopt);
            }
          }
        }
      }
    }

    // Rules 8 and 9.
    const Date lookback_start = as_of.AddDays(-policy.transaction_flag_lookback_days() + 1);
    for (const WatchedDebit& t : facts.watched_debits) {
      if (t.booking_date < lookback_start || t.booking_date > as_of || t.reversed ||
          t.amount_pence >= 0) {
        continue;
      }
      std::string subject = absl::StrCat(t.source, ":", t.external_id);
      if (!t.mcc.empty() && Contains(policy.restricted_mccs(), t.mcc)) {
        add(v1::RESTRICTED_SPEND, std::move(subject), c.Sub(0, t.amount_pence), t.booking_date);
      } else if ((!t.mcc.empty() && Contains(policy.evidence_mccs(), t.mcc)) ||
                 t.category == v1::CASH_WITHDRAWAL) {
        add(v1::EVIDENCE_REQUIRED, std::move(subject), c.Sub(0, t.amount_pence), t.booking_date);
      }
    }

    // Rules 11 and 12.
    AddDue(ReviewDue(account, policy, as_of), as_of, policy, v1::REVIEW_DUE, v1::REVIEW_OVERDUE,
           flags);
    AddDue(*AuditDue(account, policy, as_of), as_of, policy, v1::AUDIT_DUE, v1::AUDIT_OVERDUE,
           flags);
    // Rule 14.
    {
      std::optional<Date> last;
      if (facts.last_transaction && *facts.last_transaction <= as_of) {
        last = facts.last_transaction;
      }
      if (facts.last_statement && facts.last_statement->date <= as_of &&
          (!last || facts.last_statement->date > *last)) {
        last = facts.last_statement->date;
      }
      const Date feed = last.value_or(account.start_date);
      const int stale = account.holding == v1::BANK_ACCOUNT ? policy.feed_stale_days_bank()
                                                            : policy.feed_stale_days_card();
      if (as_of - feed > stale) add(v1::FEED_STALE, "", std::nullopt, feed);
    }
    // Rule 15.
    if (facts.last_statement && facts.last_statement->date <= as_of) {
      const LedgerFacts::Statement& st = *facts.last_statement;
      if (st.closing_balance_pence != st.ledger_balance_pence) {
        add(v1::RECONCILIATION_MISMATCH, "",
            c.Sub(st.closing_balance_pence, st.ledger_balance_pence), st.date);
      }
    }
  }
  if (absl::Status s = c.status("the flags"); !s.ok()) return s;
  std::sort(flags->begin(), flags->end(), [](const RuleFlag& a, const RuleFlag& b) {
    const std::string& ka = v1::FlagKind_Name(a.kind);
    const std::string& kb = v1::FlagKind_Name(b.kind);
    if (ka != kb) return ka < kb;
    return a.subject < b.subject;
  });
  return absl::OkStatus();
}

}  // namespace dpmon::rules
