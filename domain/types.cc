#include "domain/types.h"

namespace dpmon::domain {

absl::string_view CategoryName(Category c) {
  static constexpr absl::string_view kNames[kCategoryCount] = {"CATEGORY_UNSPECIFIED",
                                                               "COUNCIL_PAYMENT",
                                                               "CLIENT_CONTRIBUTION",
                                                               "REFUND",
                                                               "OTHER_INCOME",
                                                               "PA_WAGES",
                                                               "PAYE_NI",
                                                               "PENSION",
                                                               "EMPLOYER_INSURANCE",
                                                               "PAYROLL_SERVICE",
                                                               "AGENCY_CARE",
                                                               "RESPITE",
                                                               "DAY_SERVICES",
                                                               "EQUIPMENT",
                                                               "TRANSPORT",
                                                               "BANK_CHARGES",
                                                               "CASH_WITHDRAWAL",
                                                               "SURPLUS_RETURN",
                                                               "OTHER",
                                                               "UNCATEGORISED"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < kCategoryCount ? kNames[i] : absl::string_view();
}

absl::string_view FlagKindName(FlagKind k) {
  static constexpr absl::string_view kNames[kFlagKindCount] = {"FLAG_KIND_UNSPECIFIED",
                                                               "NO_SUPPORT_PLAN",
                                                               "DEFICIT",
                                                               "SURPLUS",
                                                               "OVERSPEND",
                                                               "UNDERSPEND",
                                                               "CONTRIBUTION_ARREARS",
                                                               "MISSED_PAYMENT",
                                                               "RESTRICTED_SPEND",
                                                               "EVIDENCE_REQUIRED",
                                                               "UNPLANNED_SPEND",
                                                               "REVIEW_DUE",
                                                               "REVIEW_OVERDUE",
                                                               "AUDIT_DUE",
                                                               "AUDIT_OVERDUE",
                                                               "FEED_STALE",
                                                               "RECONCILIATION_MISMATCH",
                                                               "CLOSED_WITH_BALANCE"};
  const int i = static_cast<int>(k);
  return i >= 0 && i < kFlagKindCount ? kNames[i] : absl::string_view();
}

}  // namespace dpmon::domain
