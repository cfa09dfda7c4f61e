// Totals as storage keeps them: a record round-trips, and a record that
// breaks an invariant (wrong shape, a negative count) is refused on read.
#include "storage/totals_record.h"

#include "gtest/gtest.h"

namespace dpmon {
namespace {

TEST(TotalsRecord, RoundTrip) {
  domain::Totals t;
  ASSERT_TRUE(t.AddTransaction(domain::SlotOf(domain::PA_WAGES, domain::DEBIT), -1234, 2).ok());
  ASSERT_TRUE(t.AddTransaction(domain::kUncategorisedCreditSlot, 500, 1).ok());
  storage::TotalsRecord record;
  TotalsToRecord(t, &record);
  domain::Totals back;
  ASSERT_TRUE(TotalsFromRecord(record, &back).ok());
  EXPECT_EQ(back.net_pence, t.net_pence);
  EXPECT_EQ(back.count, t.count);
  EXPECT_EQ(back.count[domain::SlotOf(domain::PA_WAGES, domain::DEBIT)], 2);
}

TEST(TotalsRecord, ANegativeCountOrAWrongShapeIsDataLoss) {
  domain::Totals t;
  storage::TotalsRecord record;
  TotalsToRecord(t, &record);
  record.set_slot_count(3, -1);
  domain::Totals out;
  EXPECT_EQ(TotalsFromRecord(record, &out).code(), absl::StatusCode::kDataLoss);
  record.set_slot_count(3, 0);
  EXPECT_TRUE(TotalsFromRecord(record, &out).ok());
  record.add_slot_count(0);
  EXPECT_EQ(TotalsFromRecord(record, &out).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace dpmon
