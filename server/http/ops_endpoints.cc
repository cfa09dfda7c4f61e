#include "server/http/ops_endpoints.h"

#include "server/auth.h"
#include "server/metrics.h"

namespace dpmon {
namespace {

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// "127.0.0.1:53412" or "[::1]:53412" -> the host.
std::string PeerHost(const std::string& peer) {
  if (!peer.empty() && peer.front() == '[') return peer.substr(1, peer.find(']') - 1);
  return peer.substr(0, peer.rfind(':'));
}

}  // namespace

std::optional<HttpResponse> OpsEndpoints::Handle(const HttpRequest& request) const {
  const bool metrics = request.path == "/metrics";
  if (!metrics && request.path != "/healthz" && request.path != "/readyz") return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = Text(405, "GET only\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (request.path == "/healthz") return Text(200, "ok\n");
  if (request.path == "/readyz") {
    return ready_ ? Text(200, "ready\n") : Text(503, "not ready: starting or stopping\n");
  }
  if (!IsLoopbackHost(PeerHost(request.peer))) {
    const std::string* authorization = request.Header("authorization");
    if (authorization == nullptr) {
      HttpResponse r = Text(401,
                            "metrics off this machine need an ADMIN key: Authorization: "
                            "Bearer dpmon_...\n");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    absl::StatusOr<std::shared_ptr<const Principal>> who = Identify(*keys_, authorization, nullptr);
    if (!who.ok()) return Text(401, std::string(who.status().message()) + "\n");
    if (!(*who)->HasRole(v1::ADMIN)) return Text(403, "metrics need an ADMIN key\n");
  }
  HttpResponse r = Text(200, metrics_->Render(store_, operations_));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace dpmon
