#include "domain/policy.h"

#include <algorithm>

#include "common/limits.h"

namespace dpmon::domain {

bool Policy::IsRestrictedMcc(const std::string& mcc) const {
  return std::find(restricted_mccs.begin(), restricted_mccs.end(), mcc) != restricted_mccs.end();
}

bool Policy::IsEvidenceMcc(const std::string& mcc) const {
  return std::find(evidence_mccs.begin(), evidence_mccs.end(), mcc) != evidence_mccs.end();
}

Policy DefaultPolicy() {
  Policy p;
  p.surplus_threshold_weeks = 8;
  p.surplus_retain_weeks = 8;
  p.trend_window_days = 84;
  p.overspend_percent = 110;
  p.underspend_percent = 50;
  p.contribution_arrears_weeks = 4;
  p.payment_grace_days = 5;
  p.restricted_mccs = {"5813", "5921", "5933", "5993", "7273",
                       "7297", "7800", "7801", "7802", "7995"};
  p.evidence_mccs = {"6010", "6011"};
  p.transaction_flag_lookback_days = 365;
  p.unplanned_tolerance_pence = 5000;
  p.first_review_months = 6;
  p.review_interval_months = 12;
  p.review_alignment_days = 90;
  p.audit_interval_months = 12;
  p.due_soon_days = 28;
  p.feed_stale_days_card = 7;
  p.feed_stale_days_bank = 35;
  p.closure_settlement_days = 28;
  return p;
}

std::vector<PolicyBound> PolicyBounds(const Policy& p) {
  return {
      {"surplus_threshold_weeks", p.surplus_threshold_weeks, 0, 520},
      {"surplus_retain_weeks", p.surplus_retain_weeks, 0, p.surplus_threshold_weeks},
      {"trend_window_days", p.trend_window_days, 28, 730},
      {"overspend_percent", p.overspend_percent, 100, 1000},
      {"underspend_percent", p.underspend_percent, 0, 100},
      {"contribution_arrears_weeks", p.contribution_arrears_weeks, 0, 520},
      {"payment_grace_days", p.payment_grace_days, 0, 365},
      {"transaction_flag_lookback_days", p.transaction_flag_lookback_days, 1, 3650},
      {"unplanned_tolerance_pence", p.unplanned_tolerance_pence, 0, limits::kAmountPenceMax},
      {"first_review_months", p.first_review_months, 1, 120},
      {"review_interval_months", p.review_interval_months, 1, 120},
      {"review_alignment_days", p.review_alignment_days, 0, 365},
      {"audit_interval_months", p.audit_interval_months, 1, 120},
      {"due_soon_days", p.due_soon_days, 0, 365},
      {"feed_stale_days_card", p.feed_stale_days_card, 1, 3650},
      {"feed_stale_days_bank", p.feed_stale_days_bank, 1, 3650},
      {"closure_settlement_days", p.closure_settlement_days, 0, 3650},
  };
}

}  // namespace dpmon::domain
