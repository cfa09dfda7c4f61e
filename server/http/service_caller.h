// Calls dpmon's gRPC services through the server's in-process channel on
// behalf of an HTTP caller: the JSON face and the dashboard both use it, so
// their calls meet the permission table, tenancy, validation and access log
// that a gRPC call meets. The HTTP client's address goes to the access log.
//
//   ServiceCaller caller(server->InProcessChannel(args));
//   grpc::Status s = caller.Call("/dpmon.v1.Councils/GetCouncil", request, &reply,
//                                "Bearer dpmon_...", "127.0.0.1:53412");
//
// Thread-safety: Call may be made from many threads at once.
#ifndef DPMON_SERVER_HTTP_SERVICE_CALLER_H_
#define DPMON_SERVER_HTTP_SERVICE_CALLER_H_

#include <memory>
#include <string>

#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace dpmon {

class ServiceCaller {
 public:
  explicit ServiceCaller(std::shared_ptr<grpc::Channel> channel);

  // Calls `path` ("/dpmon.v1.Councils/GetCouncil") and waits for the reply.
  // `authorization` is the header's whole value ("Bearer dpmon_..."; "" for
  // none); `peer` the HTTP client's address.
  grpc::Status Call(const std::string& path, const google::protobuf::Message& request,
                    google::protobuf::Message* reply, const std::string& authorization,
                    const std::string& peer) const;

 private:
  mutable grpc::GenericStub stub_;  // Thread-safe.
};

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_SERVICE_CALLER_H_
