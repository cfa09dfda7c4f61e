// How the ledger's records are written: a transaction record's bytes
// around its input's, the watch mark of a debit rules 8 and 9 watch, the
// totals slot a record counts in, and the field an error names. Not for use
// outside storage/.
#ifndef DPMON_STORAGE_LEDGER_RECORDS_H_
#define DPMON_STORAGE_LEDGER_RECORDS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/field_error.h"
#include "common/fingerprint.h"
#include "common/names.h"
#include "domain/ledger_facts.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "dpmon/v1/storage.pb.h"
#include "storage/proto_domain.h"

namespace dpmon {

// How deep a chain of reversals of reversals is followed when relinking.
inline constexpr int kReversalChainDepthMax = 8;

// A quick filter only: a matching fingerprint is always confirmed by
// comparing the stored content byte for byte.
inline uint64_t Fingerprint(absl::string_view bytes) { return Fingerprint64(bytes); }

// Whether rules 8 and 9 watch a stored transaction (domain::IsWatchedDebit).
inline bool IsWatched(const domain::Policy& policy, const storage::TransactionRecord& rec) {
  const v1::TransactionInput& in = rec.input();
  return domain::IsWatchedDebit(policy, in.has_reverses(), ToDomain(rec.direction()),
                                ToDomain(rec.effective_category()),
                                in.has_mcc() ? &in.mcc() : nullptr);
}

// The totals slot a stored transaction counts in.
inline int SlotOfRecord(const storage::TransactionRecord& rec) {
  return domain::SlotOf(ToDomain(rec.effective_category()), ToDomain(rec.direction()));
}

// The direction a transaction of `category` counts in when nothing links it.
inline v1::Direction DirectionOf(v1::Category category, int64_t amount_pence) {
  return ToProto(domain::DirectionOf(ToDomain(category), amount_pence));
}

// rec->SerializeAsString(), given its input's bytes: protobuf writes fields
// in number order, so the input (field 1) comes first, then the rest.
inline std::string TransactionRecordBytes(storage::TransactionRecord* rec,
                                          absl::string_view input_bytes) {
  v1::TransactionInput* input = rec->release_input();
  std::string rest = rec->SerializeAsString();
  rec->set_allocated_input(input);
  std::string out;
  out.reserve(input_bytes.size() + rest.size() + 6);
  out.push_back('\x0a');  // field 1, length-delimited
  for (uint64_t n = input_bytes.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  }
  out.append(input_bytes.data(), input_bytes.size());
  out.append(rest);
  return out;
}

inline storage::WatchRecord WatchOf(const storage::TransactionRecord& rec) {
  storage::WatchRecord w;
  w.set_source(rec.input().source());
  w.set_external_id(rec.input().external_id());
  w.set_amount_pence(rec.input().amount_pence());
  w.set_mcc(rec.input().has_mcc() ? rec.input().mcc() : "");
  w.set_category(rec.effective_category());
  return w;
}

}  // namespace dpmon

#endif  // DPMON_STORAGE_LEDGER_RECORDS_H_
