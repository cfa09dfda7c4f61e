#include "server/access_log.h"

#include <cstdio>

#include "absl/time/clock.h"

namespace dpmon {

AccessLog::AccessLog(Store* store, absl::Duration retention)
    : store_(store), retention_(retention) {
  thread_ = std::thread([this] { Loop(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  if (absl::Status s = WriteQueued(); !s.ok()) {
    std::fprintf(stderr, "dpmon-server: access log entries not written at shutdown: %s\n",
                 s.ToString().c_str());
  }
}

void AccessLog::Record(v1::AccessLogEntry entry, absl::Time when) {
  entry.set_time(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", when, absl::UTCTimeZone()));
  Store::AccessWrite w;
  w.micros = absl::ToUnixMicros(when);
  w.entry = std::move(entry);
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= kAccessLogQueueMax) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(w));
}

absl::Status AccessLog::Flush() { return WriteQueued(); }

absl::Status AccessLog::WriteQueued() {
  absl::MutexLock write_lock(&write_mu_);
  std::vector<Store::AccessWrite> batch;
  int64_t dropped;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(queue_);
    dropped = dropped_;
    dropped_ = 0;
  }
  if (dropped > 0) {
    std::fprintf(stderr, "dpmon-server: access log queue full: %lld entries not recorded\n",
                 static_cast<long long>(dropped));
  }
  absl::Status s = store_->AppendAccessLog(batch);
  if (!s.ok()) {
    // Keep them for the next attempt, in order.
    absl::MutexLock lock(&mu_);
    batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.end()));
    queue_.swap(batch);
  }
  return s;
}

void AccessLog::Loop() {
  absl::Time next_prune = absl::Now();
  for (;;) {
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(100));
      stop = stopping_;
    }
    if (stop) return;
    if (absl::Status s = WriteQueued(); !s.ok()) {
      std::fprintf(stderr, "dpmon-server: writing the access log: %s (will retry)\n",
                   s.ToString().c_str());
    }
    if (retention_ != absl::InfiniteDuration() && absl::Now() >= next_prune) {
      next_prune = absl::Now() + absl::Hours(24);
      absl::StatusOr<int64_t> pruned =
          store_->PruneAccessLog(absl::ToUnixMicros(absl::Now() - retention_));
      if (!pruned.ok()) {
        std::fprintf(stderr, "dpmon-server: pruning the access log: %s\n",
                     pruned.status().ToString().c_str());
      } else if (*pruned > 0) {
        std::fprintf(stderr, "dpmon-server: pruned %lld access log entries past retention\n",
                     static_cast<long long>(*pruned));
      }
    }
  }
}

}  // namespace dpmon
