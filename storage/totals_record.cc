#include "storage/totals_record.h"

namespace dpmon {

using domain::kSlotCount;

void TotalsToRecord(const domain::Totals& totals, storage::TotalsRecord* record) {
  record->Clear();
  record->mutable_slot_net_pence()->Reserve(kSlotCount);
  record->mutable_slot_count()->Reserve(kSlotCount);
  for (int i = 0; i < kSlotCount; ++i) {
    record->add_slot_net_pence(totals.net_pence[i]);
    record->add_slot_count(totals.count[i]);
  }
}

absl::Status TotalsFromRecord(const storage::TotalsRecord& record, domain::Totals* out) {
  if (record.slot_net_pence_size() != kSlotCount || record.slot_count_size() != kSlotCount) {
    return absl::DataLossError("totals record has the wrong number of slots");
  }
  for (int i = 0; i < kSlotCount; ++i) {
    out->net_pence[i] = record.slot_net_pence(i);
    out->count[i] = record.slot_count(i);
  }
  // Invariant: a count never goes negative. One that has was corrupted.
  if (out->HasNegativeCount()) return absl::DataLossError("totals record has a negative count");
  return absl::OkStatus();
}

}  // namespace dpmon
