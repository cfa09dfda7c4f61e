// A histogram of integer observations (microseconds, items) with fixed upper
// bounds, for metrics: lock-free, cheap enough for every commit and call.
//
//   Histogram h({1000, 5000, 25000});  // microseconds
//   h.Observe(1200);
//   Histogram::Snapshot s = h.Read();  // s.cumulative[i]: observations <= bounds[i]
//
// Thread-safety: Observe and Read may be called from any thread. A Read
// racing Observes may see a count without its sum: both only ever grow.
#ifndef DPMON_COMMON_HISTOGRAM_H_
#define DPMON_COMMON_HISTOGRAM_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace dpmon {

class Histogram {
 public:
  // `bounds`: ascending upper bounds; above the last goes to +Inf.
  explicit Histogram(std::vector<int64_t> bounds)
      : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
  }

  void Observe(int64_t v) {
    const size_t i =
        static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }

  struct Snapshot {
    std::vector<int64_t> bounds;
    std::vector<uint64_t> cumulative;  // Per bound, then +Inf (= count).
    int64_t sum = 0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  Snapshot Read() const {
    Snapshot s;
    s.bounds = bounds_;
    uint64_t total = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      total += counts_[i].load(std::memory_order_relaxed);
      s.cumulative.push_back(total);
    }
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
  }

  // Microsecond bounds from 100 µs to 60 s, for latencies.
  static std::vector<int64_t> LatencyBoundsMicros() {
    return {100,       250,       500,       1'000,      2'500,      5'000,
            10'000,    25'000,    50'000,    100'000,    250'000,    500'000,
            1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000};
  }

 private:
  const std::vector<int64_t> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<int64_t> sum_{0};
};

}  // namespace dpmon

#endif  // DPMON_COMMON_HISTOGRAM_H_
