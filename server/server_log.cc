#include "server/server_log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/json_quote.h"

namespace dpmon {
namespace {

LogFormat g_format = LogFormat::kText;

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

// Milliseconds with three decimals, from integer microseconds.
std::string Millis(absl::Duration d) {
  const int64_t us = absl::ToInt64Microseconds(d);
  return absl::StrFormat("%d.%03d", us / 1000, us % 1000);
}

void Write(const std::string& line) {
  // One fwrite of the whole line: lines of different threads do not mix.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format = format; }

void LogEvent(absl::string_view level, absl::string_view message) {
  if (g_format == LogFormat::kJson) {
    Write(absl::StrCat("{\"time\":", JsonQuote(Now()), ",\"level\":", JsonQuote(level),
                       ",\"message\":", JsonQuote(message), "}\n"));
  } else {
    Write(absl::StrCat(Now(), " dpmon-server: ", level == "info" ? "" : absl::StrCat(level, ": "),
                       message, "\n"));
  }
}

void LogCallLine(const CallLine& c) {
  const std::string code = absl::StatusCodeToString(c.code);
  const char* level = c.code == absl::StatusCode::kInternal ||
                              c.code == absl::StatusCode::kDataLoss ||
                              c.code == absl::StatusCode::kUnknown
                          ? "error"
                          : "info";
  if (g_format == LogFormat::kJson) {
    Write(absl::StrCat("{\"time\":", JsonQuote(Now()), ",\"level\":\"", level,
                       "\",\"method\":", JsonQuote(c.method), ",\"council\":", JsonQuote(c.council),
                       ",\"account\":", JsonQuote(c.account),
                       ",\"request_id\":", JsonQuote(c.request_id), ",\"key\":", JsonQuote(c.key),
                       ",\"peer\":", JsonQuote(c.peer), ",\"code\":", JsonQuote(code),
                       ",\"latency_ms\":", JsonQuote(Millis(c.latency)), "}\n"));
  } else {
    Write(absl::StrCat(Now(), " dpmon-server: call ", c.method, " ", code, " ", Millis(c.latency),
                       "ms", c.council.empty() ? "" : " council=", c.council,
                       c.account.empty() ? "" : " account=", c.account,
                       c.request_id.empty() ? "" : " request_id=", c.request_id,
                       c.key.empty() ? "" : " key=", c.key, " peer=", c.peer, "\n"));
  }
}

}  // namespace dpmon
