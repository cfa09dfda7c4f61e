#include "storage/totals.h"

#include "common/money.h"

namespace dpmon {

bool IsCreditCategory(v1::Category c) { return c >= v1::COUNCIL_PAYMENT && c <= v1::OTHER_INCOME; }

bool IsDebitCategory(v1::Category c) { return c >= v1::PA_WAGES && c <= v1::OTHER; }

v1::Direction DirectionOf(v1::Category category, int64_t amount_pence) {
  if (IsCreditCategory(category)) return v1::CREDIT;
  if (IsDebitCategory(category)) return v1::DEBIT;
  return amount_pence > 0 ? v1::CREDIT : v1::DEBIT;
}

int SlotOf(v1::Category category, v1::Direction direction) {
  if (category == v1::UNCATEGORISED && direction == v1::CREDIT) return kUncategorisedCreditSlot;
  return static_cast<int>(category);
}

v1::Category SlotCategory(int slot) {
  return slot == kUncategorisedCreditSlot ? v1::UNCATEGORISED : static_cast<v1::Category>(slot);
}

v1::Direction SlotDirection(int slot) {
  v1::Category c = SlotCategory(slot);
  if (slot == kUncategorisedCreditSlot || IsCreditCategory(c)) return v1::CREDIT;
  return v1::DEBIT;
}

absl::Status Totals::Add(const Totals& other) {
  Totals result = *this;
  for (int i = 0; i < kSlotCount; ++i) {
    absl::StatusOr<int64_t> n = AddPence(net_pence[i], other.net_pence[i]);
    absl::StatusOr<int64_t> c = AddPence(count[i], other.count[i]);
    if (!n.ok()) return n.status();
    if (!c.ok()) return c.status();
    result.net_pence[i] = *n;
    result.count[i] = *c;
  }
  *this = result;
  return absl::OkStatus();
}

absl::Status Totals::Subtract(const Totals& other) {
  Totals result = *this;
  for (int i = 0; i < kSlotCount; ++i) {
    absl::StatusOr<int64_t> n = SubPence(net_pence[i], other.net_pence[i]);
    absl::StatusOr<int64_t> c = SubPence(count[i], other.count[i]);
    if (!n.ok()) return n.status();
    if (!c.ok()) return c.status();
    result.net_pence[i] = *n;
    result.count[i] = *c;
  }
  *this = result;
  return absl::OkStatus();
}

absl::Status Totals::AddTransaction(int slot, int64_t amount_pence, int64_t count_delta) {
  absl::StatusOr<int64_t> n = AddPence(net_pence[slot], amount_pence);
  if (!n.ok()) return n.status();
  absl::StatusOr<int64_t> c = AddPence(count[slot], count_delta);
  if (!c.ok()) return c.status();
  net_pence[slot] = *n;
  count[slot] = *c;
  return absl::OkStatus();
}

bool Totals::IsZero() const {
  for (int i = 0; i < kSlotCount; ++i) {
    if (net_pence[i] != 0 || count[i] != 0) return false;
  }
  return true;
}

absl::Status Totals::NetPence(int64_t* out) const {
  int64_t sum = 0;
  for (int64_t v : net_pence) {
    absl::StatusOr<int64_t> s = AddPence(sum, v);
    if (!s.ok()) return s.status();
    sum = *s;
  }
  *out = sum;
  return absl::OkStatus();
}

int64_t Totals::TransactionCount() const {
  int64_t sum = 0;
  for (int64_t v : count) sum += v;  // Counts are bounded by the number of stored records.
  return sum;
}

void Totals::ToRecord(storage::TotalsRecord* record) const {
  record->Clear();
  record->mutable_slot_net_pence()->Reserve(kSlotCount);
  record->mutable_slot_count()->Reserve(kSlotCount);
  for (int i = 0; i < kSlotCount; ++i) {
    record->add_slot_net_pence(net_pence[i]);
    record->add_slot_count(count[i]);
  }
}

absl::Status Totals::FromRecord(const storage::TotalsRecord& record, Totals* out) {
  if (record.slot_net_pence_size() != kSlotCount || record.slot_count_size() != kSlotCount) {
    return absl::DataLossError("totals record has the wrong number of slots");
  }
  for (int i = 0; i < kSlotCount; ++i) {
    out->net_pence[i] = record.slot_net_pence(i);
    out->count[i] = record.slot_count(i);
  }
  return absl::OkStatus();
}

}  // namespace dpmon
