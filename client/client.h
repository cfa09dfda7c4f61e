// dpmon's C++ client library: a channel to the server, stubs, a deadline on
// every call, errors as absl::Status naming the field, and streaming ingest
// with a window of unacknowledged batches.
//
//   dpmon::Client client({.server = "127.0.0.1:50051"});
//   grpc::ClientContext ctx;
//   client.PrepareContext(&ctx);
//   grpc::Status s = client.ledger().GetBalance(&ctx, request, &balance);
//
// Thread-safety: a Client may be shared by threads; each call needs its own
// ClientContext.
#ifndef DPMON_CLIENT_CLIENT_H_
#define DPMON_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dpmon/v1/dpmon.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace dpmon {

struct ClientOptions {
  // host:port of dpmon-server. Default: the server's default listen address.
  std::string server = "127.0.0.1:50051";
  // Deadline of every unary call, and of a whole ingest stream.
  absl::Duration deadline = absl::Seconds(60);
  // "dpmon_{key_id}_{secret}", sent on every call. See ResolveApiKey.
  std::string api_key;
  // TLS: PEM contents, not file names. Plaintext (loopback only) unless
  // `tls` is set.
  bool tls = false;
  std::string tls_root_certs;  // CAs that sign the server's certificate; "" = the system's.
  std::string tls_cert_chain;  // Client certificate (mTLS), with tls_private_key.
  std::string tls_private_key;
  std::string tls_server_name;  // Name to check the server's certificate against, if not its host.
};

// The API key to use, never taken from a command-line argument (which `ps`
// shows): $DPMON_API_KEY, else the file `key_file`, else the file
// $DPMON_KEY_FILE, else ./data/dpmon-admin.key (the quick start's), else ""
// (calls then fail UNAUTHENTICATED). An error if a named file is unreadable,
// naming the file, where it was named, and the ways to give a key. `from`,
// if given, says where the key came from, or every place that was tried.
absl::StatusOr<std::string> ResolveApiKey(const std::string& key_file, std::string* from = nullptr);
// The ways to give dpctl a key, for an error message.
inline constexpr char kKeySources[] =
    "Give a key with $DPMON_API_KEY=dpmon_..., --key_file=FILE or $DPMON_KEY_FILE=FILE; a new "
    "data directory DIR gets its first ADMIN key in DIR-admin.key beside it "
    "(./data/dpmon-admin.key in the quick start, found when dpctl runs from that folder).";
// A file's contents, for keys and certificates.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// The gRPC status as absl::Status; the message gains the BadRequest field
// ("field: reason") where the server sent one.
absl::Status FromGrpc(const grpc::Status& status);

class Client {
 public:
  explicit Client(const ClientOptions& options);

  v1::Councils::Stub& councils() { return *councils_; }
  v1::Accounts::Stub& accounts() { return *accounts_; }
  v1::Ledger::Stub& ledger() { return *ledger_; }
  v1::Monitoring::Stub& monitoring() { return *monitoring_; }
  v1::Admin::Stub& admin() { return *admin_; }
  v1::Identity::Stub& identity() { return *identity_; }
  v1::Audits::Stub& audits() { return *audits_; }
  // Sets the deadline and the API key on a fresh context.
  void PrepareContext(grpc::ClientContext* context) const;

  // Calls a unary method with a fresh context:
  //   client.Call(client.ledger(), &v1::Ledger::Stub::GetBalance, request, &balance)
  template <typename Stub, typename Req, typename Resp>
  absl::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) const {
    grpc::ClientContext context;
    PrepareContext(&context);
    return FromGrpc((stub.*method)(&context, request, response));
  }

  // Calls a List method page after page, from `request`'s page token until
  // a page has no next_page_token; `each(page)` sees every page in order
  // (and may move out of it) and stops the listing by returning an error.
  //   client.ForEachPage(client.ledger(), &v1::Ledger::Stub::ListSuspense, request,
  //                      [&](const v1::ListSuspenseResponse& page) { ...; return absl::OkStatus();
  //                      });
  template <typename Stub, typename Req, typename Resp, typename Each>
  absl::Status ForEachPage(Stub& stub,
                           grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                           Req request, Each each) const {
    do {
      Resp page;
      if (absl::Status s = Call(stub, method, request, &page); !s.ok()) return s;
      if (absl::Status s = each(page); !s.ok()) return s;
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return absl::OkStatus();
  }
  const ClientOptions& options() const { return options_; }

  // Sends the batches `next` yields over one StreamIngest call, with at most
  // `window` of them unacknowledged; `on_ack` sees each acknowledgement in
  // order. Returns the stream's final status.
  absl::Status StreamIngest(const std::function<bool(v1::IngestBatchRequest*)>& next, int window,
                            const std::function<void(const v1::IngestBatchResponse&)>& on_ack);

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Councils::Stub> councils_;
  std::unique_ptr<v1::Accounts::Stub> accounts_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Monitoring::Stub> monitoring_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Identity::Stub> identity_;
  std::unique_ptr<v1::Audits::Stub> audits_;
};

// The field of the first google.rpc.BadRequest violation in the status's
// details, or "" if there is none.
std::string BadRequestField(const grpc::Status& status);

}  // namespace dpmon

#endif  // DPMON_CLIENT_CLIENT_H_
