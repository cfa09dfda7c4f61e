// The one place where absl::Status becomes grpc::Status.
//
// A status that names a field (common/field_error.h) becomes INVALID_ARGUMENT
// with a google.rpc.BadRequest detail holding that field and the reason, so
// clients can point at what to fix.
//
// Thread-safety: pure functions.
#ifndef DPMON_SERVER_STATUS_UTIL_H_
#define DPMON_SERVER_STATUS_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/field_error.h"
#include "grpcpp/support/status.h"

namespace dpmon {

grpc::Status ToGrpc(const absl::Status& status);

}  // namespace dpmon

#endif  // DPMON_SERVER_STATUS_UTIL_H_
