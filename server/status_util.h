// The one place where absl::Status becomes grpc::Status.
//
// A status that names a field (see InvalidField) becomes INVALID_ARGUMENT
// with a google.rpc.BadRequest detail holding that field and the reason, so
// clients can point at what to fix.
//
// Thread-safety: pure functions.
#ifndef DPMON_SERVER_STATUS_UTIL_H_
#define DPMON_SERVER_STATUS_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace dpmon {

// Status payload key under which the offending field's path is kept.
inline constexpr char kFieldPayload[] = "dpmon.field";

// InvalidArgument "FIELD: REASON", carrying FIELD for BadRequest.
absl::Status InvalidField(absl::string_view field, absl::string_view reason);
// Adds `field` to a status (keeps its code and message, prefixes the field).
absl::Status AtField(const absl::Status& status, absl::string_view field);
// The field a status names, or "".
std::string FieldOf(const absl::Status& status);

grpc::Status ToGrpc(const absl::Status& status);

}  // namespace dpmon

#endif  // DPMON_SERVER_STATUS_UTIL_H_
