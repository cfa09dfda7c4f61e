#include "storage/keys.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace dpmon::keys {
namespace {

TEST(Keys, DateEncodingRoundTripsAndSortsByDate) {
  std::mt19937 rng(7);
  std::vector<int32_t> days;
  for (int i = 0; i < 2000; ++i) days.push_back(static_cast<int32_t>(rng() % 200000) - 100000);
  days.push_back(0);
  days.push_back(-1);
  std::vector<std::string> encoded;
  for (int32_t d : days) {
    std::string k;
    AppendDate(&k, Date::FromDays(d));
    ASSERT_EQ(k.size(), 4u);
    ASSERT_EQ(DecodeDate(k)->days(), d);
    encoded.push_back(k);
  }
  for (size_t i = 0; i < days.size(); ++i) {
    for (size_t j = i + 1; j < std::min(days.size(), i + 50); ++j) {
      EXPECT_EQ(days[i] < days[j], encoded[i] < encoded[j]) << days[i] << " " << days[j];
    }
  }
}

TEST(Keys, SequenceEncodingRoundTripsAndSorts) {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 1ull << 40, ~0ull}) {
    std::string k;
    AppendU64(&k, v);
    EXPECT_EQ(*DecodeU64(k), v);
  }
  std::string a, b;
  AppendU64(&a, 255);
  AppendU64(&b, 256);
  EXPECT_LT(a, b);
}

TEST(Keys, TxnKeyRoundTrips) {
  Date d = *Date::Parse("2025-09-05");
  std::string k = Txn("wilts", "A1001", d, 42);
  std::optional<TxnKeyParts> p = DecodeTxn(k);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->council, "wilts");
  EXPECT_EQ(p->account, "A1001");
  EXPECT_EQ(p->date, d);
  EXPECT_EQ(p->seq, 42u);
}

TEST(Keys, AccountsOfOneCouncilSortTogetherAndByDateThenSequence) {
  Date d1 = *Date::Parse("2025-01-01"), d2 = *Date::Parse("2025-01-02");
  // An account id that extends another must not interleave with it.
  EXPECT_LT(Txn("c", "A1", d2, 1), Txn("c", "A10", d1, 0));
  EXPECT_LT(Txn("c", "A1", d1, 9), Txn("c", "A1", d2, 1));
  EXPECT_LT(Txn("c", "A1", d1, 1), Txn("c", "A1", d1, 2));
  EXPECT_LT(Account("c", "zzz"), Account("c1", "a"));
  std::string parent = AccountParent("c", "A1");
  EXPECT_EQ(Txn("c", "A1", d1, 1).rfind(parent, 0), 0u);
  EXPECT_NE(Txn("c", "A10", d1, 1).rfind(parent, 0), 0u);
}

TEST(Keys, TotalsLevelsAreSeparateRanges) {
  Date d = *Date::Parse("2025-06-15");
  std::string y = Totals("c", "a", Level::kYear, d.FirstOfYear());
  std::string m = Totals("c", "a", Level::kMonth, d.FirstOfMonth());
  std::string day = Totals("c", "a", Level::kDay, d);
  EXPECT_LT(day, m);  // 'D' < 'M' < 'Y'
  EXPECT_LT(m, y);
  // Within a level and period, accounts in order, then buckets in order; a
  // later period sorts after every account of an earlier one.
  EXPECT_LT(Totals("c", "a", Level::kDay, d), Totals("c", "a", Level::kDay, d.AddDays(1)));
  EXPECT_LT(Totals("c", "a", Level::kDay, d.AddDays(10)), Totals("c", "b", Level::kDay, d));
  EXPECT_LT(Totals("c", "zz", Level::kDay, d), Totals("c", "a", Level::kDay, d.AddDays(20)));
  const std::string prefix = TotalsPrefix("c", "a", Level::kDay, d.FirstOfMonth());
  EXPECT_EQ(day.rfind(prefix, 0), 0u);
  EXPECT_NE(Totals("c", "ab", Level::kDay, d).rfind(prefix, 0), 0u);
  EXPECT_EQ(TotalsPeriod(Level::kMonth, d), d.FirstOfYear());
}

TEST(Keys, PrefixEndBoundsThePrefix) {
  std::string p = SuspensePrefix("c", "src", "ref");
  std::string end = PrefixEnd(p);
  EXPECT_LT(SuspenseTxn("c", "src", "ref", ~0ull), end);
  EXPECT_GE(SuspensePrefix("c", "src", "ref0"), end);
  EXPECT_EQ(PrefixEnd(std::string("a\xff\xff", 3)), "b");
}

TEST(Keys, TotalsAndMarkKeysDecodeToWhatMadeThem) {
  const Date day = *Date::FromYmd(2026, 3, 14);
  for (Level level : {Level::kYear, Level::kMonth, Level::kDay}) {
    const Date bucket = level == Level::kYear    ? day.FirstOfYear()
                        : level == Level::kMonth ? day.FirstOfMonth()
                                                 : day;
    std::optional<TotalsKeyParts> t =
        DecodeTotals(Totals("wilts", "A-1.x", level, bucket), "wilts");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->level, level);
    EXPECT_EQ(t->account, "A-1.x");
    EXPECT_EQ(t->bucket, bucket);
    EXPECT_EQ(t->period, TotalsPeriod(level, bucket));
    EXPECT_FALSE(DecodeTotals(Totals("wilts", "A1", level, bucket), "wilt").has_value());
  }
  // A day row whose bucket lies outside its period is not a totals key.
  std::string bad = TotalsPrefix("wilts", "A1", Level::kDay, day.FirstOfMonth());
  AppendDate(&bad, day.AddDays(40));
  EXPECT_FALSE(DecodeTotals(bad, "wilts").has_value());

  std::optional<MarkKeyParts> m = DecodeMark(Mark("wilts", "A1", kMarkWatched, day, 77), "wilts");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->account, "A1");
  EXPECT_EQ(m->kind, kMarkWatched);
  EXPECT_EQ(m->date, day);
  EXPECT_EQ(m->seq, 77u);
  EXPECT_FALSE(DecodeMark(Mark("wilts", "A1", kMarkWatched, day, 77), "dorset").has_value());
  EXPECT_FALSE(DecodeMark("wilts", "wilts").has_value());

  std::optional<StatementKeyParts> st = DecodeStatement(Statement("wilts", "A1", day), "wilts");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->account, "A1");
  EXPECT_EQ(st->date, day);
  EXPECT_FALSE(DecodeStatement(Statement("wilts", "A1", day), "dorset").has_value());
  std::optional<SuspenseKeyParts> su =
      DecodeSuspense(SuspenseTxn("wilts", "card", "R-1", 9), "wilts");
  ASSERT_TRUE(su.has_value());
  EXPECT_EQ(su->source, "card");
  EXPECT_EQ(su->ref, "R-1");
  EXPECT_EQ(su->kind, 'T');
  EXPECT_EQ(DecodeSuspense(SuspenseStatement("wilts", "card", "R-1", day), "wilts")->kind, 'S');
  EXPECT_FALSE(DecodeSuspense(SuspensePrefix("wilts", "card", "R-1"), "wilts").has_value());
  EXPECT_EQ(DecodeFlagAccount(Flag("wilts", "A1", "SURPLUS", "", 1), "wilts"), "A1");
  EXPECT_FALSE(DecodeFlagAccount(Flag("wilts", "A1", "SURPLUS", "", 1), "dorset").has_value());
}

TEST(Keys, FlagIndexKeysDecodeToWhatMadeThem) {
  for (int days : {0, 255, 256, 20453, -5}) {
    const Date d = Date::FromDays(days);
    for (const std::string& subject :
         {std::string(), std::string("card:t3"), std::string("a\0b", 3)}) {
      const std::string tail = keys::FlagIndexTail(2, d, "A1", "SURPLUS", subject, 7);
      for (char group : {'A', 'R', 'X'}) {
        for (const std::string& key : {keys::FlagByGroupPrefix("wilts", group) + tail,
                                       keys::FlagByKindPrefix("wilts", "SURPLUS", group) + tail}) {
          std::optional<keys::FlagIndexKeyParts> p = keys::DecodeFlagIndex(key, "wilts");
          ASSERT_TRUE(p) << days;
          EXPECT_EQ(p->group, group);
          EXPECT_EQ(p->severity_rank, 1);  // WARNING
          EXPECT_EQ(p->raised_on, d);
          EXPECT_EQ(p->account, "A1");
          EXPECT_EQ(p->kind, "SURPLUS");
          EXPECT_EQ(p->subject, subject);
          EXPECT_EQ(p->occurrence, 7u);
          EXPECT_FALSE(keys::DecodeFlagIndex(key, "wilt"));
          // Every cut of the key is refused or reads as another flag.
          for (size_t n = 0; n < key.size(); ++n) {
            std::optional<keys::FlagIndexKeyParts> cut =
                keys::DecodeFlagIndex(key.substr(0, n), "wilts");
            EXPECT_TRUE(!cut || cut->occurrence != 7u || cut->account != "A1") << n;
          }
        }
      }
    }
  }
  // A by-kind entry whose tail names another kind.
  EXPECT_FALSE(
      keys::DecodeFlagIndex(keys::FlagByKindPrefix("wilts", "DEFICIT", 'A') +
                                keys::FlagIndexTail(2, Date::FromDays(1), "A1", "SURPLUS", "", 1),
                            "wilts"));
  EXPECT_FALSE(keys::DecodeFlagIndex(keys::FlagCounts("wilts"), "wilts"));
  EXPECT_FALSE(keys::DecodeFlagIndex(keys::CouncilEvaluation("wilts"), "wilts"));
}

}  // namespace
}  // namespace dpmon::keys
