// The dashboard's sign-in sessions, held in memory on the server: a person
// gives their key once at sign-in; the browser then holds only a random
// session id in an HttpOnly, SameSite=Strict cookie. A session ends when it
// has been idle too long, when it is too old, at sign-out, and (checked on
// every request by the dashboard) when its key is revoked or expires. A
// restart signs everyone out.
//
//   SessionStore sessions({.idle = absl::Minutes(30), .absolute = absl::Hours(12)}, &Now);
//   SessionStore::Session s = sessions.Open(secret, key_id);
//   std::optional<SessionStore::Session> again = sessions.Find(cookie_value);
//
// Thread-safety: safe for concurrent use.
#ifndef DPMON_SERVER_HTTP_SESSIONS_H_
#define DPMON_SERVER_HTTP_SESSIONS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dpmon {

// 32 random bytes (OpenSSL), base64url: session ids and CSRF tokens.
std::string RandomToken();

class SessionStore {
 public:
  struct Options {
    absl::Duration idle = absl::Minutes(30);    // Ends after this long unused.
    absl::Duration absolute = absl::Hours(12);  // Ends this long after sign-in.
  };
  struct Session {
    std::string id;      // The cookie's value.
    std::string csrf;    // Every form and mutation of the session carries it.
    std::string secret;  // The key, as a bearer token for the session's calls.
    std::string key_id;
    absl::Time created;
    absl::Time last_used;
  };

  SessionStore(Options options, std::function<absl::Time()> now);

  Session Open(std::string secret, std::string key_id);
  // The session of a cookie value, if in force; marks it used.
  std::optional<Session> Find(absl::string_view id);
  void Close(absl::string_view id);
  // Ends every session of a key.
  void CloseKey(absl::string_view key_id);
  int size() const;

 private:
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> by_id_ ABSL_GUARDED_BY(mu_);
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_SESSIONS_H_
