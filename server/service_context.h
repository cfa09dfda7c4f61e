// What every gRPC service of dpmon API v1 needs from outside, passed
// explicitly: the store, the executor its handlers run on, the keys, the
// access log and today's date.
//
// Handlers never block a gRPC thread: unary calls run on the Executor, and
// ingest is validated on the calling thread and handed to the Store's writer
// asynchronously, so that a stream's batches reach the store in order.
//
// Thread-safety: the service objects are safe for concurrent calls. They do
// not own what a ServiceContext points to, which must outlive the gRPC
// server.
#ifndef DPMON_SERVER_SERVICE_CONTEXT_H_
#define DPMON_SERVER_SERVICE_CONTEXT_H_

#include <functional>

#include "common/civil_date.h"
#include "server/executor.h"
#include "storage/store.h"

namespace dpmon {

class KeyRegistry;
class AccessLog;
class Metrics;
struct Principal;

// What the services need from outside, passed explicitly.
struct ServiceContext {
  Store* store = nullptr;
  Executor* executor = nullptr;
  KeyRegistry* keys = nullptr;
  AccessLog* access_log = nullptr;
  // Today's date for defaults (Account.status, ListAccounts' as_of_date).
  std::function<Date()> today;
  // Counts calls and ingested items (GET /metrics); may be null.
  Metrics* metrics = nullptr;
  // Writes a line for each call to stderr (server/server_log.h).
  bool log_calls = false;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_SERVICE_CONTEXT_H_
