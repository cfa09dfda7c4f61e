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

std::string BalanceChart(const std::vector<std::pair<Date, int64_t>>& points) {
  if (points.empty()) return "";
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
  std::string svg = absl::StrCat("<svg class=\"chart-svg\" viewBox=\"0 0 ", kWidth, " ", kHeight,
                                 "\" role=\"img\" aria-labelledby=\"balance-chart-caption\" "
                                 "xmlns=\"http://www.w3.org/2000/svg\">");
  // Axis labels: the highest and lowest balance, and zero.
  auto label = [&](int y, int64_t pence) {
    absl::StrAppend(&svg, "<text x=\"", kLeft - 6, "\" y=\"", y + 5,
                    "\" text-anchor=\"end\" font-size=\"13\" fill=\"#0b0c0c\">", Pounds(pence),
                    "</text>");
  };
  label(kTop, hi);
  if (lo < 0) label(kBottom, lo);
  if (zero != kTop && zero != kBottom) label(zero, 0);
  absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kWidth - 5, "\" y1=\"", zero, "\" y2=\"",
                  zero, "\" stroke=\"#0b0c0c\" stroke-width=\"1\"/>");
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& [date, v] = points[i];
    const int y = ScaleToPixel(v, lo, hi, kTop, kBottom);
    const int x = kLeft + static_cast<int>(i) * slot + (slot - bar) / 2;
    const int top = std::min(y, zero), height = std::max(1, std::abs(zero - y));
    absl::StrAppend(&svg, "<rect x=\"", x, "\" y=\"", top, "\" width=\"", bar, "\" height=\"",
                    height, "\" fill=\"", v < 0 ? "#d4351c" : "#1d70b8", "\"/>");
    absl::StrAppend(&svg, "<text x=\"", x + bar / 2, "\" y=\"", kHeight - 15,
                    "\" text-anchor=\"middle\" font-size=\"12\" fill=\"#0b0c0c\">",
                    kMonths[date.month() - 1], "</text>");
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

}  // namespace dpmon::web
