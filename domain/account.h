// An account as the rules read it: its dates parsed and its dated records in
// the order the rules need them. The one place that says which status and
// which plan is in force on a date.
//
//   AccountModel m;
//   m.start_date = ...; m.status_changes.push_back(...); ...
//   m.Normalise();       // sorts; on one date the last recorded wins
//   m.StatusAt(d);
//
// Thread-safety: a value type.
#ifndef DPMON_DOMAIN_ACCOUNT_H_
#define DPMON_DOMAIN_ACCOUNT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "domain/types.h"

namespace dpmon::domain {

struct AccountModel {
  struct StatusChange {
    Date date;
    AccountStatus status = ACTIVE;
  };
  struct PlanVersion {
    Date effective_from;
    int64_t weekly_dp_pence = 0;
    int64_t weekly_client_contribution_pence = 0;
    PaymentCycle payment_cycle = PAYMENT_CYCLE_UNSPECIFIED;
    std::vector<Category> line_categories;
    std::vector<int64_t> line_weekly_pence;  // Parallel to line_categories.
  };
  struct Earmark {
    Date from;
    Date until;
    int64_t amount_pence = 0;
  };
  struct Audit {
    Date date;
    Date period_end;
  };

  Date start_date;
  Holding holding = HOLDING_UNSPECIFIED;
  Management management = MANAGEMENT_UNSPECIFIED;
  std::optional<Date> care_plan_review_date;
  // After Normalise(): sorted by date, in the order recorded within a date.
  std::vector<StatusChange> status_changes;
  // After Normalise(): sorted by effective_from, one per date (the last
  // recorded).
  std::vector<PlanVersion> plan_versions;
  std::vector<Earmark> earmarks;
  std::vector<Date> review_dates;  // After Normalise(): sorted.
  std::vector<Audit> audits;

  // Puts the dated records, given in the order they were recorded, in the
  // order above.
  void Normalise();

  // ACTIVE from the start date until a change; at d, the last change dated
  // on or before d (on one date, the later recorded).
  AccountStatus StatusAt(Date d) const;
  // The first day of the unbroken CLOSED run that includes d; nullopt unless
  // CLOSED at d.
  std::optional<Date> ClosedSince(Date d) const;
  // The plan version in force on d, or nullptr before the first.
  const PlanVersion* PlanAt(Date d) const;
  // The latest audit period_end among audits dated on or before as_of.
  std::optional<Date> LastAuditPeriodEnd(Date as_of) const;
};

// A surplus the council is reclaiming (docs/audits.md).
struct Recovery {
  std::string id;
  int64_t amount_pence = 0;
  RecoveryMethod method = RECOVERY_METHOD_UNSPECIFIED;
  Date date;
  // As of a date: what has come back (at most amount_pence).
  RecoveryState state = RECOVERY_STATE_UNSPECIFIED;
  int64_t recovered_pence = 0;
};

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_ACCOUNT_H_
