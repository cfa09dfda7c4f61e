#include "server/http/web_chart.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/http/web_format.h"

namespace dpmon::web {

int ScaleToPixel(int64_t v, int64_t lo, int64_t hi, int top, int bottom) {
  if (hi <= lo) return bottom;
  v = std::clamp(v, lo, hi);
  // (hi - v) * (bottom - top) / (hi - lo) in 128 bits: balances reach 10^10
  // pence, far from overflow, but the arithmetic need not rely on it.
  const __int128 num = static_cast<__int128>(hi - v) * (bottom - top);
  return top + static_cast<int>(num / (hi - lo));
}

kainjow::mustache::data BalanceChart(const std::vector<std::pair<Date, int64_t>>& points) {
  namespace mustache = kainjow::mustache;
  mustache::data chart;
  if (points.empty()) return chart;
  constexpr int kWidth = 640, kHeight = 240, kLeft = 90, kTop = 20, kBottom = 200;
  int64_t lo = 0, hi = 0;  // The zero line is always on the chart.
  for (const auto& [unused, v] : points) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (hi == lo) hi = lo + 100;
  const int zero = ScaleToPixel(0, lo, hi, kTop, kBottom);
  const int slot = (kWidth - kLeft - 10) / static_cast<int>(points.size());
  const int bar = std::max(4, slot * 2 / 3);
  // Axis labels: the highest and lowest balance, and zero.
  mustache::data labels = mustache::data::type::list;
  auto label = [&](int y, int64_t pence) {
    mustache::data l;
    l.set("x", absl::StrCat(kLeft - 6));
    l.set("y", absl::StrCat(y + 5));
    l.set("text", Pounds(pence));
    labels.push_back(l);
  };
  label(kTop, hi);
  if (lo < 0) label(kBottom, lo);
  if (zero != kTop && zero != kBottom) label(zero, 0);
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  mustache::data bars = mustache::data::type::list;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& [date, v] = points[i];
    const int y = ScaleToPixel(v, lo, hi, kTop, kBottom);
    const int x = kLeft + static_cast<int>(i) * slot + (slot - bar) / 2;
    mustache::data b;
    b.set("x", absl::StrCat(x));
    b.set("y", absl::StrCat(std::min(y, zero)));
    b.set("width", absl::StrCat(bar));
    b.set("height", absl::StrCat(std::max(1, std::abs(zero - y))));
    b.set("fill", v < 0 ? "#d4351c" : "#1d70b8");
    b.set("label_x", absl::StrCat(x + bar / 2));
    b.set("label_y", absl::StrCat(kHeight - 15));
    b.set("month", kMonths[date.month() - 1]);
    bars.push_back(b);
  }
  chart.set("width", absl::StrCat(kWidth));
  chart.set("height", absl::StrCat(kHeight));
  chart.set("axis_x1", absl::StrCat(kLeft));
  chart.set("axis_x2", absl::StrCat(kWidth - 5));
  chart.set("zero", absl::StrCat(zero));
  chart.set("labels", labels);
  chart.set("bars", bars);
  return chart;
}

}  // namespace dpmon::web
