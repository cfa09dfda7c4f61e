// A balance chart as inline SVG, drawn on the server (from a template, like
// every page) so that the page needs no script: one bar per date, above or
// below a zero line, scaled with integer arithmetic from the exact pence (no
// floating point near money).
//
// Thread-safety: pure functions.
#ifndef DPMON_SERVER_HTTP_WEB_CHART_H_
#define DPMON_SERVER_HTTP_WEB_CHART_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/civil_date.h"
#include "kainjow/mustache.hpp"

namespace dpmon::web {

// What web/templates/chart.mustache draws for `points` (date, balance in
// pence), in order, with the largest and smallest balances labelled: an
// empty object for no points.
kainjow::mustache::data BalanceChart(const std::vector<std::pair<Date, int64_t>>& points);

// Where a value lies on an axis from `lo` (at pixel `bottom`) to `hi` (at
// pixel `top`), exactly: top <= result <= bottom for lo <= v <= hi.
int ScaleToPixel(int64_t v, int64_t lo, int64_t hi, int top, int bottom);

}  // namespace dpmon::web

#endif  // DPMON_SERVER_HTTP_WEB_CHART_H_
