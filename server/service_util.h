// Helpers shared by the gRPC service implementations.
#ifndef DPMON_SERVER_SERVICE_UTIL_H_
#define DPMON_SERVER_SERVICE_UTIL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "server/access_log.h"
#include "server/auth.h"
#include "server/executor.h"
#include "server/request_reader.h"
#include "server/service_context.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/store.h"

namespace dpmon {

// An RPC as its handler names it, once: `name` is the handler's own name
// (its __func__), `path` the gRPC path derived from it, which the
// permission table (server/auth.cc) and the access log use. Stored request
// ids are keyed by `name`. Both live as long as the process.
struct Rpc {
  const char* path;  // "/dpmon.v1.Accounts/CreateAccount"
  const char* name;  // "CreateAccount"
};
// `service_full_name` and `handler` must live as long as the process.
Rpc RpcNamed(const char* service_full_name, const char* handler);
// RpcOf<v1::Accounts>(__func__) in AccountsService::CreateAccount.
template <typename Service>
Rpc RpcOf(const char* handler) {
  return RpcNamed(Service::service_full_name(), handler);
}

// What a handler's work is given: who called, which RPC it serves, and
// where to say which accounts its answer shows besides the one the request
// names (a list or search that carries people's names): each gets its own
// access-log entry, so that "who looked at this person" finds the call.
struct Call {
  const Principal& caller;
  const char* rpc;                            // Rpc::name, for KeyFor.
  std::vector<std::string>* shown = nullptr;  // Account ids; add with Show.
  void Show(const std::string& account_id) const {
    if (shown != nullptr) shown->push_back(account_id);
  }
};

// Records one finished call: in the access log (one entry for the call, and
// one for each account in `shown` if the call succeeded), in the metrics,
// and with --log_calls on stderr (`request_id`: the request's, if it has one).
void LogCall(const ServiceContext& ctx, const grpc::ServerContextBase& context,
             absl::string_view method, const Principal* caller, const Target& target,
             const absl::Status& status, absl::Time start,
             const std::vector<std::string>* shown = nullptr, absl::string_view request_id = "");
// The request's `request_id` field (AIP-155), or "".
std::string RequestIdOf(const google::protobuf::Message& request);

// A request that could not be read (server/request_reader.h), as the caller
// is told: INVALID_ARGUMENT, field "request".
absl::Status UnreadableRequestError(absl::string_view message_type);

// The shape of every unary handler: on the executor, find the caller (the
// key AuthProcessor let through, re-checked so that a key revoked since is
// refused), check its role against the permission table, refuse a request that could not be read,
// check that the caller holds the council the request names (NOT_FOUND otherwise), run `work`,
// which calls `finish` once (at once or later, from another thread), then
// record the call in the access log and finish.
template <typename Req>
grpc::ServerUnaryReactor* ServeAsync(
    const ServiceContext& ctx, grpc::CallbackServerContext* context, Rpc rpc, const Req* request,
    std::function<void(const Call&, std::function<void(const absl::Status&)> finish)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  const bool unreadable = UnreadableRequest();  // Only true on this thread, now.
  ctx.executor->Submit(
      [&ctx, context, rpc, reactor, request, work = std::move(work), start, unreadable] {
        const Target target = TargetOf(*request);
        absl::StatusOr<std::shared_ptr<const Principal>> caller = CallerOf(*ctx.keys, *context);
        std::shared_ptr<const Principal> who = caller.ok() ? *caller : nullptr;
        auto shown = std::make_shared<std::vector<std::string>>();
        auto finish = [&ctx, context, rpc, reactor, who, target, start, shown,
                       request_id = RequestIdOf(*request)](const absl::Status& s) {
          LogCall(ctx, *context, rpc.path, who.get(), target, s, start, shown.get(), request_id);
          reactor->Finish(ToGrpc(s));
        };
        absl::Status s = caller.status();
        if (s.ok()) s = Permit(*who, rpc.path);
        if (s.ok() && unreadable) s = UnreadableRequestError(Req::descriptor()->full_name());
        if (s.ok()) s = Authorize(*who, target.council);
        if (!s.ok()) {
          finish(s);
          return;
        }
        work(Call{*who, rpc.name, shown.get()}, finish);
      });
  return reactor;
}

// ServeAsync for work that finishes when it returns.
template <typename Req>
grpc::ServerUnaryReactor* Serve(const ServiceContext& ctx, grpc::CallbackServerContext* context,
                                Rpc rpc, const Req* request,
                                std::function<absl::Status(const Call&)> work) {
  return ServeAsync(
      ctx, context, rpc, request,
      [work = std::move(work)](const Call& call, std::function<void(const absl::Status&)> finish) {
        finish(work(call));
      });
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
