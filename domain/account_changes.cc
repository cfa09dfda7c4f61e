#include "domain/account_changes.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "common/limits.h"

namespace dpmon::domain {

ChangeRule RuleFor(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kStatusChange:
      return {"status changes", limits::kStatusChangesMax, false};
    case ChangeKind::kPlanVersion:
      return {"plan versions", limits::kPlanVersionsMax, false};
    case ChangeKind::kEarmark:
      return {"earmarks", limits::kEarmarksMax, true};
    case ChangeKind::kReview:
      return {"reviews", limits::kReviewsMax, false};
    case ChangeKind::kAudit:
      return {"audits", limits::kAuditsMax, false};
    case ChangeKind::kRecovery:
      return {"recoveries", limits::kRecoveriesMax, true};
  }
  return {"records", 0, false};
}

absl::StatusOr<int> PlaceChange(ChangeKind kind, int size,
                                absl::FunctionRef<absl::string_view(int)> id_at,
                                absl::string_view id) {
  const ChangeRule rule = RuleFor(kind);
  if (rule.replaces_same_id) {
    for (int i = 0; i < size; ++i) {
      if (id_at(i) == id) return i;
    }
  }
  if (size >= rule.limit) {
    return absl::FailedPreconditionError(
        absl::StrFormat("the account already has %d %s, the limit", rule.limit, rule.what));
  }
  return size;
}

}  // namespace dpmon::domain
