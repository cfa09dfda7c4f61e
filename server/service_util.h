// Helpers shared by the gRPC service implementations.
#ifndef DPMON_SERVER_SERVICE_UTIL_H_
#define DPMON_SERVER_SERVICE_UTIL_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "server/executor.h"
#include "server/status_util.h"
#include "storage/store.h"

namespace dpmon {

// Runs `work` on the executor and finishes the call with its status.
inline grpc::ServerUnaryReactor* RunOn(Executor* executor, grpc::CallbackServerContext* context,
                                       std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  executor->Submit([reactor, work = std::move(work)] { reactor->Finish(ToGrpc(work())); });
  return reactor;
}

// The request without its request_id: what a retry must repeat exactly.
template <typename Req>
RequestKey KeyFor(absl::string_view method, const Req& request) {
  Req copy = request;
  copy.clear_request_id();
  return RequestKey{std::string(method), request.request_id(), copy.SerializeAsString()};
}

}  // namespace dpmon

#endif  // DPMON_SERVER_SERVICE_UTIL_H_
