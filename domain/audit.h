// The audit job's arithmetic as pure functions (docs/audits.md): what is due
// and for which period, each account's risk score, and how far each recovery
// of a surplus has come. No I/O, no clock.
//
// Thread-safety: pure functions over value types.
#ifndef DPMON_DOMAIN_AUDIT_H_
#define DPMON_DOMAIN_AUDIT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "common/civil_date.h"
#include "domain/account.h"
#include "domain/policy.h"
#include "domain/types.h"

namespace dpmon::domain {

struct RiskInputs {
  Management management = MANAGEMENT_UNSPECIFIED;
  int64_t balance_pence = 0;
  // Severities of the account's OPEN and ACKNOWLEDGED flags.
  std::vector<Severity> open_flags;
  // The period_end of the latest audit dated on or before as_of; nullopt if none.
  std::optional<Date> last_audit_period_end;
  Date start_date;
  Date as_of;
};
// A risk score, 0..100, and what it is made of.
struct Risk {
  int32_t score = 0;
  int32_t flags_points = 0;
  int32_t management_points = 0;
  int32_t amount_points = 0;
  int32_t audit_age_points = 0;
  int32_t open_flags = 0;
};
// 0..100: flags (25 a CRITICAL, 10 a WARNING, 3 an INFO; at most 50) +
// management (AUTHORISED_PERSON 10, NOMINATED_PERSON 5, SELF and
// MANAGED_ACCOUNT 0) + the balance (1 a £1,000; at most 20) + the time since
// the last audited period ended, or the start date (2 for every 30 days past
// a year; at most 20).
Risk RiskOf(const RiskInputs& in);

struct Due {
  DueKind kind = DUE_KIND_UNSPECIFIED;
  Date due;
  // Audits: the period a pack covers.
  std::optional<Date> period_start;
  std::optional<Date> period_end;
};
// The audit (or final audit) and the review of an account that are overdue
// or due by as_of + within_days. Nothing before the start date.
std::vector<Due> DueBy(const AccountModel& account, const Policy& policy, Date as_of,
                       int within_days);

// What came back over one period.
struct RecoverySums {
  int64_t returned_pence = 0;         // SURPLUS_RETURN debits (positive).
  int64_t council_paid_pence = 0;     // COUNCIL_PAYMENT credits.
  int64_t council_planned_pence = 0;  // (weekly DP − client contribution) × days / 7.
};
// The periods whose sums ApplyProgress needs: one starting at each distinct
// recovery date on or before as_of, each ending the day before the next
// starts, the last on as_of. Returns their first days, in order.
std::vector<Date> ProgressPeriods(Date as_of, const std::vector<Recovery>& recoveries);
// Fills state and recovered_pence of each recovery as of `as_of`, given the
// sums of each period of ProgressPeriods (parallel to it). What comes back in
// a period goes to the recoveries dated on or before its first day, oldest
// first: SURPLUS_RETURN debits to RECLAIM_FROM_ACCOUNT and INVOICE
// recoveries, the period's shortfall of council payments below plan (never
// below 0) to REDUCE_FUTURE_PAYMENTS ones. Recoveries dated after as_of are
// IN_PROGRESS with nothing back. OutOfRange on overflow.
absl::Status ApplyProgress(Date as_of, const std::vector<Date>& periods,
                           const std::vector<RecoverySums>& sums,
                           std::vector<Recovery>* recoveries);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_AUDIT_H_
