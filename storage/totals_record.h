// domain::Totals as storage keeps them: one TotalsRecord per account and
// year, month or day; and the sums of those rows over a range of dates.
//
// Thread-safety: pure functions.
#ifndef DPMON_STORAGE_TOTALS_RECORD_H_
#define DPMON_STORAGE_TOTALS_RECORD_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/civil_date.h"
#include "domain/totals.h"
#include "dpmon/v1/storage.pb.h"
#include "rocksdb/iterator.h"
#include "storage/keys.h"

namespace dpmon {

// Writes the non-zero slots only (TotalsRecord.slots). A row of zeros is
// never stored (it is deleted), and is refused on read.
void TotalsToRecord(const domain::Totals& totals, storage::TotalsRecord* record);
// Either form of the record (the slots, or every slot as schemas up to 6
// wrote it). DataLoss if it has the wrong shape or a negative count.
absl::Status TotalsFromRecord(const storage::TotalsRecord& record, domain::Totals* out);
// The same from a stored row's bytes: decodes the two packed fields straight
// into *out (every balance and evaluation reads dozens of rows), and falls
// back to the protobuf parser for any other encoding of the same record.
// DataLoss as TotalsFromRecord, or if the bytes are not a record.
absl::Status DecodeTotalsRow(absl::string_view bytes, domain::Totals* out);

// The iterator over `totals` to read one region of rows with (a level and
// a period: keys.h), so that a caller reading many accounts in key order
// can keep one iterator a region, each moving forwards.
using TotalsRegions = absl::FunctionRef<rocksdb::Iterator*(keys::Level level, Date period)>;

// Adds the totals rows of one level of an account with bucket dates in
// [from, to_exclusive) to *sum, using `it`, an iterator over `totals`; with
// `rows`, also keeps each row (in date order). One range per period.
absl::Status SumRows(rocksdb::Iterator* it, const std::string& council_id,
                     const std::string& account_id, keys::Level level, Date from, Date to_exclusive,
                     domain::Totals* sum,
                     std::vector<std::pair<Date, domain::Totals>>* rows = nullptr);
// The same, each period read with regions(level, period).
absl::Status SumRows(TotalsRegions regions, const std::string& council_id,
                     const std::string& account_id, keys::Level level, Date from, Date to_exclusive,
                     domain::Totals* sum,
                     std::vector<std::pair<Date, domain::Totals>>* rows = nullptr);

// Sums the totals rows of an account through `through` with `it`, an
// iterator over `totals`: whole years before its year, whole months of its
// year before its month, and the days of its month up to and including it
// (each of the last two read as the enclosing row less what follows when
// that is fewer rows).
absl::Status SumThroughWith(rocksdb::Iterator* it, const std::string& council_id,
                            const std::string& account_id, Date through, domain::Totals* out);
// The same, each region read with `regions`; with `years` (the account's
// year rows in date order, every one before `through`'s next year), the year
// rows are taken from there instead of read again.
absl::Status SumThroughWith(TotalsRegions regions, const std::string& council_id,
                            const std::string& account_id, Date through, domain::Totals* out,
                            const std::vector<std::pair<Date, domain::Totals>>* years = nullptr);

}  // namespace dpmon

#endif  // DPMON_STORAGE_TOTALS_RECORD_H_
