// The monitoring rules of DOMAIN.md as pure functions: an account, the
// council's policy, a date and the ledger facts as of that date in; flags
// out. No I/O, no clock.
//
//   AccountModel model = ...;                       // domain/account.h
//   Window w = EvaluationWindow(model, policy, as_of);
//   LedgerFacts facts = ...;  // read from the per-account aggregates over w
//   std::vector<RuleFlag> flags;
//   absl::Status s = EvaluateAccount(model, policy, as_of, facts, &flags);
//
// Thread-safety: pure functions over value types.
#ifndef DPMON_DOMAIN_RULES_H_
#define DPMON_DOMAIN_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/civil_date.h"
#include "domain/account.h"
#include "domain/ledger_facts.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "domain/types.h"

namespace dpmon::domain {

// The trend window [start, end] as of D: [max(D − W + 1, start_date), D].
struct Window {
  Date start;
  Date end;
  int32_t length_days() const { return end - start + 1; }
};
Window EvaluationWindow(const AccountModel& account, const Policy& policy, Date as_of);

// floor(Σ over the days of [from, to] of the weekly amount in force / 7);
// `contribution` picks weekly_client_contribution_pence instead of
// weekly_dp_pence. OutOfRange on overflow.
absl::Status PlannedOver(const AccountModel& account, Date from, Date to, bool contribution,
                         int64_t* out);

// One flag as the rules raise it.
struct RuleFlag {
  FlagKind kind = FLAG_KIND_UNSPECIFIED;
  Severity severity = SEVERITY_UNSPECIFIED;
  std::string subject;
  std::optional<int64_t> amount_pence;
  std::optional<Date> date;
  // Not set by the rules: what the evaluator adds (a recovery in progress).
  std::string detail;

  friend bool operator==(const RuleFlag& a, const RuleFlag& b) {
    return a.kind == b.kind && a.severity == b.severity && a.subject == b.subject &&
           a.amount_pence == b.amount_pence && a.date == b.date && a.detail == b.detail;
  }
};

// Planned spend of one plan line category over [from, to]: the weekly
// amount of that category's line in the version in force each day (0 where
// it has none) × days / 7, rounded down once.
absl::Status PlannedLineOver(const AccountModel& account, Category category, Date from, Date to,
                             int64_t* out);

// Σ of the earmarks in force on D (from <= D <= until). OutOfRange on overflow.
absl::Status EarmarkedAt(const AccountModel& account, Date as_of, int64_t* out);
// DOMAIN.md's spend over the window's sums: − Σ of debit-direction slots,
// leaving out SURPLUS_RETURN (a linked reversal counts in its original's
// slot, so it reduces spend). OutOfRange on overflow.
absl::Status SpendOf(const Totals& window, int64_t* out);

// Rule 11's review due date as of D.
Date ReviewDue(const AccountModel& account, const Policy& policy, Date as_of);
// Rule 12's audit due date, or while CLOSED rule 13's final audit due date
// (nullopt once the final audit is recorded).
std::optional<Date> AuditDue(const AccountModel& account, const Policy& policy, Date as_of);

Severity SeverityOf(FlagKind kind);
// Whether an officer may resolve flags of this kind (rules 8 and 9).
bool IsPerTransaction(FlagKind kind);

// Every flag DOMAIN.md's 16 rules raise for the account as of D, sorted by
// kind name then subject (byte order). `policy` must be complete. An
// arithmetic overflow (amounts beyond any real account) is OutOfRange.
absl::Status EvaluateAccount(const AccountModel& account, const Policy& policy, Date as_of,
                             const LedgerFacts& facts, std::vector<RuleFlag>* flags);

// The first date after D from which EvaluateAccount may answer otherwise
// than as of D (other flags, or other amounts or dates) while the account's
// record, the policy and the ledger stay as they are: for every D' in
// [D, result), the flags as of D' are those as of D. Worked out from every
// date a rule reads (the record's dated changes, the due dates and their
// due-soon windows, the missed payment and stale feed thresholds, the
// lookback of each watched debit, the next entry) and, for the trend rules
// (an ACTIVE account with a plan), the next day while the window is still
// growing or a plan change lies inside it, else those rules again on each
// day a row of facts.window_leaving leaves the window (the window less
// what has left by then), then the day facts.later_in_window leaves it.
// At most a year ahead. `facts` as of D.
Date FlagsStandUntil(const AccountModel& account, const Policy& policy, Date as_of,
                     const LedgerFacts& facts);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_RULES_H_
