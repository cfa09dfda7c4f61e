// What dpmon-server writes to stderr (journald, a container's log): events
// (started, stopping, a failure) and, with --log_calls, one line for each
// call answered. `--log_format=text` for people; `json` for a log pipeline:
// one object a line,
//   {"time":"2026-11-30T09:00:00.123Z","level":"info","method":"/dpmon.v1.Ledger/GetBalance",
//    "council":"wilts","account":"A1","request_id":"","key":"keys/3f…","peer":"ipv4:127.0.0.1:5",
//    "code":"OK","latency_ms":"0.412"}
// No secret is ever written: keys appear by name, requests not at all.
//
// Thread-safety: SetLogFormat once, before other threads start; the rest
// from any thread (each line is written whole).
#ifndef DPMON_SERVER_SERVER_LOG_H_
#define DPMON_SERVER_SERVER_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dpmon {

enum class LogFormat { kText, kJson };
void SetLogFormat(LogFormat format);

// level: "info", "warning" or "error".
void LogEvent(absl::string_view level, absl::string_view message);

struct CallLine {
  std::string method;  // "/dpmon.v1.Ledger/GetBalance"
  std::string council;
  std::string account;
  std::string request_id;  // AIP-155, for mutations that carry one.
  std::string key;         // "keys/{id}", or "" for a call without a valid key.
  std::string peer;
  absl::StatusCode code = absl::StatusCode::kOk;
  absl::Duration latency;
};
void LogCallLine(const CallLine& call);

}  // namespace dpmon

#endif  // DPMON_SERVER_SERVER_LOG_H_
