// Totals as storage keeps them: a record round-trips, and a record that
// breaks an invariant (wrong shape, a negative count) is refused on read.
#include "storage/totals_record.h"

#include <climits>
#include <random>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
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

// A stored row's bytes decode to what the protobuf parser makes of them,
// whatever the values (zero, negative, the extremes), and the invariants
// hold on this path too.
TEST(TotalsRecord, DecodingARowsBytesMatchesTheProtobufParser) {
  std::mt19937_64 rng(20261201);
  const int64_t extremes[] = {0, 1, -1, 127, 128, -128, INT64_MAX, INT64_MIN, 1LL << 35};
  for (int round = 0; round < 500; ++round) {
    domain::Totals t;
    for (int i = 0; i < domain::kSlotCount; ++i) {
      if (rng() % 3 == 0) continue;
      t.net_pence[i] =
          rng() % 4 == 0 ? extremes[rng() % 9] : static_cast<int64_t>(rng()) >> (rng() % 64);
      t.count[i] = static_cast<int64_t>(rng() % 100000);
    }
    storage::TotalsRecord record;
    TotalsToRecord(t, &record);
    const std::string bytes = record.SerializeAsString();
    domain::Totals fast;
    ASSERT_TRUE(DecodeTotalsRow(bytes, &fast).ok());
    domain::Totals parsed;
    ASSERT_TRUE(TotalsFromRecord(record, &parsed).ok());
    EXPECT_EQ(fast.net_pence, parsed.net_pence);
    EXPECT_EQ(fast.count, parsed.count);
    EXPECT_EQ(fast.net_pence, t.net_pence);
    // Every shorter prefix of the bytes is refused, never half-read.
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 7) {
      domain::Totals out;
      EXPECT_EQ(DecodeTotalsRow(bytes.substr(0, cut), &out).code(), absl::StatusCode::kDataLoss)
          << "cut at " << cut;
    }
  }
}

TEST(TotalsRecord, DecodingARowRefusesWhatTheRecordRefuses) {
  domain::Totals t;
  ASSERT_TRUE(t.AddTransaction(4, -900, 3).ok());
  storage::TotalsRecord record;
  TotalsToRecord(t, &record);
  record.set_slot_count(4, -3);
  domain::Totals out;
  EXPECT_EQ(DecodeTotalsRow(record.SerializeAsString(), &out).code(), absl::StatusCode::kDataLoss);
  record.set_slot_count(4, 3);
  record.add_slot_net_pence(5);  // 22 slots
  EXPECT_EQ(DecodeTotalsRow(record.SerializeAsString(), &out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTotalsRow("not a record", &out).code(), absl::StatusCode::kDataLoss);
}

// The same record written unpacked, or with its fields the other way
// round, is still read (by the protobuf parser): what counts is the record.
TEST(TotalsRecord, DecodingARowReadsOtherEncodingsOfTheSameRecord) {
  domain::Totals t;
  ASSERT_TRUE(t.AddTransaction(2, -1234, 2).ok());
  ASSERT_TRUE(t.AddTransaction(domain::kUncategorisedCreditSlot, 500, 1).ok());
  std::string unpacked, reversed;
  for (int i = 0; i < domain::kSlotCount; ++i) {
    google::protobuf::io::StringOutputStream out(&unpacked);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.WriteTag(1 << 3);  // field 1, varint
    coded.WriteVarint64(static_cast<uint64_t>(t.net_pence[i]));
    coded.WriteTag(2 << 3);
    coded.WriteVarint64(static_cast<uint64_t>(t.count[i]));
  }
  storage::TotalsRecord counts_only, nets_only;
  TotalsToRecord(t, &counts_only);
  nets_only = counts_only;
  counts_only.clear_slot_net_pence();
  nets_only.clear_slot_count();
  reversed = counts_only.SerializeAsString() + nets_only.SerializeAsString();
  for (const std::string& bytes : {unpacked, reversed}) {
    domain::Totals out;
    ASSERT_TRUE(DecodeTotalsRow(bytes, &out).ok());
    EXPECT_EQ(out.net_pence, t.net_pence);
    EXPECT_EQ(out.count, t.count);
  }
}

}  // namespace
}  // namespace dpmon
