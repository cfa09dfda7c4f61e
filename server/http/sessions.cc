#include "server/http/sessions.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/limits.h"

namespace dpmon {

std::string RandomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // No randomness: no safe session.
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

SessionStore::SessionStore(Options options, std::function<absl::Time()> now)
    : options_(options), now_(std::move(now)) {}

SessionStore::Session SessionStore::Open(std::string secret, std::string key_id) {
  Session s;
  s.id = RandomToken();
  s.csrf = RandomToken();
  s.secret = std::move(secret);
  s.key_id = std::move(key_id);
  s.created = s.last_used = now_();
  absl::MutexLock lock(&mu_);
  PruneLocked(s.created);
  if (static_cast<int>(by_id_.size()) >= limits::kSessionsMax) {
    // Full: the session unused longest makes room.
    auto oldest = by_id_.begin();
    for (auto it = by_id_.begin(); it != by_id_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    by_id_.erase(oldest);
  }
  by_id_[s.id] = s;
  return s;
}

std::optional<SessionStore::Session> SessionStore::Find(absl::string_view id) {
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  Session& s = it->second;
  if (now - s.last_used > options_.idle || now - s.created > options_.absolute) {
    by_id_.erase(it);
    return std::nullopt;
  }
  s.last_used = now;
  return s;
}

void SessionStore::Close(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  by_id_.erase(id);
}

void SessionStore::CloseKey(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, s] : by_id_) {
    if (s.key_id == key_id) ids.push_back(id);
  }
  for (const std::string& id : ids) by_id_.erase(id);
}

int SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(by_id_.size());
}

void SessionStore::PruneLocked(absl::Time now) {
  if (now - last_prune_ < absl::Minutes(1)) return;
  last_prune_ = now;
  std::vector<std::string> ended;
  for (const auto& [id, s] : by_id_) {
    if (now - s.last_used > options_.idle || now - s.created > options_.absolute) {
      ended.push_back(id);
    }
  }
  for (const std::string& id : ended) by_id_.erase(id);
}

}  // namespace dpmon
