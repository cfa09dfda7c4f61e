// How changes join an account's lists: appended, replaced by id, refused
// when full. Expected places worked out by hand.
#include "domain/account_changes.h"

#include <string>
#include <vector>

#include "common/limits.h"
#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

absl::StatusOr<int> Place(ChangeKind kind, const std::vector<std::string>& ids,
                          const std::string& id) {
  return PlaceChange(
      kind, static_cast<int>(ids.size()), [&ids](int i) { return absl::string_view(ids[i]); }, id);
}

TEST(AccountChanges, HistoryIsAppendedEvenWithTheSameId) {
  EXPECT_EQ(*Place(ChangeKind::kStatusChange, {"", ""}, ""), 2);
  EXPECT_EQ(*Place(ChangeKind::kReview, {}, ""), 0);
}

TEST(AccountChanges, EarmarksAndRecoveriesReplaceTheSameId) {
  EXPECT_EQ(*Place(ChangeKind::kEarmark, {"E1", "E2", "E3"}, "E2"), 1);
  EXPECT_EQ(*Place(ChangeKind::kEarmark, {"E1", "E2", "E3"}, "E4"), 3);
  EXPECT_EQ(*Place(ChangeKind::kRecovery, {"R1"}, "R1"), 0);
}

TEST(AccountChanges, AFullListRefusesANewRecordButNotAReplacement) {
  std::vector<std::string> ids;
  for (int i = 0; i < limits::kRecoveriesMax; ++i) ids.push_back("R" + std::to_string(i));
  absl::StatusOr<int> full = Place(ChangeKind::kRecovery, ids, "new");
  EXPECT_EQ(full.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(full.status().message(), "the account already has 100 recoveries, the limit");
  EXPECT_EQ(*Place(ChangeKind::kRecovery, ids, "R7"), 7);
  std::vector<std::string> audits(limits::kAuditsMax, "");
  EXPECT_EQ(Place(ChangeKind::kAudit, audits, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dpmon::domain
