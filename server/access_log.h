// The access log: one entry per call (who, which method, which council and
// account, the outcome), appended to the store in the background.
//
// Record never blocks a call: entries are queued and written every 100 ms in
// one synced write. A power cut can lose the last moment's entries of calls
// already answered; a clean shutdown (the destructor) writes them all.
// Entries older than the retention are pruned once a day.
//
// Thread-safety: safe for concurrent use.
#ifndef DPMON_SERVER_ACCESS_LOG_H_
#define DPMON_SERVER_ACCESS_LOG_H_

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dpmon/v1/resources.pb.h"
#include "storage/store.h"

namespace dpmon {

// The metadata that carries an HTTP caller's address from the JSON face
// (server/http/json_api.h) to the access log; believed only on calls that
// came through the server's in-process channel.
inline constexpr char kHttpPeerMetadata[] = "x-dpmon-http-peer";

class AccessLog {
 public:
  // `retention`: entries older than this are pruned (absl::InfiniteDuration(): never).
  AccessLog(Store* store, absl::Duration retention);
  ~AccessLog();  // Writes what is queued.
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Queues an entry; sets entry.time from `when`.
  void Record(v1::AccessLogEntry entry, absl::Time when);
  // Writes everything queued so far before returning.
  absl::Status Flush();

 private:
  void Loop();
  absl::Status WriteQueued();

  Store* store_;
  absl::Duration retention_;
  absl::Mutex write_mu_;  // One writer at a time, in order.
  absl::Mutex mu_;
  std::vector<Store::AccessWrite> queue_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Entries queued beyond this (the store has stopped taking writes) are
// counted and reported, not kept.
inline constexpr size_t kAccessLogQueueMax = 1'000'000;

}  // namespace dpmon

#endif  // DPMON_SERVER_ACCESS_LOG_H_
