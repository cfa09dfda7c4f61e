#include "common/civil_date.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
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

// The calendar arithmetic is its own (closed form); absl::CivilDay is the
// reference: every day from 1600 to 2400 and a spread of days out to the
// ends of the int32 range, through every operation on a Date.
TEST(Date, AgreesWithAbslCivilDayEverywhere) {
  const absl::CivilDay epoch(1970, 1, 1);
  std::vector<int64_t> days;
  const int64_t from = absl::CivilDay(1600, 1, 1) - epoch,
                to = absl::CivilDay(2400, 12, 31) - epoch;
  for (int64_t d = from; d <= to; ++d) days.push_back(d);
  for (int64_t d = INT32_MIN / 2; d < INT32_MAX / 2; d += 7919 * 13) days.push_back(d);
  for (int64_t d : {int64_t{INT32_MIN / 2}, int64_t{INT32_MAX / 2}, int64_t{-1}, int64_t{0}}) {
    days.push_back(d);
  }
  int checked = 0;
  for (int64_t n : days) {
    const Date d = Date::FromDays(static_cast<int32_t>(n));
    const absl::CivilDay c = epoch + n;
    ASSERT_EQ(d.year(), c.year()) << n;
    ASSERT_EQ(d.month(), c.month()) << n;
    ASSERT_EQ(d.day(), c.day()) << n;
    ASSERT_EQ(d.FirstOfMonth().days(), absl::CivilDay(c.year(), c.month(), 1) - epoch) << n;
    ASSERT_EQ(d.FirstOfYear().days(), absl::CivilDay(c.year(), 1, 1) - epoch) << n;
    if (c.year() >= 1600 && c.year() <= 2400) {
      ASSERT_EQ(d.ToString(), absl::FormatCivilTime(c)) << n;
      absl::StatusOr<Date> parsed = Date::FromYmd(static_cast<int>(c.year()), c.month(), c.day());
      if (c.year() >= Date::kYearMin && c.year() <= Date::kYearMax) {
        ASSERT_TRUE(parsed.ok()) << n;
        ASSERT_EQ(parsed->days(), n);
      }
    }
    // AddMonths against absl's months (normalised to the first) with the
    // day clamped to the month's last.
    for (int months : {-25, -12, -1, 1, 2, 6, 11, 12, 13, 120}) {
      const absl::CivilMonth m = absl::CivilMonth(c) + months;
      const absl::CivilDay first(m);
      const int last = static_cast<int>((absl::CivilDay(m + 1) - 1).day());
      const absl::CivilDay want(m.year(), m.month(), std::min(c.day(), last));
      ASSERT_EQ(AddMonths(d, months).days(), want - epoch) << n << " + " << months;
      ASSERT_EQ(first.day(), 1);
    }
    ++checked;
  }
  EXPECT_GT(checked, 290000);
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
