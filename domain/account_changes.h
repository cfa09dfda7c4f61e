// How a recorded change joins an account's records (DOMAIN.md): status
// changes, plan versions, reviews and audits are appended, so the history
// is kept (on one date the later recorded wins: domain/account.h);
// earmarks and recoveries replace the one with the same id, else are
// added. Every list has a limit (common/limits.h).
//
//   absl::StatusOr<int> at = PlaceChange(ChangeKind::kEarmark, size, id_at, id);
//   // *at == size: append; otherwise replace the record at *at.
//
// Thread-safety: pure functions.
#ifndef DPMON_DOMAIN_ACCOUNT_CHANGES_H_
#define DPMON_DOMAIN_ACCOUNT_CHANGES_H_

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dpmon::domain {

enum class ChangeKind { kStatusChange, kPlanVersion, kEarmark, kReview, kAudit, kRecovery };

struct ChangeRule {
  const char* what;       // "status changes", as an error names the list.
  int limit;              // At most this many in an account.
  bool replaces_same_id;  // Earmarks and recoveries: an id names one record.
};
ChangeRule RuleFor(ChangeKind kind);

// Where a new record with `id` goes in a list of `size` records whose ids
// `id_at` gives: `size` to append, or the index of the record it replaces.
// FailedPrecondition if it would be added to a full list.
absl::StatusOr<int> PlaceChange(ChangeKind kind, int size,
                                absl::FunctionRef<absl::string_view(int)> id_at,
                                absl::string_view id);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_ACCOUNT_CHANGES_H_
