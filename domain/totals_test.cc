// Totals arithmetic: slots, directions, checked sums that leave the totals
// unchanged on overflow. Expected values worked out by hand.
#include "domain/totals.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace dpmon::domain {
namespace {

TEST(Totals, SlotsAndDirections) {
  EXPECT_EQ(SlotOf(PA_WAGES, DEBIT), 5);
  EXPECT_EQ(SlotOf(UNCATEGORISED, DEBIT), 19);
  EXPECT_EQ(SlotOf(UNCATEGORISED, CREDIT), kUncategorisedCreditSlot);
  EXPECT_EQ(SlotCategory(kUncategorisedCreditSlot), UNCATEGORISED);
  EXPECT_EQ(SlotDirection(kUncategorisedCreditSlot), CREDIT);
  EXPECT_EQ(SlotDirection(SlotOf(COUNCIL_PAYMENT, CREDIT)), CREDIT);
  EXPECT_EQ(SlotDirection(SlotOf(SURPLUS_RETURN, DEBIT)), DEBIT);
  EXPECT_EQ(DirectionOf(REFUND, -5), CREDIT);        // The category decides...
  EXPECT_EQ(DirectionOf(UNCATEGORISED, -5), DEBIT);  // ...or else the sign.
  EXPECT_EQ(DirectionOf(UNCATEGORISED, 5), CREDIT);
  EXPECT_TRUE(IsCreditCategory(OTHER_INCOME));
  EXPECT_FALSE(IsCreditCategory(PA_WAGES));
  EXPECT_TRUE(IsDebitCategory(OTHER));
  EXPECT_FALSE(IsDebitCategory(UNCATEGORISED));
}

TEST(Totals, ACategoryMustFitTheWayTheMoneyMoves) {
  EXPECT_EQ(MoneyDirection(-50'000, false), DEBIT);
  EXPECT_EQ(MoneyDirection(50'000, false), CREDIT);
  EXPECT_EQ(MoneyDirection(2'500, true), DEBIT);    // A refunded debit.
  EXPECT_EQ(MoneyDirection(-2'500, true), CREDIT);  // A clawed-back credit.
  EXPECT_TRUE(CategoryFits(PA_WAGES, DEBIT));
  EXPECT_FALSE(CategoryFits(COUNCIL_PAYMENT, DEBIT));
  EXPECT_FALSE(CategoryFits(PA_WAGES, CREDIT));
  EXPECT_TRUE(CategoryFits(OTHER_INCOME, CREDIT));
  EXPECT_TRUE(CategoryFits(UNCATEGORISED, CREDIT));
  EXPECT_TRUE(CategoryFits(UNCATEGORISED, DEBIT));
  EXPECT_FALSE(CategoryFits(CATEGORY_UNSPECIFIED, DEBIT));
}

TEST(Totals, SumsAndCounts) {
  Totals a;
  ASSERT_TRUE(a.AddTransaction(SlotOf(COUNCIL_PAYMENT, CREDIT), 50'000, 1).ok());
  ASSERT_TRUE(a.AddTransaction(SlotOf(PA_WAGES, DEBIT), -12'345, 1).ok());
  ASSERT_TRUE(a.AddTransaction(SlotOf(PA_WAGES, DEBIT), -655, 1).ok());
  int64_t net = 0;
  ASSERT_TRUE(a.NetPence(&net).ok());
  EXPECT_EQ(net, 50'000 - 12'345 - 655);
  EXPECT_EQ(a.TransactionCount(), 3);
  Totals b = a;
  ASSERT_TRUE(b.Add(a).ok());
  EXPECT_EQ(b.net_pence[SlotOf(PA_WAGES, DEBIT)], -26'000);
  ASSERT_TRUE(b.Subtract(a).ok());
  EXPECT_EQ(b.net_pence, a.net_pence);
  EXPECT_EQ(b.count, a.count);
  ASSERT_TRUE(b.Subtract(a).ok());
  EXPECT_TRUE(b.IsZero());
  EXPECT_FALSE(b.HasNegativeCount());
  ASSERT_TRUE(b.Subtract(a).ok());
  EXPECT_TRUE(b.HasNegativeCount());
}

TEST(Totals, OverflowIsOutOfRangeAndLeavesTheTotalsAsTheyWere) {
  Totals a;
  const int slot = SlotOf(REFUND, CREDIT);
  ASSERT_TRUE(a.AddTransaction(slot, std::numeric_limits<int64_t>::max(), 1).ok());
  Totals before = a;
  EXPECT_EQ(a.AddTransaction(slot, 1, 1).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(a.net_pence, before.net_pence);
  EXPECT_EQ(a.Add(before).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(a.net_pence, before.net_pence);
  EXPECT_EQ(a.count, before.count);
  ASSERT_TRUE(a.AddTransaction(SlotOf(OTHER_INCOME, CREDIT), 1, 1).ok());
  int64_t net = 0;
  EXPECT_EQ(a.NetPence(&net).code(), absl::StatusCode::kOutOfRange);
}

TEST(Totals, AnOverflowInAnySlotOrCountRefusesTheWholeSumOrDifference) {
  for (int slot = 0; slot < kSlotCount; ++slot) {
    Totals low, one;
    ASSERT_TRUE(low.AddTransaction(slot, std::numeric_limits<int64_t>::min() + 5, 1).ok());
    ASSERT_TRUE(one.AddTransaction(kUncategorisedCreditSlot, 7, 1).ok());
    ASSERT_TRUE(one.AddTransaction(slot, 6, 1).ok());
    const Totals before = low;
    absl::Status s = low.Subtract(one);
    EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << "slot " << slot;
    EXPECT_EQ(low.net_pence, before.net_pence) << "slot " << slot;
    EXPECT_EQ(low.count, before.count) << "slot " << slot;
    // The count overflows, not the amount.
    Totals many;
    many.count[slot] = std::numeric_limits<int64_t>::max();
    const Totals kept = many;
    EXPECT_EQ(many.Add(one).code(), absl::StatusCode::kOutOfRange) << "slot " << slot;
    EXPECT_EQ(many.count, kept.count) << "slot " << slot;
    // Without overflow every slot is summed.
    Totals sum = one;
    ASSERT_TRUE(sum.Add(one).ok());
    EXPECT_EQ(sum.net_pence[slot], slot == kUncategorisedCreditSlot ? 26 : 12);
    EXPECT_EQ(sum.count[kUncategorisedCreditSlot], slot == kUncategorisedCreditSlot ? 4 : 2);
  }
}

}  // namespace
}  // namespace dpmon::domain
