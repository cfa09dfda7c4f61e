#include "server/status_util.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace dpmon {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  std::string field = FieldOf(status);
  if (field.empty() || status.code() != absl::StatusCode::kInvalidArgument) {
    return grpc::Status(code, message);
  }
  google::rpc::BadRequest bad_request;
  google::rpc::BadRequest::FieldViolation* v = bad_request.add_field_violations();
  v->set_field(field);
  v->set_description(message);
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(code));
  rpc_status.set_message(message);
  rpc_status.add_details()->PackFrom(bad_request);
  return grpc::Status(code, message, rpc_status.SerializeAsString());
}

}  // namespace dpmon
