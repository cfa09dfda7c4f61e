#include "server/http/web_chart.h"

#include <cstdint>
#include <limits>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/http/web_util.h"

namespace dpmon::web {
namespace {

TEST(ScaleToPixel, IsExactAtTheEndsAndInOrderBetween) {
  EXPECT_EQ(ScaleToPixel(0, 0, 100, 20, 200), 200);
  EXPECT_EQ(ScaleToPixel(100, 0, 100, 20, 200), 20);
  EXPECT_EQ(ScaleToPixel(50, 0, 100, 20, 200), 110);
  EXPECT_EQ(ScaleToPixel(-5, -10, 10, 0, 100), 75);
  // The largest balances do not overflow; out of range is clamped.
  const int64_t big = int64_t{10'000'000'000};
  EXPECT_EQ(ScaleToPixel(big, -big, big, 0, 200), 0);
  EXPECT_EQ(ScaleToPixel(std::numeric_limits<int64_t>::max(), -big, big, 0, 200), 0);
  int last = 1000;
  for (int64_t v = -big; v <= big; v += big / 7) {
    const int y = ScaleToPixel(v, -big, big, 0, 200);
    EXPECT_LE(y, last);
    last = y;
  }
}

TEST(BalanceChart, DrawsABarPerDateBelowZeroInRed) {
  const std::vector<std::pair<Date, int64_t>> points = {{*Date::Parse("2025-01-31"), 150000},
                                                        {*Date::Parse("2025-02-28"), -2500}};
  const std::string svg = Render("chart", BalanceChart(points));
  EXPECT_TRUE(absl::StartsWith(svg, "<svg")) << svg;
  EXPECT_TRUE(absl::StrContains(svg, "£1,500.00"));
  EXPECT_TRUE(absl::StrContains(svg, "\u2212£25.00"));
  EXPECT_TRUE(absl::StrContains(svg, ">Jan<"));
  EXPECT_TRUE(absl::StrContains(svg, ">Feb<"));
  EXPECT_TRUE(absl::StrContains(svg, "#d4351c"));
  EXPECT_EQ(BalanceChart({}).get("bars"), nullptr);
}

}  // namespace
}  // namespace dpmon::web
