// Helpers shared by the gRPC service implementations.
#ifndef DPMON_SERVER_SERVICE_UTIL_H_
#define DPMON_SERVER_SERVICE_UTIL_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "server/access_log.h"
#include "server/auth.h"
#include "server/executor.h"
#include "server/services.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/store.h"

namespace dpmon {

// Records one finished call in the access log.
void LogCall(const ServiceContext& ctx, const grpc::ServerContextBase& context,
             absl::string_view method, const Principal* caller, const Target& target,
             const absl::Status& status, absl::Time start);

// The shape of every unary handler: on the executor, find the caller (the
// key AuthProcessor let through, re-checked so that a key revoked since is
// refused), check that it holds the council the request names (NOT_FOUND
// otherwise), run `work`, record the call in the access log, finish.
template <typename Req>
grpc::ServerUnaryReactor* Serve(const ServiceContext& ctx, grpc::CallbackServerContext* context,
                                const char* method, const Req* request,
                                std::function<absl::Status(const Principal&)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  ctx.executor->Submit([&ctx, context, method, reactor, request, work = std::move(work), start] {
    const Target target = TargetOf(*request);
    absl::StatusOr<std::shared_ptr<const Principal>> caller = CallerOf(*ctx.keys, *context);
    absl::Status s = caller.status();
    if (s.ok()) s = Authorize(**caller, target.council);
    if (s.ok()) s = work(**caller);
    LogCall(ctx, *context, method, caller.ok() ? caller->get() : nullptr, target, s, start);
    reactor->Finish(ToGrpc(s));
  });
  return reactor;
}

// A date field, or today (Europe/London) when it is empty.
inline absl::StatusOr<Date> AsOfOrToday(const ServiceContext& ctx, const std::string& text,
                                        absl::string_view field) {
  if (text.empty()) return ctx.today();
  return ParseDateField(text, field);
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
