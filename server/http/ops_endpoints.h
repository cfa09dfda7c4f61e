// What the HTTP listener answers for operators rather than people:
//   GET /metrics   Prometheus text format (server/metrics.h); from loopback,
//                  or with "Authorization: Bearer" and an ADMIN key
//   GET /healthz   liveness: 200 while the process serves
//   GET /readyz    readiness: 200 once the store is open and the server
//                  serves, 503 while it starts or stops
//
// Thread-safety: Handle may be called from any thread.
#ifndef DPMON_SERVER_HTTP_OPS_ENDPOINTS_H_
#define DPMON_SERVER_HTTP_OPS_ENDPOINTS_H_

#include <atomic>
#include <optional>

#include "server/http/http_listener.h"

namespace dpmon {

class KeyRegistry;
class Metrics;
class Operations;
class Store;

class OpsEndpoints {
 public:
  OpsEndpoints(Metrics* metrics, Store* store, const Operations* operations,
               const KeyRegistry* keys)
      : metrics_(metrics), store_(store), operations_(operations), keys_(keys) {}
  // The answer, or nullopt for a path that is not one of these.
  std::optional<HttpResponse> Handle(const HttpRequest& request) const;
  void set_ready(bool ready) { ready_ = ready; }

 private:
  Metrics* metrics_;
  Store* store_;
  const Operations* operations_;
  const KeyRegistry* keys_;
  std::atomic<bool> ready_{false};
};

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_OPS_ENDPOINTS_H_
