// How every dpmon API v1 service reads its requests, before a handler sees
// them:
// - A request whose bytes do not parse as its message (not protobuf, cut
//   short, or a string field that is not UTF-8) reaches the handler as an
//   empty request while UnreadableRequest() is true on the handler's thread;
//   ServeAsync (server/service_util.h) answers it INVALID_ARGUMENT and logs
//   it like any refused call. gRPC alone would answer UNIMPLEMENTED with no
//   message, and no handler would see the call.
// - Fields marked OUTPUT_ONLY (proto/dpmon/v1/field_behavior.proto) are
//   cleared, however deep in the request (AIP-203): a caller cannot write
//   them, and a new output-only field needs no code to be ignored.
// A service derives from ReadingService<v1::X> and names each unary method
// once in its constructor (ReadUnary); tests/edge_test.cc sends unreadable
// bytes to every method of every service, so one left out is found.
//
// Thread-safety: ClearOutputOnly and UnreadableRequest may be called from
// any thread.
#ifndef DPMON_SERVER_REQUEST_READER_H_
#define DPMON_SERVER_REQUEST_READER_H_

#include <functional>
#include <utility>

#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/message_allocator.h"

namespace dpmon {

// Clears every OUTPUT_ONLY field of `message`, at any depth.
void ClearOutputOnly(google::protobuf::Message* message);

// True on the thread a unary handler is called on, while it is called, if
// the request could not be read.
bool UnreadableRequest();

// The index of `method` in `service` as gRPC numbers them (proto order);
// aborts if there is none (a programming error).
int MethodIndex(const char* service_full_name, const char* method);

namespace internal {

class UnreadableScope {
 public:
  UnreadableScope();
  ~UnreadableScope();
  UnreadableScope(const UnreadableScope&) = delete;
  UnreadableScope& operator=(const UnreadableScope&) = delete;
};

// gRPC's callback handler for a unary method, reading as described above.
template <typename Req, typename Resp>
class ReadingUnaryHandler final : public grpc::internal::MethodHandler {
 public:
  using Getter =
      std::function<grpc::ServerUnaryReactor*(grpc::CallbackServerContext*, const Req*, Resp*)>;
  explicit ReadingUnaryHandler(Getter getter) : inner_(std::move(getter)) {}

  void RunHandler(const HandlerParameter& param) override {
    // Deserialize (below) leaves the request in the call's holder whether
    // or not it parsed.
    auto* holder = static_cast<grpc::MessageHolder<Req, Resp>*>(param.internal_data);
    if (param.status.ok()) {
      ClearOutputOnly(holder->request());
      inner_.RunHandler(param);
      return;
    }
    holder->request()->Clear();
    UnreadableScope unreadable;
    inner_.RunHandler(HandlerParameter(param.call, param.server_context, holder->request(),
                                       grpc::Status::OK, param.internal_data,
                                       param.call_requester));
  }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    return inner_.Deserialize(call, req, status, handler_data);
  }

 private:
  grpc::internal::CallbackUnaryHandler<Req, Resp> inner_;
};

}  // namespace internal

// The base of a dpmon service: Api is the generated service (v1::Accounts).
template <typename Api>
class ReadingService : public Api::CallbackService {
 protected:
  // Serves the unary `method` of `self` (named `name` in the proto) through
  // a ReadingUnaryHandler.
  template <typename Self, typename Req, typename Resp>
  void ReadUnary(Self* self,
                 grpc::ServerUnaryReactor* (Self::*method)(grpc::CallbackServerContext*, const Req*,
                                                           Resp*),
                 const char* name) {
    this->MarkMethodCallback(MethodIndex(Api::service_full_name(), name),
                             new internal::ReadingUnaryHandler<Req, Resp>(
                                 [self, method](grpc::CallbackServerContext* context,
                                                const Req* request, Resp* response) {
                                   return (self->*method)(context, request, response);
                                 }));
  }
};

}  // namespace dpmon

#endif  // DPMON_SERVER_REQUEST_READER_H_
