// A council's monitoring policy (DOMAIN.md): its defaults, the range each
// setting may take, and the categorisation rules it carries.
//
// Thread-safety: value types and pure functions.
#ifndef DPMON_DOMAIN_POLICY_H_
#define DPMON_DOMAIN_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "domain/types.h"

namespace dpmon::domain {

// A categorisation rule (docs/feeds.md): every condition given must hold.
struct CategoryRule {
  std::string mcc;                    // 4 digits, exact; "" for any.
  std::string counterparty_contains;  // Without regard to case; "" for any.
  std::string description_contains;   // Without regard to case; "" for any.
  Category category = CATEGORY_UNSPECIFIED;
};

// Every field as DOMAIN.md defines it; a default-constructed Policy is all
// zeros and empty lists. DefaultPolicy() gives DOMAIN.md's defaults.
struct Policy {
  int32_t surplus_threshold_weeks = 0;
  int32_t surplus_retain_weeks = 0;
  int32_t trend_window_days = 0;
  int32_t overspend_percent = 0;
  int32_t underspend_percent = 0;
  int32_t contribution_arrears_weeks = 0;
  int32_t payment_grace_days = 0;
  std::vector<std::string> restricted_mccs;
  std::vector<std::string> evidence_mccs;
  int32_t transaction_flag_lookback_days = 0;
  int64_t unplanned_tolerance_pence = 0;
  int32_t first_review_months = 0;
  int32_t review_interval_months = 0;
  int32_t review_alignment_days = 0;
  int32_t audit_interval_months = 0;
  int32_t due_soon_days = 0;
  int32_t feed_stale_days_card = 0;
  int32_t feed_stale_days_bank = 0;
  int32_t closure_settlement_days = 0;
  std::vector<CategoryRule> category_rules;

  bool IsRestrictedMcc(const std::string& mcc) const;
  bool IsEvidenceMcc(const std::string& mcc) const;
};

// DOMAIN.md's defaults, every field set (no categorisation rules).
Policy DefaultPolicy();

// One numeric setting with the closed range it must lie in.
struct PolicyBound {
  const char* field;  // The API's field name.
  int64_t value;
  int64_t lo;
  int64_t hi;
};
// Every numeric setting of `p` with its range, in field order. Ranges may
// depend on other settings (surplus_retain_weeks ≤ surplus_threshold_weeks).
std::vector<PolicyBound> PolicyBounds(const Policy& p);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_POLICY_H_
