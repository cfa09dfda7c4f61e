#include "server/http/http_listener.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"

namespace dpmon {
namespace {

// One request as it arrives: libmicrohttpd calls back once for the headers,
// once per piece of body, and once at the end.
struct Pending {
  HttpRequest request;
  bool too_large = false;
};

MHD_Result AddPair(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  out->emplace_back(key == nullptr ? "" : key, value == nullptr ? "" : value);
  return MHD_YES;
}

std::string PeerOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  const sockaddr* addr = info->client_addr;
  const socklen_t len = addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(addr, len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "";
  }
  return addr->sa_family == AF_INET6 ? absl::StrCat("[", host, "]:", port)
                                     : absl::StrCat(host, ":", port);
}

MHD_Result Send(MHD_Connection* connection, const HttpResponse& r) {
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  bool has_cache = false, has_csp = false, has_referrer = false;
  for (const auto& [name, value] : r.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
    has_cache |= absl::EqualsIgnoreCase(name, "Cache-Control");
    has_csp |= absl::EqualsIgnoreCase(name, "Content-Security-Policy");
    has_referrer |= absl::EqualsIgnoreCase(name, "Referrer-Policy");
  }
  // Answers hold personal data unless a handler says otherwise.
  if (!has_cache) MHD_add_response_header(response, "Cache-Control", "no-store");
  if (!has_csp) {
    MHD_add_response_header(response, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'");
  }
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  if (!has_referrer) MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
  MHD_Result ok = MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return ok;
}

HttpResponse TooLarge() {
  HttpResponse r;
  r.status = 413;
  r.body = absl::StrCat(
      R"({"error":{"code":413,"status":"INVALID_ARGUMENT","message":"the request body is over )",
      limits::kHttpBodyBytesMax, R"( bytes"}})");
  return r;
}

MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                     const char* /*version*/, const char* upload_data, size_t* upload_data_size,
                     void** con_cls) {
  auto* listener = static_cast<HttpListener*>(cls);
  auto* pending = static_cast<Pending*>(*con_cls);
  if (pending == nullptr) {
    pending = new Pending;
    *con_cls = pending;
    pending->request.method = method;
    pending->request.path = url;
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t n = 0;
    if (length != nullptr && absl::SimpleAtoi(length, &n) && n > limits::kHttpBodyBytesMax) {
      pending->too_large = true;
      return Send(connection, TooLarge());  // Before reading the body.
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    std::string& body = pending->request.body;
    if (!pending->too_large) {
      if (body.size() + *upload_data_size > limits::kHttpBodyBytesMax) {
        pending->too_large = true;
        std::string().swap(body);
      } else {
        body.append(upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (pending->too_large) return Send(connection, TooLarge());
  HttpRequest& request = pending->request;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &AddPair, &request.query);
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &AddPair, &request.headers);
  for (auto& [name, value] : request.headers) absl::AsciiStrToLower(&name);
  request.peer = PeerOf(connection);
  return Send(connection, listener->handler()(request));
}

void OnCompleted(void* /*cls*/, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);
  *con_cls = nullptr;
}

struct HostPort {
  std::string host;
  std::string port;
};

absl::StatusOr<HostPort> SplitAddress(const std::string& address) {
  HostPort hp;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen: \"", address, "\" is not host:port"));
  }
  hp.host = address.substr(0, colon);
  hp.port = address.substr(colon + 1);
  if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  return hp;
}

}  // namespace

const std::string* HttpRequest::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a;
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(const Options& options,
                                                                  HttpHandler handler) {
  absl::StatusOr<HostPort> hp = SplitAddress(options.address);
  if (!hp.ok()) return hp.status();
  const bool tls = !options.tls_cert_chain.empty() && !options.tls_private_key.empty();
  if (!tls && !IsLoopbackHost(hp->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http_listen: ", options.address,
        " is not on loopback: give --tls_cert_file and --tls_key_file to serve HTTPS there"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(hp->host.empty() ? nullptr : hp->host.c_str(), hp->port.c_str(), &hints,
                  &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen: cannot resolve \"", options.address, "\""));
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof addr));
  freeaddrinfo(found);

  std::unique_ptr<HttpListener> l(
      new HttpListener(std::move(handler), options.tls_cert_chain, options.tls_private_key));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG;
  if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;
  l->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &OnRequest, l.get(),  //
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_CONNECTION_LIMIT,
      limits::kHttpConnectionsMax, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      limits::kHttpConnectionsPerAddressMax, MHD_OPTION_CONNECTION_TIMEOUT,
      limits::kHttpIdleSecondsMax, MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits::kHttpHeaderBytesMax,
      MHD_OPTION_NOTIFY_COMPLETED, &OnCompleted, nullptr,
      tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, l->key_.c_str(), MHD_OPTION_HTTPS_MEM_CERT,
      l->cert_.c_str(), MHD_OPTION_END);
  if (l->daemon_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", options.address));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(l->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  const std::string host = addr.ss_family == AF_INET6 ? absl::StrCat("[", hp->host, "]") : hp->host;
  l->address_ = absl::StrCat(host, ":", info != nullptr ? info->port : 0);
  l->tls_ = tls;
  return l;
}

void HttpListener::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);  // Joins every connection's thread.
    daemon_ = nullptr;
  }
}

HttpListener::~HttpListener() { Stop(); }

}  // namespace dpmon
