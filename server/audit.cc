#include "server/audit.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "common/money.h"

namespace dpmon::audit {

v1::Risk RiskOf(const RiskInputs& in) {
  v1::Risk r;
  int flags = 0;
  for (v1::Severity s : in.open_flags) {
    flags += s == v1::CRITICAL ? 25 : s == v1::WARNING ? 10 : 3;
    if (flags >= 50) break;
  }
  r.set_open_flags(static_cast<int32_t>(in.open_flags.size()));
  r.set_flags_points(std::min(flags, 50));
  r.set_management_points(in.management == v1::AUTHORISED_PERSON  ? 10
                          : in.management == v1::NOMINATED_PERSON ? 5
                                                                  : 0);
  r.set_amount_points(static_cast<int32_t>(std::clamp<int64_t>(in.balance_pence / 100'000, 0, 20)));
  const Date since = in.last_audit_period_end.value_or(in.start_date);
  const int32_t days = in.as_of - since;
  r.set_audit_age_points(std::clamp((days - 365) / 15, 0, 20));
  r.set_score(r.flags_points() + r.management_points() + r.amount_points() + r.audit_age_points());
  return r;
}

std::optional<Date> LastAuditPeriodEnd(const rules::AccountModel& account, Date as_of) {
  std::optional<Date> last;
  for (const rules::AccountModel::Audit& a : account.audits) {
    if (a.date <= as_of && (!last || a.period_end > *last)) last = a.period_end;
  }
  return last;
}

std::vector<Due> DueBy(const rules::AccountModel& account, const v1::Policy& policy, Date as_of,
                       int within_days) {
  std::vector<Due> out;
  if (as_of < account.start_date) return out;
  const Date horizon = as_of.AddDays(within_days);
  if (std::optional<Date> due = rules::AuditDue(account, policy, as_of); due && *due <= horizon) {
    Due d;
    d.kind = account.ClosedSince(as_of) ? v1::FINAL_AUDIT : v1::AUDIT;
    d.due = *due;
    const std::optional<Date> last = LastAuditPeriodEnd(account, as_of);
    d.period_start = last ? last->AddDays(1) : account.start_date;
    d.period_end = std::min(*due, as_of);
    if (*d.period_end < *d.period_start) d.period_end = d.period_start;
    out.push_back(d);
  }
  if (!account.ClosedSince(as_of)) {
    const Date review = rules::ReviewDue(account, policy, as_of);
    if (review <= horizon) out.push_back(Due{v1::REVIEW, review, std::nullopt, std::nullopt});
  }
  return out;
}

std::vector<Date> ProgressPeriods(Date as_of, const std::vector<v1::Recovery>& recoveries) {
  std::vector<Date> out;
  for (const v1::Recovery& r : recoveries) {
    absl::StatusOr<Date> d = Date::Parse(r.date());
    if (d.ok() && *d <= as_of) out.push_back(*d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::Status ApplyProgress(Date as_of, const std::vector<Date>& periods,
                           const std::vector<RecoverySums>& sums,
                           std::vector<v1::Recovery>* recoveries) {
  if (sums.size() != periods.size()) return absl::InvalidArgumentError("one sum per period");
  std::vector<size_t> order(recoveries->size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<Date> dates(recoveries->size());
  for (size_t i = 0; i < recoveries->size(); ++i) {
    v1::Recovery& r = (*recoveries)[i];
    r.set_recovered_pence(0);
    r.set_state(v1::IN_PROGRESS);
    absl::StatusOr<Date> d = Date::Parse(r.date());
    if (!d.ok()) return absl::DataLossError("a stored recovery has an unreadable date");
    dates[i] = *d;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::make_tuple(dates[a], (*recoveries)[a].id()) <
           std::make_tuple(dates[b], (*recoveries)[b].id());
  });
  for (size_t p = 0; p < periods.size(); ++p) {
    int64_t returned = std::max<int64_t>(0, sums[p].returned_pence);
    absl::StatusOr<int64_t> shortfall =
        SubPence(sums[p].council_planned_pence, sums[p].council_paid_pence);
    if (!shortfall.ok()) return shortfall.status();
    int64_t made_up = std::max<int64_t>(0, *shortfall);
    for (size_t i : order) {
      if (dates[i] > periods[p] || dates[i] > as_of) break;
      v1::Recovery& r = (*recoveries)[i];
      int64_t& pool = r.method() == v1::REDUCE_FUTURE_PAYMENTS ? made_up : returned;
      const int64_t take = std::min(pool, r.amount_pence() - r.recovered_pence());
      pool -= take;
      r.set_recovered_pence(r.recovered_pence() + take);
    }
  }
  for (v1::Recovery& r : *recoveries) {
    if (r.recovered_pence() >= r.amount_pence()) r.set_state(v1::COMPLETED);
  }
  return absl::OkStatus();
}

}  // namespace dpmon::audit
