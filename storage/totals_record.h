// domain::Totals as storage keeps them: one TotalsRecord per account and
// year, month or day.
//
// Thread-safety: pure functions.
#ifndef DPMON_STORAGE_TOTALS_RECORD_H_
#define DPMON_STORAGE_TOTALS_RECORD_H_

#include "absl/status/status.h"
#include "domain/totals.h"
#include "dpmon/v1/storage.pb.h"

namespace dpmon {

void TotalsToRecord(const domain::Totals& totals, storage::TotalsRecord* record);
// DataLoss if the record has the wrong shape or a negative count.
absl::Status TotalsFromRecord(const storage::TotalsRecord& record, domain::Totals* out);

}  // namespace dpmon

#endif  // DPMON_STORAGE_TOTALS_RECORD_H_
