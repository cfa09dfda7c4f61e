#include "domain/audit.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "common/money.h"
#include "domain/rules.h"

namespace dpmon::domain {

Risk RiskOf(const RiskInputs& in) {
  Risk r;
  int flags = 0;
  for (Severity s : in.open_flags) {
    flags += s == CRITICAL ? 25 : s == WARNING ? 10 : 3;
    if (flags >= 50) break;
  }
  r.open_flags = static_cast<int32_t>(in.open_flags.size());
  r.flags_points = std::min(flags, 50);
  r.management_points = in.management == AUTHORISED_PERSON  ? 10
                        : in.management == NOMINATED_PERSON ? 5
                                                            : 0;
  r.amount_points = static_cast<int32_t>(std::clamp<int64_t>(in.balance_pence / 100'000, 0, 20));
  const Date since = in.last_audit_period_end.value_or(in.start_date);
  const int32_t days = in.as_of - since;
  r.audit_age_points = std::clamp((days - 365) / 15, 0, 20);
  r.score = r.flags_points + r.management_points + r.amount_points + r.audit_age_points;
  return r;
}

std::vector<Due> DueBy(const AccountModel& account, const Policy& policy, Date as_of,
                       int within_days) {
  std::vector<Due> out;
  if (as_of < account.start_date) return out;
  const Date horizon = as_of.AddDays(within_days);
  if (std::optional<Date> due = AuditDue(account, policy, as_of); due && *due <= horizon) {
    Due d;
    d.kind = account.ClosedSince(as_of) ? FINAL_AUDIT : AUDIT;
    d.due = *due;
    const std::optional<Date> last = account.LastAuditPeriodEnd(as_of);
    d.period_start = last ? last->AddDays(1) : account.start_date;
    d.period_end = std::min(*due, as_of);
    if (*d.period_end < *d.period_start) d.period_end = d.period_start;
    out.push_back(d);
  }
  if (!account.ClosedSince(as_of)) {
    const Date review = ReviewDue(account, policy, as_of);
    if (review <= horizon) out.push_back(Due{REVIEW, review, std::nullopt, std::nullopt});
  }
  return out;
}

std::vector<Date> ProgressPeriods(Date as_of, const std::vector<Recovery>& recoveries) {
  std::vector<Date> out;
  for (const Recovery& r : recoveries) {
    if (r.date <= as_of) out.push_back(r.date);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status ApplyProgress(Date as_of, const std::vector<Date>& periods,
                           const std::vector<RecoverySums>& sums,
                           std::vector<Recovery>* recoveries) {
  if (sums.size() != periods.size()) return absl::InvalidArgumentError("one sum per period");
  std::vector<size_t> order(recoveries->size());
  std::iota(order.begin(), order.end(), 0);
  for (Recovery& r : *recoveries) {
    r.recovered_pence = 0;
    r.state = IN_PROGRESS;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie((*recoveries)[a].date, (*recoveries)[a].id) <
           std::tie((*recoveries)[b].date, (*recoveries)[b].id);
  });
  for (size_t p = 0; p < periods.size(); ++p) {
    int64_t returned = std::max<int64_t>(0, sums[p].returned_pence);
    absl::StatusOr<int64_t> shortfall =
        SubPence(sums[p].council_planned_pence, sums[p].council_paid_pence);
    if (!shortfall.ok()) return shortfall.status();
    int64_t made_up = std::max<int64_t>(0, *shortfall);
    for (size_t i : order) {
      Recovery& r = (*recoveries)[i];
      if (r.date > periods[p] || r.date > as_of) break;
      int64_t& pool = r.method == REDUCE_FUTURE_PAYMENTS ? made_up : returned;
      const int64_t take = std::min(pool, r.amount_pence - r.recovered_pence);
      pool -= take;
      r.recovered_pence += take;
    }
  }
  for (Recovery& r : *recoveries) {
    if (r.recovered_pence >= r.amount_pence) r.state = COMPLETED;
  }
  return absl::OkStatus();
}

}  // namespace dpmon::domain
