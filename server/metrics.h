// What an operator watches, in Prometheus' text format (version 0.0.4) at
// GET /metrics on the HTTP listener (docs/operations.md lists every series).
// Counted as calls happen: calls by method and code with their latency, and
// ingested items by outcome; read at each scrape: the store's writes and
// RocksDB's state, stored flags by council, kind and state, each council's
// latest evaluation, and the newest backup.
//
// Thread-safety: safe for concurrent use.
#ifndef DPMON_SERVER_METRICS_H_
#define DPMON_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/histogram.h"
#include "dpmon/v1/dpmon.pb.h"

namespace dpmon {

class Store;
class Operations;

class Metrics {
 public:
  Metrics();
  // A finished call: "/dpmon.v1.Ledger/GetBalance", its status, how long.
  void ObserveCall(const std::string& method, absl::StatusCode code, absl::Duration latency);
  // Items of an answered ingest request.
  void CountIngest(const v1::IngestBatchResponse& response);
  // The whole exposition. `store` and `operations` may be null.
  std::string Render(Store* store, const Operations* operations) const;

 private:
  struct Method {
    Histogram latency_micros{Histogram::LatencyBoundsMicros()};
    std::array<std::atomic<uint64_t>, 17> by_code{};  // absl::StatusCode 0..16
  };
  Method* MethodOf(const std::string& method);

  const absl::Time started_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Method>> methods_ ABSL_GUARDED_BY(mu_);
  std::array<std::atomic<uint64_t>, 16> ingest_by_outcome_{};  // v1::ItemOutcome
};

// "0.000250" for 250 µs: seconds from integer microseconds, no floating point.
std::string MicrosAsSeconds(int64_t micros);

}  // namespace dpmon

#endif  // DPMON_SERVER_METRICS_H_
