// Totals as storage keeps them: a record round-trips, and a record that
// breaks an invariant (wrong shape, a negative count) is refused on read.
#include "storage/totals_record.h"

#include <climits>
#include <random>
#include <string>
#include <utility>
#include <vector>

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

// The record as schemas up to 6 wrote it: every slot, packed.
storage::TotalsRecord OldRecord(const domain::Totals& t) {
  storage::TotalsRecord record;
  for (int i = 0; i < domain::kSlotCount; ++i) {
    record.add_slot_net_pence(t.net_pence[i]);
    record.add_slot_count(t.count[i]);
  }
  return record;
}

std::string Varint(uint64_t v) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteVarint64(v);
  coded.Trim();
  return out;
}

// A record holding `slots` as its slots field.
std::string WithSlots(const std::string& slots) {
  storage::TotalsRecord record;
  record.set_slots(slots);
  return record.SerializeAsString();
}

TEST(TotalsRecord, WritesOnlyTheSlotsThatAreNotZero) {
  domain::Totals t;
  ASSERT_TRUE(t.AddTransaction(domain::SlotOf(domain::PA_WAGES, domain::DEBIT), -4250, 1).ok());
  storage::TotalsRecord record;
  TotalsToRecord(t, &record);
  EXPECT_EQ(record.slot_net_pence_size(), 0);
  EXPECT_EQ(record.slot_count_size(), 0);
  // Tag, length, slot, zigzag(-4250) = 8499 (two bytes), count 1.
  const std::string bytes = record.SerializeAsString();
  EXPECT_EQ(bytes.size(), 6u);
  EXPECT_EQ(record.slots(),
            std::string(1, static_cast<char>(domain::SlotOf(domain::PA_WAGES, domain::DEBIT))) +
                Varint(8499) + Varint(1));
  // Schema 6 wrote the same row in 55: 20 zeros, the debit in ten bytes
  // (a negative int64), 21 counts, two tags and lengths.
  EXPECT_EQ(OldRecord(t).SerializeAsString().size(), 55u);
}

TEST(TotalsRecord, ANegativeCountOrAWrongShapeIsDataLoss) {
  domain::Totals t;
  ASSERT_TRUE(t.AddTransaction(3, -700, 2).ok());
  domain::Totals out;
  // As schema 6 wrote it.
  storage::TotalsRecord record = OldRecord(t);
  record.set_slot_count(3, -1);
  EXPECT_EQ(TotalsFromRecord(record, &out).code(), absl::StatusCode::kDataLoss);
  record.set_slot_count(3, 0);
  EXPECT_TRUE(TotalsFromRecord(record, &out).ok());
  record.add_slot_count(0);
  EXPECT_EQ(TotalsFromRecord(record, &out).code(), absl::StatusCode::kDataLoss);
  // Nothing at all: a row of zeros is never stored.
  EXPECT_EQ(TotalsFromRecord(storage::TotalsRecord(), &out).code(), absl::StatusCode::kDataLoss);
  // Both forms at once.
  storage::TotalsRecord both = OldRecord(t);
  storage::TotalsRecord slots;
  TotalsToRecord(t, &slots);
  both.set_slots(slots.slots());
  EXPECT_EQ(TotalsFromRecord(both, &out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeTotalsRow(both.SerializeAsString(), &out).code(), absl::StatusCode::kDataLoss);
}

// Slots that TotalsToRecord never writes are refused, by the fast decoder
// and by the record's own: a slot past the last, out of order or twice, an
// entry of zeros, a negative count, a varint cut short.
TEST(TotalsRecord, MalformedSlotsAreDataLoss) {
  const std::string one = std::string(1, '\x02') + Varint(3) + Varint(1);  // slot 2: -2p, 1
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"slot 21", std::string(1, '\x15') + Varint(3) + Varint(1)},
      {"slot 255", std::string(1, '\xff') + Varint(3) + Varint(1)},
      {"out of order", std::string(1, '\x05') + Varint(3) + Varint(1) + one},
      {"twice", one + one},
      {"zeros", std::string(1, '\x02') + Varint(0) + Varint(0)},
      {"negative count", std::string(1, '\x02') + Varint(3) + Varint(uint64_t{1} << 63)},
      {"cut short", one.substr(0, 2)},
      {"no count", std::string(1, '\x02') + Varint(3)},
      {"unterminated varint", std::string(1, '\x02') + "\x80\x80"},
  };
  for (const auto& [what, slots] : bad) {
    domain::Totals out;
    EXPECT_EQ(DecodeTotalsRow(WithSlots(slots), &out).code(), absl::StatusCode::kDataLoss) << what;
    storage::TotalsRecord record;
    record.set_slots(slots);
    EXPECT_EQ(TotalsFromRecord(record, &out).code(), absl::StatusCode::kDataLoss) << what;
  }
  domain::Totals out;
  ASSERT_TRUE(DecodeTotalsRow(WithSlots(one), &out).ok());
  EXPECT_EQ(out.net_pence[2], -2);
  EXPECT_EQ(out.count[2], 1);
  EXPECT_EQ(DecodeTotalsRow("not a record", &out).code(), absl::StatusCode::kDataLoss);
}

// A stored row's bytes, in either form, decode to what the protobuf parser
// makes of them and to the totals written, whatever the values (zero,
// negative, the extremes); every shorter prefix of them is refused.
TEST(TotalsRecord, DecodingARowsBytesMatchesTheProtobufParser) {
  std::mt19937_64 rng(20261201);
  const int64_t extremes[] = {0,   1,   -1,   63,        64,        -64,      -65,
                              127, 128, -128, INT64_MAX, INT64_MIN, 1LL << 35};
  for (int round = 0; round < 1000; ++round) {
    domain::Totals t;
    for (int i = 0; i < domain::kSlotCount; ++i) {
      if (rng() % 3 == 0) continue;
      t.net_pence[i] =
          rng() % 4 == 0 ? extremes[rng() % 13] : static_cast<int64_t>(rng()) >> (rng() % 64);
      t.count[i] = rng() % 5 == 0 ? INT64_MAX : static_cast<int64_t>(rng() % 100000);
    }
    if (t.IsZero()) continue;
    storage::TotalsRecord written;
    TotalsToRecord(t, &written);
    for (const storage::TotalsRecord& record : {written, OldRecord(t)}) {
      const std::string bytes = record.SerializeAsString();
      domain::Totals fast;
      ASSERT_TRUE(DecodeTotalsRow(bytes, &fast).ok());
      domain::Totals parsed;
      ASSERT_TRUE(TotalsFromRecord(record, &parsed).ok());
      EXPECT_EQ(fast.net_pence, t.net_pence);
      EXPECT_EQ(fast.count, t.count);
      EXPECT_EQ(parsed.net_pence, t.net_pence);
      EXPECT_EQ(parsed.count, t.count);
      for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 7) {
        domain::Totals out;
        EXPECT_EQ(DecodeTotalsRow(bytes.substr(0, cut), &out).code(), absl::StatusCode::kDataLoss)
            << "cut at " << cut;
      }
    }
  }
}

// The old record written unpacked, or with its fields the other way round,
// is still read (by the protobuf parser): what counts is the record.
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
  storage::TotalsRecord counts_only = OldRecord(t), nets_only = OldRecord(t);
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
