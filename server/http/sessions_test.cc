#include "server/http/sessions.h"

#include "gtest/gtest.h"

namespace dpmon {
namespace {

class Sessions : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  SessionStore store_{{absl::Minutes(30), absl::Hours(12)}, [this] { return now_; }};
};

TEST_F(Sessions, AnOpenSessionIsFoundByItsIdAndNothingElse) {
  SessionStore::Session s = store_.Open("dpmon_k_secret", "k");
  EXPECT_EQ(s.id.size(), 43u);  // 32 random bytes, base64url.
  EXPECT_NE(s.id, s.csrf);
  ASSERT_TRUE(store_.Find(s.id).has_value());
  EXPECT_EQ(store_.Find(s.id)->secret, "dpmon_k_secret");
  EXPECT_FALSE(store_.Find("").has_value());
  EXPECT_FALSE(store_.Find(s.csrf).has_value());
  EXPECT_NE(store_.Open("dpmon_k_secret", "k").id, s.id);
}

TEST_F(Sessions, EndsWhenIdleButUseKeepsItAlive) {
  SessionStore::Session s = store_.Open("x", "k");
  now_ += absl::Minutes(29);
  EXPECT_TRUE(store_.Find(s.id).has_value());
  now_ += absl::Minutes(29);
  EXPECT_TRUE(store_.Find(s.id).has_value());
  now_ += absl::Minutes(31);
  EXPECT_FALSE(store_.Find(s.id).has_value());
  EXPECT_FALSE(store_.Find(s.id).has_value());
}

TEST_F(Sessions, EndsAtTheAbsoluteLimitHoweverBusy) {
  SessionStore::Session s = store_.Open("x", "k");
  for (int i = 0; i < 12 * 4 - 1; ++i) {
    now_ += absl::Minutes(15);
    ASSERT_TRUE(store_.Find(s.id).has_value()) << i;
  }
  now_ += absl::Minutes(16);
  EXPECT_FALSE(store_.Find(s.id).has_value());
}

TEST_F(Sessions, SignOutAndRevocationEndSessions) {
  SessionStore::Session a = store_.Open("x", "k1");
  SessionStore::Session b = store_.Open("x", "k1");
  SessionStore::Session c = store_.Open("y", "k2");
  store_.Close(a.id);
  EXPECT_FALSE(store_.Find(a.id).has_value());
  EXPECT_TRUE(store_.Find(b.id).has_value());
  store_.CloseKey("k1");
  EXPECT_FALSE(store_.Find(b.id).has_value());
  EXPECT_TRUE(store_.Find(c.id).has_value());
  EXPECT_EQ(store_.size(), 1);
}

}  // namespace
}  // namespace dpmon
