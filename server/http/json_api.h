// The JSON face of dpmon API v1 (docs/http.md): every unary RPC at an
// AIP-127 route (`GET /v1/councils/{c}/accounts/{a}`,
// `POST /v1/councils/{c}/accounts/{a}:recordReview`), its request and reply
// in protobuf's JSON mapping, errors as AIP-193 `google.rpc.Status` JSON with
// the HTTP status of their code.
//
// A route's call goes to the gRPC services through the server's in-process
// channel, carrying the caller's `Authorization` header and address. So it
// meets exactly the code a gRPC call meets: the permission table, council
// tenancy, validation, idempotency and the access log (which records the
// HTTP client's address).
//
//   ServiceCaller caller(server->InProcessChannel(args));
//   JsonApi api(&caller);
//   HttpResponse r = api.Handle(request);  // request.path under /v1/
//
// Thread-safety: Handle may be called from many threads at once.
#ifndef DPMON_SERVER_HTTP_JSON_API_H_
#define DPMON_SERVER_HTTP_JSON_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "server/access_log.h"
#include "server/http/http_listener.h"
#include "server/http/service_caller.h"

namespace dpmon {

// One route: a verb, a path template and the RPC it calls.
struct JsonRoute {
  const char* verb;    // "GET", "POST", "PATCH"
  const char* path;    // "/v1/{name=councils/*/accounts/*}:recordReview"
  const char* method;  // "dpmon.v1.Accounts.RecordReview"
  const char* body;    // "*": the whole request; a field name; "": none.
};
// Every route, one per unary RPC of the API.
const std::vector<JsonRoute>& JsonRoutes();

class JsonApi {
 public:
  // `caller` must outlive the JsonApi.
  explicit JsonApi(const ServiceCaller* caller);
  ~JsonApi();
  JsonApi(const JsonApi&) = delete;
  JsonApi& operator=(const JsonApi&) = delete;

  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct Compiled;
  const ServiceCaller* caller_;
  std::vector<Compiled> routes_;
};

// The HTTP status AIP-193 gives a gRPC code.
int HttpStatusOf(grpc::StatusCode code);
// {"error":{"code":...,"message":...,"status":...,"details":[...]}}, the
// details (google.rpc.BadRequest and the rest) from the status's
// google.rpc.Status payload.
HttpResponse ErrorResponse(const grpc::Status& status);
HttpResponse ErrorResponse(const absl::Status& status);

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_JSON_API_H_
