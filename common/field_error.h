// The field-error convention, one for every layer: a status that names the
// field it is about carries that field's path (e.g. "items[3].transaction
// .amount_pence") as a payload under kFieldPayload. server/status_util turns
// it into a google.rpc.BadRequest violation (gRPC) and the same JSON body
// over HTTP; a batch puts it in the item's result.
//
// Thread-safety: pure functions.
#ifndef DPMON_COMMON_FIELD_ERROR_H_
#define DPMON_COMMON_FIELD_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dpmon {

// Status payload key under which the offending field's path is kept.
inline constexpr char kFieldPayload[] = "dpmon.field";

// InvalidArgument "FIELD: REASON", carrying FIELD.
absl::Status InvalidField(absl::string_view field, absl::string_view reason);
// Adds `field` to a status: keeps its code, prefixes its message with it.
absl::Status AtField(const absl::Status& status, absl::string_view field);
// Carries `field` on a status whose message already names it.
absl::Status WithField(absl::Status status, absl::string_view field);
// The field a status names, or "".
std::string FieldOf(const absl::Status& status);

}  // namespace dpmon

#endif  // DPMON_COMMON_FIELD_ERROR_H_
