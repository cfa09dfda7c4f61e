#include "common/money.h"

#include <limits>

#include "gtest/gtest.h"

namespace dpmon {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Money, AddsExactly) {
  EXPECT_EQ(*AddPence(12345, -345), 12000);
  EXPECT_EQ(*AddPence(kMax - 1, 1), kMax);
  EXPECT_EQ(*SubPence(kMin + 1, 1), kMin);
  EXPECT_EQ(*MulPence(35000, 52), 1820000);
}

TEST(Money, OverflowIsAnErrorNeverAWrap) {
  EXPECT_EQ(AddPence(kMax, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(AddPence(kMin, -1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(SubPence(kMin, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(SubPence(0, kMin).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(MulPence(kMax / 2 + 1, 2).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(NegPence(kMin).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Money, FormatsForPeople) {
  EXPECT_EQ(FormatPence(0), "£0.00");
  EXPECT_EQ(FormatPence(5), "£0.05");
  EXPECT_EQ(FormatPence(-5), "-£0.05");
  EXPECT_EQ(FormatPence(123456789), "£1,234,567.89");
  EXPECT_EQ(FormatPence(kMin), "-£92,233,720,368,547,758.08");
}

}  // namespace
}  // namespace dpmon
