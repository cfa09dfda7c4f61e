#include "server/http/web_format.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace dpmon {
namespace {

TEST(LongDate, WritesTheDayTheMonthsNameAndTheYear) {
  EXPECT_EQ(LongDate("2025-12-31"), "31 December 2025");
  EXPECT_EQ(LongDate("2024-02-29"), "29 February 2024");
  EXPECT_EQ(LongDate("1900-01-01"), "1 January 1900");
  EXPECT_EQ(LongDate("2025-02-30"), "2025-02-30");  // Not a date: as given.
  EXPECT_EQ(LongDate(""), "");
}

TEST(LongDateTime, IsLondonTimeToTheMinute) {
  // GMT in winter, BST (UTC+1) in summer; near midnight the date moves too.
  EXPECT_EQ(LongDateTime("2026-11-30T11:41:23.483Z"), "30 November 2026, 11:41");
  EXPECT_EQ(LongDateTime("2026-07-01T23:30:00Z"), "2 July 2026, 00:30");
  EXPECT_EQ(LongDateTime("not a time"), "not a time");
}

TEST(ParsePounds, ReadsWhatPeopleTypeExactly) {
  EXPECT_EQ(*ParsePounds("150"), 15000);
  EXPECT_EQ(*ParsePounds("150.5"), 15050);
  EXPECT_EQ(*ParsePounds(" £1,200.07 "), 120007);
  EXPECT_EQ(*ParsePounds("0.01"), 1);
  EXPECT_EQ(*ParsePounds("999999999.99"), 99999999999);
  for (const char* bad :
       {"", "£", "-5", "1.234", "1.", ".5", "abc", "1e3", "12.3x", "1000000000"}) {
    EXPECT_FALSE(ParsePounds(bad).ok()) << bad;
  }
  // Every amount Pounds writes reads back (without the sign).
  for (int64_t p : {int64_t{0}, int64_t{5}, int64_t{123456}, int64_t{10'000'000'000}}) {
    EXPECT_EQ(*ParsePounds(Pounds(p)), p) << Pounds(p);
  }
}

TEST(Pounds, GroupsThousandsAndKeepsEveryPenny) {
  EXPECT_EQ(Pounds(0), "£0.00");
  EXPECT_EQ(Pounds(5), "£0.05");
  EXPECT_EQ(Pounds(99), "£0.99");
  EXPECT_EQ(Pounds(100), "£1.00");
  EXPECT_EQ(Pounds(123456), "£1,234.56");
  EXPECT_EQ(Pounds(100000000), "£1,000,000.00");
  EXPECT_EQ(Pounds(-500), "\u2212£5.00");
  EXPECT_EQ(Pounds(-123456789), "\u2212£1,234,567.89");
  EXPECT_EQ(Pounds(std::numeric_limits<int64_t>::max()), "£92,233,720,368,547,758.07");
  EXPECT_EQ(Pounds(std::numeric_limits<int64_t>::min()), "\u2212£92,233,720,368,547,758.08");
}

TEST(UrlEncode, KeepsOnlyTheUnreservedCharacters) {
  EXPECT_EQ(UrlEncode("cardco:T-1_a.b~"), "cardco%3AT-1_a.b~");
  EXPECT_EQ(UrlEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

TEST(SentenceCase, WritesEnumNamesAsWords) {
  EXPECT_EQ(SentenceCase("SURPLUS_RETURN"), "Surplus return");
  EXPECT_EQ(SentenceCase("OPEN"), "Open");
  EXPECT_EQ(SentenceCase(""), "");
}

}  // namespace
}  // namespace dpmon
