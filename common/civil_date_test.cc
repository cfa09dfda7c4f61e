#include "common/civil_date.h"

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "gtest/gtest.h"

namespace dpmon {
namespace {

Date D(const char* s) {
  absl::StatusOr<Date> d = Date::Parse(s);
  EXPECT_TRUE(d.ok()) << s;
  return *d;
}

TEST(Date, ParsesAndPrintsRoundTrip) {
  for (const char* s : {"1970-01-01", "2024-02-29", "2025-12-31", "1900-01-01", "2199-12-31"}) {
    EXPECT_EQ(D(s).ToString(), s);
  }
  EXPECT_EQ(D("1970-01-02").days(), 1);
  EXPECT_EQ(D("1969-12-31").days(), -1);
}

TEST(Date, RejectsMalformedAndImpossibleDates) {
  for (const char* s : {"", "2025-1-01", "2025/01/01", "2025-02-29", "2024-02-30", "2025-13-01",
                        "2025-00-10", "2025-04-31", "20250101", "2025-01-01T00", "1899-12-31",
                        "2200-01-01", "abcd-ef-gh", " 2025-01-01"}) {
    absl::StatusOr<Date> d = Date::Parse(s);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << s;
  }
}

TEST(Date, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_FALSE(IsLeapYear(2025));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
}

TEST(AddMonths, ClampsToTheLastDayOfTheMonth) {
  struct Case {
    const char* from;
    int months;
    const char* want;
  } cases[] = {
      {"2025-08-31", 6, "2026-02-28"},   // DOMAIN.md's example
      {"2023-08-31", 6, "2024-02-29"},   // leap year
      {"2024-02-29", 12, "2025-02-28"},  // from a leap day
      {"2024-02-29", 48, "2028-02-29"}, {"2025-01-31", 1, "2025-02-28"},
      {"2025-03-31", 1, "2025-04-30"},  {"2025-05-15", 12, "2026-05-15"},
      {"2025-12-31", 1, "2026-01-31"},  {"2025-11-30", 3, "2026-02-28"},
      {"2025-03-31", -1, "2025-02-28"}, {"2025-01-15", -1, "2024-12-15"},
      {"2025-06-30", 0, "2025-06-30"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AddMonths(D(c.from), c.months).ToString(), c.want) << c.from << " + " << c.months;
  }
}

TEST(Date, FirstOfMonthAndYear) {
  EXPECT_EQ(D("2025-08-31").FirstOfMonth().ToString(), "2025-08-01");
  EXPECT_EQ(D("2025-08-31").FirstOfYear().ToString(), "2025-01-01");
  EXPECT_EQ(D("1969-07-20").FirstOfYear().ToString(), "1969-01-01");
}

TEST(Date, OrderingAndDifference) {
  EXPECT_LT(D("2025-01-01"), D("2025-01-02"));
  EXPECT_EQ(D("2025-03-01") - D("2025-02-01"), 28);
  EXPECT_EQ(D("2024-03-01") - D("2024-02-01"), 29);
  EXPECT_EQ(D("2025-02-28").AddDays(1).ToString(), "2025-03-01");
}

// The date range is written where a caller meets it: the README's limits
// and the proto's comments quote common/limits.h's years (issue 13).
TEST(Limits, TheDateRangeIsWrittenWhereItIsMet) {
  const std::string first = absl::StrCat(limits::kYearMin, "-01-01");
  const std::string last = absl::StrCat(limits::kYearMax, "-12-31");
  EXPECT_TRUE(Date::Parse(first).ok());
  EXPECT_TRUE(Date::Parse(last).ok());
  EXPECT_FALSE(Date::Parse(absl::StrCat(limits::kYearMin - 1, "-12-31")).ok());
  EXPECT_FALSE(Date::Parse(absl::StrCat(limits::kYearMax + 1, "-01-01")).ok());
  for (const char* file : {"/README.md", "/proto/dpmon/v1/resources.proto"}) {
    std::ifstream in(std::string(DPMON_SOURCE_DIR) + file);
    ASSERT_TRUE(in) << file;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(first), std::string::npos) << file << " does not say " << first;
    EXPECT_NE(text.find(last), std::string::npos) << file << " does not say " << last;
  }
}

}  // namespace
}  // namespace dpmon
