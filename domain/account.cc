#include "domain/account.h"

#include <algorithm>
#include <utility>

namespace dpmon::domain {

void AccountModel::Normalise() {
  // Stable, so that on one date the later recorded comes last and wins.
  std::stable_sort(status_changes.begin(), status_changes.end(),
                   [](const StatusChange& x, const StatusChange& y) { return x.date < y.date; });
  std::stable_sort(plan_versions.begin(), plan_versions.end(),
                   [](const PlanVersion& x, const PlanVersion& y) {
                     return x.effective_from < y.effective_from;
                   });
  // Keep only the last recorded version of each date.
  std::vector<PlanVersion> plans;
  for (PlanVersion& p : plan_versions) {
    if (!plans.empty() && plans.back().effective_from == p.effective_from) {
      plans.back() = std::move(p);
    } else {
      plans.push_back(std::move(p));
    }
  }
  plan_versions = std::move(plans);
  std::sort(review_dates.begin(), review_dates.end());
}

AccountStatus AccountModel::StatusAt(Date d) const {
  AccountStatus status = ACTIVE;
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
  if (last < 0 || status_changes[last].status != CLOSED) return std::nullopt;
  // Walk back over the changes in force on earlier dates while they are
  // CLOSED. A change overridden on its own date by a later record does not
  // break the run: only the last of each date is in force.
  Date since = status_changes[last].date;
  for (int i = last - 1; i >= 0; --i) {
    if (status_changes[i].date == status_changes[i + 1].date) continue;  // overridden
    if (status_changes[i].status != CLOSED) break;
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

std::optional<Date> AccountModel::LastAuditPeriodEnd(Date as_of) const {
  std::optional<Date> last;
  for (const Audit& a : audits) {
    if (a.date <= as_of && (!last || a.period_end > *last)) last = a.period_end;
  }
  return last;
}

}  // namespace dpmon::domain
