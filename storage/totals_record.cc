#include "storage/totals_record.h"

#include <algorithm>
#include <array>
#include <climits>
#include <optional>

#include "storage/db.h"

namespace dpmon {

using domain::kSlotCount;

namespace {

// One varint at *pos of [*pos, end); false if it runs past the end or past
// ten bytes.
bool ReadVarint(const uint8_t** pos, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
    const uint8_t b = *(*pos)++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

// TotalsRecord.slots into *out (zeros elsewhere). False for anything
// TotalsToRecord does not write: a slot out of range or out of order, an
// entry of zeros, a varint cut short.
bool DecodeSlots(const uint8_t* pos, const uint8_t* end, domain::Totals* out) {
  *out = domain::Totals();
  int next = 0;
  while (pos < end) {
    const int slot = *pos++;
    if (slot < next || slot >= kSlotCount) return false;
    uint64_t net, count;
    if (!ReadVarint(&pos, end, &net) || !ReadVarint(&pos, end, &count)) return false;
    if (net == 0 && count == 0) return false;
    out->net_pence[slot] = UnZigZag(net);
    out->count[slot] = static_cast<int64_t>(count);  // above INT64_MAX: negative, refused
    next = slot + 1;
  }
  return true;
}

bool DecodeSlots(absl::string_view bytes, domain::Totals* out) {
  const uint8_t* pos = reinterpret_cast<const uint8_t*>(bytes.data());
  return DecodeSlots(pos, pos + bytes.size(), out);
}

}  // namespace

void TotalsToRecord(const domain::Totals& totals, storage::TotalsRecord* record) {
  record->Clear();
  std::string* slots = record->mutable_slots();
  for (int i = 0; i < kSlotCount; ++i) {
    if (totals.net_pence[i] == 0 && totals.count[i] == 0) continue;
    slots->push_back(static_cast<char>(i));
    AppendVarint(ZigZag(totals.net_pence[i]), slots);
    AppendVarint(static_cast<uint64_t>(totals.count[i]), slots);
  }
}

absl::Status TotalsFromRecord(const storage::TotalsRecord& record, domain::Totals* out) {
  if (!record.slots().empty()) {
    if (record.slot_net_pence_size() != 0 || record.slot_count_size() != 0) {
      return absl::DataLossError("totals record holds its slots twice");
    }
    if (!DecodeSlots(record.slots(), out)) {
      return absl::DataLossError("totals record has unreadable slots");
    }
  } else {
    // As schemas up to 6 wrote it: every slot.
    if (record.slot_net_pence_size() != kSlotCount || record.slot_count_size() != kSlotCount) {
      return absl::DataLossError("totals record has the wrong number of slots");
    }
    for (int i = 0; i < kSlotCount; ++i) {
      out->net_pence[i] = record.slot_net_pence(i);
      out->count[i] = record.slot_count(i);
    }
  }
  // Invariant: a count never goes negative. One that has was corrupted.
  if (out->HasNegativeCount()) return absl::DataLossError("totals record has a negative count");
  return absl::OkStatus();
}

namespace {

// Exactly kSlotCount varints filling [pos, pos + len).
bool ReadPackedSlots(const uint8_t** pos, const uint8_t* end,
                     std::array<int64_t, kSlotCount>* out) {
  uint64_t len;
  if (!ReadVarint(pos, end, &len) || len > static_cast<uint64_t>(end - *pos)) return false;
  const uint8_t* field_end = *pos + len;
  for (int i = 0; i < kSlotCount; ++i) {
    uint64_t v;
    if (!ReadVarint(pos, field_end, &v)) return false;
    (*out)[i] = static_cast<int64_t>(v);
  }
  return *pos == field_end;
}

// The record as TotalsToRecord writes it (field 3 alone), or as schemas up
// to 6 wrote it (field 1 then field 2, each packed with every slot). False
// for anything else (left to the protobuf parser).
bool DecodeAsWritten(absl::string_view bytes, domain::Totals* out) {
  const uint8_t* pos = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = pos + bytes.size();
  constexpr uint8_t kNetTag = (1 << 3) | 2, kCountTag = (2 << 3) | 2,
                    kSlotsTag = (3 << 3) | 2;  // length-delimited
  if (pos != end && *pos == kSlotsTag) {
    ++pos;
    uint64_t len;
    if (!ReadVarint(&pos, end, &len) || len != static_cast<uint64_t>(end - pos) || len == 0) {
      return false;
    }
    return DecodeSlots(pos, end, out);
  }
  if (pos == end || *pos++ != kNetTag || !ReadPackedSlots(&pos, end, &out->net_pence)) {
    return false;
  }
  if (pos == end || *pos++ != kCountTag || !ReadPackedSlots(&pos, end, &out->count)) return false;
  return pos == end;
}
}  // namespace

absl::Status DecodeTotalsRow(absl::string_view bytes, domain::Totals* out) {
  domain::Totals row;
  if (DecodeAsWritten(bytes, &row)) {
    if (row.HasNegativeCount()) return absl::DataLossError("totals record has a negative count");
    *out = row;
    return absl::OkStatus();
  }
  storage::TotalsRecord record;
  if (absl::Status s = ParseRecord(bytes, &record, "totals"); !s.ok()) return s;
  return TotalsFromRecord(record, out);
}

absl::Status SumRows(rocksdb::Iterator* it, const std::string& council_id,
                     const std::string& account_id, keys::Level level, Date from, Date to_exclusive,
                     domain::Totals* sum, std::vector<std::pair<Date, domain::Totals>>* rows) {
  return SumRows([it](keys::Level, Date) { return it; }, council_id, account_id, level, from,
                 to_exclusive, sum, rows);
}

absl::Status SumRows(TotalsRegions regions, const std::string& council_id,
                     const std::string& account_id, keys::Level level, Date from, Date to_exclusive,
                     domain::Totals* sum, std::vector<std::pair<Date, domain::Totals>>* rows) {
  if (!(from < to_exclusive)) return absl::OkStatus();
  const bool years = level == keys::Level::kYear;  // one period holds every year
  for (Date period = keys::TotalsPeriod(level, from); years || period < to_exclusive;) {
    rocksdb::Iterator* it = regions(level, period);
    const std::string prefix = keys::TotalsPrefix(council_id, account_id, level, period);
    const Date start = years ? from : std::max(from, period);
    for (it->Seek(keys::Totals(council_id, account_id, level, start));
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::optional<Date> d = keys::DecodeDate(View(it->key()).substr(prefix.size()));
      if (!d) return absl::DataLossError("unreadable totals key");
      if (!(*d < to_exclusive)) break;
      domain::Totals row;
      if (absl::Status s = DecodeTotalsRow(View(it->value()), &row); !s.ok()) return s;
      if (absl::Status s = sum->Add(row); !s.ok()) return s;
      if (rows != nullptr) rows->emplace_back(*d, row);
    }
    if (absl::Status s = FromRocks(it->status(), "reading totals"); !s.ok()) return s;
    switch (level) {
      case keys::Level::kDay:
        period = AddMonths(period, 1);
        break;
      case keys::Level::kMonth:
        period = AddMonths(period, 12);
        break;
      default:
        return absl::OkStatus();  // one period
    }
  }
  return absl::OkStatus();
}

// Through `through`: the years before its year, the months of its year
// before its month, and the days of its month up to it. A month row holds
// its days and a year row its months, so each of the last two parts is read
// from whichever side has fewer rows: the months before, or the year's row
// less the months from this one on; the days up to `through`, or the
// month's row less the days after it. A date late in its month or year
// reads a handful of rows instead of up to 42.
absl::Status SumThroughWith(rocksdb::Iterator* it, const std::string& council_id,
                            const std::string& account_id, Date through, domain::Totals* out) {
  return SumThroughWith([it](keys::Level, Date) { return it; }, council_id, account_id, through,
                        out);
}

absl::Status SumThroughWith(TotalsRegions regions, const std::string& council_id,
                            const std::string& account_id, Date through, domain::Totals* out,
                            const std::vector<std::pair<Date, domain::Totals>>* years) {
  const Date year = through.FirstOfYear(), next_year = AddMonths(year, 12);
  const Date month = through.FirstOfMonth(), next_month = AddMonths(month, 1);
  const Date after = through.AddDays(1);
  const bool months_from_year = 12 - through.month() < through.month() - 1;
  const bool days_from_month = next_month - after < after - month;
  domain::Totals sum, less;
  auto add = [&](keys::Level level, Date from, Date to) {
    return SumRows(regions, council_id, account_id, level, from, to, &sum);
  };
  auto subtract = [&](keys::Level level, Date from, Date to) {
    return SumRows(regions, council_id, account_id, level, from, to, &less);
  };
  const Date years_to = months_from_year ? next_year : year;
  absl::Status s;
  if (years == nullptr) {
    s = add(keys::Level::kYear, Date::FromDays(INT32_MIN / 2), years_to);
  } else {
    for (const auto& [y, row] : *years) {
      if (!(y < years_to) || !s.ok()) break;
      s = sum.Add(row);
    }
  }
  if (s.ok()) {
    if (!months_from_year) {
      s = add(keys::Level::kMonth, year, month);
    } else if (days_from_month) {
      // The year's row less the months after this one (this month's row
      // then stands for its days, less those after `through`).
      s = subtract(keys::Level::kMonth, next_month, next_year);
    } else {
      s = subtract(keys::Level::kMonth, month, next_year);
    }
  }
  if (s.ok()) {
    if (!days_from_month) {
      s = add(keys::Level::kDay, month, after);
    } else {
      if (!months_from_year) s = add(keys::Level::kMonth, month, next_month);
      if (s.ok()) s = subtract(keys::Level::kDay, after, next_month);
    }
  }
  if (s.ok()) s = sum.Subtract(less);
  if (!s.ok()) return s;
  *out = sum;
  return absl::OkStatus();
}

}  // namespace dpmon
