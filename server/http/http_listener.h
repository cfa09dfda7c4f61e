// dpmon-server's HTTP listener, on libmicrohttpd: it reads whole requests
// within the limits of common/limits.h (body, headers, connections, time)
// and hands each to one handler, which answers it.
//
//   HttpListener::Options o;
//   o.address = "127.0.0.1:8080";
//   absl::StatusOr<std::unique_ptr<HttpListener>> l =
//       HttpListener::Start(o, [](const HttpRequest& r) { return HttpResponse{...}; });
//
// Every connection has its own thread, so a handler may block (the JSON
// face waits for the service it calls).
//
// Thread-safety: the handler is called from many threads at once. Stop()
// (or the destructor) waits for the handlers running.
#ifndef DPMON_SERVER_HTTP_HTTP_LISTENER_H_
#define DPMON_SERVER_HTTP_HTTP_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

struct MHD_Daemon;

namespace dpmon {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // Decoded, without the query: "/v1/councils/c"
  // Decoded query parameters, in order; a name may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers, names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;  // "127.0.0.1:53412"

  // The first header of that (lower-case) name, or nullptr.
  const std::string* Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Added to the defaults.
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpListener {
 public:
  struct Options {
    // host:port; port 0 picks a free one. Default: loopback, 8080.
    std::string address = "127.0.0.1:8080";
    // PEM contents. Both set: HTTPS. A listener that is not on loopback
    // needs them (Start refuses otherwise).
    std::string tls_cert_chain;
    std::string tls_private_key;
  };

  // Listens and serves until Stop. INVALID_ARGUMENT for a bad address or a
  // public address without TLS; UNAVAILABLE if it cannot listen.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(const Options& options,
                                                             HttpHandler handler);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // "127.0.0.1:8080", with the port it got.
  const std::string& address() const { return address_; }
  bool tls() const { return tls_; }
  // Stops listening, then waits for the requests being answered.
  void Stop();

  // What the listener calls; public for libmicrohttpd's C callbacks only.
  const HttpHandler& handler() const { return handler_; }

 private:
  HttpListener(HttpHandler handler, std::string cert, std::string key)
      : handler_(std::move(handler)), cert_(std::move(cert)), key_(std::move(key)) {}

  HttpHandler handler_;
  std::string cert_;  // Kept for as long as the daemon runs.
  std::string key_;
  std::string address_;
  bool tls_ = false;
  MHD_Daemon* daemon_ = nullptr;
};

// True for "127.0.0.1", "::1", "localhost" and the rest of 127.0.0.0/8.
bool IsLoopbackHost(const std::string& host);

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_HTTP_LISTENER_H_
