// The domain's vocabulary: the enums the rules, the audit arithmetic and
// categorisation speak in. Each enumerator has the name and number of its
// twin in proto/dpmon/v1 so that a reader maps one to the other at sight;
// storage/proto_domain.h converts between them and checks, at compile time,
// that every number matches.
//
// Thread-safety: value types and pure functions.
#ifndef DPMON_DOMAIN_TYPES_H_
#define DPMON_DOMAIN_TYPES_H_

#include "absl/strings/string_view.h"

namespace dpmon::domain {

enum Holding : int {
  HOLDING_UNSPECIFIED = 0,
  PREPAID_CARD = 1,
  BANK_ACCOUNT = 2,
};

enum Management : int {
  MANAGEMENT_UNSPECIFIED = 0,
  SELF = 1,
  NOMINATED_PERSON = 2,
  AUTHORISED_PERSON = 3,
  MANAGED_ACCOUNT = 4,
};

enum AccountStatus : int {
  ACCOUNT_STATUS_UNSPECIFIED = 0,
  ACTIVE = 1,
  SUSPENDED = 2,
  CLOSED = 3,
};

enum PaymentCycle : int {
  PAYMENT_CYCLE_UNSPECIFIED = 0,
  WEEKLY = 1,
  FORTNIGHTLY = 2,
  FOUR_WEEKLY = 3,
  MONTHLY = 4,
};

// Credits are COUNCIL_PAYMENT..OTHER_INCOME, debits PA_WAGES..OTHER.
enum Category : int {
  CATEGORY_UNSPECIFIED = 0,
  COUNCIL_PAYMENT = 1,
  CLIENT_CONTRIBUTION = 2,
  REFUND = 3,
  OTHER_INCOME = 4,
  PA_WAGES = 5,
  PAYE_NI = 6,
  PENSION = 7,
  EMPLOYER_INSURANCE = 8,
  PAYROLL_SERVICE = 9,
  AGENCY_CARE = 10,
  RESPITE = 11,
  DAY_SERVICES = 12,
  EQUIPMENT = 13,
  TRANSPORT = 14,
  BANK_CHARGES = 15,
  CASH_WITHDRAWAL = 16,
  SURPLUS_RETURN = 17,
  OTHER = 18,
  UNCATEGORISED = 19,
};
inline constexpr int kCategoryCount = 20;

enum Direction : int {
  DIRECTION_UNSPECIFIED = 0,
  CREDIT = 1,
  DEBIT = 2,
};

// DOMAIN.md's rules, numbered as they are there.
enum FlagKind : int {
  FLAG_KIND_UNSPECIFIED = 0,
  NO_SUPPORT_PLAN = 1,
  DEFICIT = 2,
  SURPLUS = 3,
  OVERSPEND = 4,
  UNDERSPEND = 5,
  CONTRIBUTION_ARREARS = 6,
  MISSED_PAYMENT = 7,
  RESTRICTED_SPEND = 8,
  EVIDENCE_REQUIRED = 9,
  UNPLANNED_SPEND = 10,
  REVIEW_DUE = 11,
  REVIEW_OVERDUE = 12,
  AUDIT_DUE = 13,
  AUDIT_OVERDUE = 14,
  FEED_STALE = 15,
  RECONCILIATION_MISMATCH = 16,
  CLOSED_WITH_BALANCE = 17,
};
inline constexpr int kFlagKindCount = 18;

enum Severity : int {
  SEVERITY_UNSPECIFIED = 0,
  INFO = 1,
  WARNING = 2,
  CRITICAL = 3,
};

enum DueKind : int {
  DUE_KIND_UNSPECIFIED = 0,
  AUDIT = 1,
  FINAL_AUDIT = 2,
  REVIEW = 3,
};

enum RecoveryMethod : int {
  RECOVERY_METHOD_UNSPECIFIED = 0,
  RECLAIM_FROM_ACCOUNT = 1,
  INVOICE = 2,
  REDUCE_FUTURE_PAYMENTS = 3,
};

enum RecoveryState : int {
  RECOVERY_STATE_UNSPECIFIED = 0,
  IN_PROGRESS = 1,
  COMPLETED = 2,
};

// The enumerator's name as the API spells it ("PA_WAGES"); "" if out of range.
absl::string_view CategoryName(Category c);
absl::string_view FlagKindName(FlagKind k);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_TYPES_H_
