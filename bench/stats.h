// What the benchmarks share: percentiles of measured latencies.
#ifndef DPMON_BENCH_STATS_H_
#define DPMON_BENCH_STATS_H_

#include <algorithm>
#include <cstdio>
#include <vector>

namespace dpmon::bench {

// The p-th quantile (0..1) of `v`, nearest rank; 0 for none.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// "FIGURE_p50_us N" and "FIGURE_p99_us N" lines, for bench/compare.sh.
inline void PrintLatency(const char* figure, const std::vector<double>& micros) {
  std::printf("%s_p50_us %.0f\n%s_p99_us %.0f\n", figure, Percentile(micros, 0.5), figure,
              Percentile(micros, 0.99));
}

}  // namespace dpmon::bench

#endif  // DPMON_BENCH_STATS_H_
