// Unit tests of server/auth: the method table against the proto, what a
// request names, tenancy, and KeyRegistry on a real store with a clock the
// test moves. Also the access log's storage: indexes, time ranges, paging
// and pruning.
#include "server/auth.h"

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpmon/v1/dpmon.pb.h"
#include "gtest/gtest.h"
#include "server/http/ops_endpoints.h"
#include "server/metrics.h"
#include "storage/store.h"

namespace dpmon {
namespace {

TEST(MethodRules, EveryApiMethodHasARuleAndEveryRuleAMethod) {
  const google::protobuf::FileDescriptor* file =
      v1::CreateCouncilRequest::descriptor()->file();  // dpmon.proto: the services
  std::set<std::string> api;
  for (int i = 0; i < file->service_count(); ++i) {
    for (int j = 0; j < file->service(i)->method_count(); ++j) {
      api.insert(absl::StrCat("/", file->service(i)->full_name(), "/",
                              file->service(i)->method(j)->name()));
    }
  }
  for (const std::string& m : api) EXPECT_NE(RuleFor(m), nullptr) << m;
  for (const std::string& m : MappedMethods()) {
    if (m.rfind("/grpc.", 0) == 0) continue;
    EXPECT_TRUE(api.count(m)) << m << " is mapped but is not an API method";
  }
  EXPECT_EQ(RuleFor("/dpmon.v1.Ledger/NoSuchMethod"), nullptr);
  EXPECT_TRUE(RuleFor("/grpc.health.v1.Health/Check")->public_method);
  EXPECT_FALSE(RuleFor("/dpmon.v1.Ledger/GetBalance")->public_method);
}

TEST(TargetOf, ReadsTheCouncilAndAccountARequestNames) {
  v1::GetAccountRequest get;
  get.set_name("councils/wilts/accounts/A1");
  Target t = TargetOf(get);
  EXPECT_EQ(t.council, "wilts");
  EXPECT_EQ(t.account, "A1");

  v1::UpdateAccountRequest update;
  update.mutable_account()->set_name("councils/bath/accounts/B2");
  t = TargetOf(update);
  EXPECT_EQ(t.council, "bath");
  EXPECT_EQ(t.account, "B2");

  v1::CreateAccountRequest create;
  create.set_parent("councils/york");
  create.set_account_id("Y9");
  t = TargetOf(create);
  EXPECT_EQ(t.council, "york");
  EXPECT_EQ(t.account, "Y9");

  v1::CreateCouncilRequest council;
  council.set_council_id("leeds");
  EXPECT_EQ(TargetOf(council).council, "leeds");

  v1::ListTransactionsRequest list;
  list.set_parent("councils/hull/accounts/H1");
  EXPECT_EQ(TargetOf(list).account, "H1");

  // Two fields naming different councils: both must be held.
  v1::ListAccessLogRequest log;
  log.set_council("councils/a");
  log.set_account("councils/b/accounts/X");
  t = TargetOf(log);
  EXPECT_EQ(t.council, "a\nb");

  EXPECT_EQ(TargetOf(v1::ListCouncilsRequest()).council, "");
  v1::RevokeApiKeyRequest revoke;
  revoke.set_name("keys/0123");
  EXPECT_EQ(TargetOf(revoke).council, "");
}

TEST(Authorize, NotFoundWordedAsForAMissingCouncil) {
  Principal p;
  p.key.set_role(v1::OFFICER);
  p.key.add_councils("wilts");
  EXPECT_TRUE(Authorize(p, "wilts").ok());
  EXPECT_TRUE(Authorize(p, "").ok());
  absl::Status s = Authorize(p, "bath");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "council \"bath\" not found");
  EXPECT_EQ(Authorize(p, "wilts\nbath").code(), absl::StatusCode::kNotFound);
  p.key.set_all_councils(true);
  p.key.clear_councils();
  EXPECT_TRUE(Authorize(p, "anything").ok());
}

TEST(Principal, SourcesLimitOnlyFeedKeys) {
  Principal feed;
  feed.key.set_role(v1::FEED);
  EXPECT_TRUE(feed.HoldsSource("cardco"));  // No list: every source.
  feed.key.add_sources("cardco");
  EXPECT_TRUE(feed.HoldsSource("cardco"));
  EXPECT_FALSE(feed.HoldsSource("bankx"));
}

TEST(ApiKeyAsOf, AKeyAsItStoodAtTheEndOfADay) {
  auto at = [](const char* t) {
    absl::Time out;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, t, &out, &err)) << t;
    return out;
  };
  v1::ApiKey key;
  key.set_create_time("2026-02-01T09:00:00.000Z");
  key.set_revoke_time("2026-03-01T12:00:00.000Z");
  key.set_revoker("keys/admin");
  key.set_expire_time("2026-06-01T00:00:00Z");
  auto as_of = [&](const char* end, bool show_revoked) {
    v1::ApiKey k = key;
    if (!ApiKeyAsOf(at(end), show_revoked, &k)) return std::string("absent");
    return k.revoke_time().empty() ? std::string("in force") : "revoked " + k.revoker();
  };
  EXPECT_EQ(as_of("2026-02-01T08:59:59Z", true), "absent");  // Not made yet.
  EXPECT_EQ(as_of("2026-02-01T09:00:00Z", false), "in force");
  EXPECT_EQ(as_of("2026-03-01T11:59:59Z", false), "in force");  // The revocation was later.
  EXPECT_EQ(as_of("2026-03-01T11:59:59Z", true), "in force");
  EXPECT_EQ(as_of("2026-03-01T12:00:00Z", false), "absent");
  EXPECT_EQ(as_of("2026-03-01T12:00:00Z", true), "revoked keys/admin");
  // Never revoked, but expired by then: not in force.
  key.clear_revoke_time();
  key.clear_revoker();
  EXPECT_EQ(as_of("2026-05-31T23:59:59Z", false), "in force");
  EXPECT_EQ(as_of("2026-06-01T00:00:00Z", false), "absent");
  EXPECT_EQ(as_of("2026-06-01T00:00:00Z", true), "in force");
}

class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        (std::filesystem::temp_directory_path() / absl::StrCat("dpmon_keys_", getpid())).string();
    std::filesystem::remove_all(dir_);
    StoreOptions o;
    o.path = dir_;
    ASSERT_TRUE(Store::Open(o, &store_).ok());
    keys_ = std::make_unique<KeyRegistry>(store_.get(), [this] { return now_; });
    ASSERT_TRUE(keys_->Load().ok());
    absl::StatusOr<IssuedKey> boot = keys_->BootstrapIfEmpty();
    ASSERT_TRUE(boot.ok());
    admin_token_ = boot->secret;
    admin_ = *keys_->Authenticate(admin_token_);
  }
  void TearDown() override {
    keys_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  absl::StatusOr<IssuedKey> Create(const v1::ApiKey& spec, const Principal* creator = nullptr) {
    return keys_->Create(spec, creator != nullptr ? *creator : *admin_, RequestKey{});
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::unique_ptr<KeyRegistry> keys_;
  std::string admin_token_;
  std::shared_ptr<const Principal> admin_;
};

v1::ApiKey Spec(v1::Role role, std::vector<std::string> councils) {
  v1::ApiKey k;
  k.set_display_name("test");
  k.set_role(role);
  for (auto& c : councils) k.add_councils(c);
  return k;
}

TEST_F(Registry, BootstrapOnlyWhenEmpty) {
  EXPECT_EQ(admin_->key.role(), v1::ADMIN);
  EXPECT_TRUE(admin_->key.all_councils());
  absl::StatusOr<IssuedKey> again = keys_->BootstrapIfEmpty();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->secret.empty());
}

TEST_F(Registry, SecretsAuthenticateAndNothingElseDoes) {
  absl::StatusOr<IssuedKey> k = Create(Spec(v1::OFFICER, {"wilts"}));
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_EQ(k->secret.rfind("dpmon_", 0), 0u);
  absl::StatusOr<std::shared_ptr<const Principal>> p = keys_->Authenticate(k->secret);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->name(), k->key.name());
  // Another key's id with this secret, this id with another secret, junk.
  std::string swapped = admin_token_.substr(0, 23) + k->secret.substr(23);
  EXPECT_EQ(keys_->Authenticate(swapped).status().code(), absl::StatusCode::kUnauthenticated);
  std::string changed = k->secret;
  changed[30] = changed[30] == 'x' ? 'y' : 'x';
  EXPECT_EQ(keys_->Authenticate(changed).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys_->Authenticate("dpmon_").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(keys_->Authenticate("").status().code(), absl::StatusCode::kUnauthenticated);
  // The store holds the hash, not the secret.
  absl::StatusOr<std::vector<storage::ApiKeyRecord>> stored = store_->LoadApiKeys();
  ASSERT_TRUE(stored.ok());
  for (const auto& r : *stored) {
    EXPECT_EQ(r.SerializeAsString().find(k->secret.substr(23)), std::string::npos);
    EXPECT_EQ(r.secret_sha256().size(), 32u);
  }
}

TEST_F(Registry, ExpiryFollowsTheClock) {
  v1::ApiKey spec = Spec(v1::AUDITOR, {"wilts"});
  spec.set_expire_time("2027-01-15T08:00:00Z");  // 1,800,000,000 is 2027-01-15T08:00:00Z
  EXPECT_EQ(Create(spec).status().code(), absl::StatusCode::kInvalidArgument);  // not future
  spec.set_expire_time("2027-01-15T09:00:00Z");
  absl::StatusOr<IssuedKey> k = Create(spec);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(keys_->Authenticate(k->secret).ok());
  now_ += absl::Minutes(59) + absl::Seconds(59);
  EXPECT_TRUE(keys_->Authenticate(k->secret).ok());
  EXPECT_NE(keys_->InForce(k->key.name().substr(5)), nullptr);
  now_ += absl::Seconds(1);
  EXPECT_EQ(keys_->Authenticate(k->secret).status().message(), "the API key has expired");
  EXPECT_EQ(keys_->InForce(k->key.name().substr(5)), nullptr);
}

TEST_F(Registry, RevocationIsImmediateAndSurvivesReload) {
  absl::StatusOr<IssuedKey> k = Create(Spec(v1::FEED, {"wilts"}));
  ASSERT_TRUE(k.ok());
  const std::string id = k->key.name().substr(5);
  absl::StatusOr<v1::ApiKey> r = keys_->Revoke(id, *admin_, RequestKey{});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->revoke_time().empty());
  EXPECT_EQ(r->revoker(), admin_->name());
  EXPECT_EQ(keys_->Authenticate(k->secret).status().message(), "the API key was revoked");
  KeyRegistry reloaded(store_.get(), [this] { return now_; });
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.Authenticate(k->secret).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(reloaded.Authenticate(admin_token_).ok());
  EXPECT_EQ(keys_->Revoke("ffffffffffffffff", *admin_, RequestKey{}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(Registry, TheLastAdminForEveryCouncilStays) {
  const std::string boot = admin_->key_id;
  EXPECT_EQ(keys_->Revoke(boot, *admin_, RequestKey{}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::ApiKey spec = Spec(v1::ADMIN, {});
  spec.set_all_councils(true);
  absl::StatusOr<IssuedKey> second = Create(spec);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(keys_->Revoke(boot, *admin_, RequestKey{}).ok());
  std::shared_ptr<const Principal> p = *keys_->Authenticate(second->secret);
  EXPECT_EQ(keys_->Revoke(second->key.name().substr(5), *p, RequestKey{}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(Registry, ValidationNamesTheField) {
  auto field_of = [this](const v1::ApiKey& spec) {
    absl::Status s = Create(spec).status();
    absl::optional<absl::Cord> f = s.GetPayload("dpmon.field");
    return f ? std::string(*f) : absl::StrCat("<", s.ToString(), ">");
  };
  v1::ApiKey k = Spec(v1::OFFICER, {"wilts"});
  k.set_display_name("");
  EXPECT_EQ(field_of(k), "api_key.display_name");
  k = Spec(v1::ROLE_UNSPECIFIED, {"wilts"});
  EXPECT_EQ(field_of(k), "api_key.role");
  k = Spec(v1::OFFICER, {});
  EXPECT_EQ(field_of(k), "api_key.councils");
  k = Spec(v1::OFFICER, {"wilts", "wilts"});
  EXPECT_EQ(field_of(k), "api_key.councils[1]");
  k = Spec(v1::OFFICER, {"bad id"});
  EXPECT_EQ(field_of(k), "api_key.councils[0]");
  k = Spec(v1::OFFICER, {"wilts"});
  k.add_sources("cardco");
  EXPECT_EQ(field_of(k), "api_key.sources");
  k = Spec(v1::OFFICER, {"wilts"});
  k.set_expire_time("tomorrow");
  EXPECT_EQ(field_of(k), "api_key.expire_time");
  k = Spec(v1::OFFICER, {"wilts"});
  k.set_kind(v1::CLIENT_CERTIFICATE);
  EXPECT_EQ(field_of(k), "api_key.certificate_common_name");
}

TEST_F(Registry, CertificatesMapToOneKeyInForce) {
  v1::ApiKey spec = Spec(v1::AUDITOR, {"wilts"});
  spec.set_kind(v1::CLIENT_CERTIFICATE);
  spec.set_certificate_common_name("audit-job");
  absl::StatusOr<IssuedKey> k = Create(spec);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(k->secret.empty());
  absl::StatusOr<std::shared_ptr<const Principal>> p = keys_->AuthenticateCertificate("audit-job");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->name(), k->key.name());
  EXPECT_EQ(Create(spec).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(keys_->AuthenticateCertificate("other").status().code(),
            absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(keys_->Revoke(k->key.name().substr(5), *admin_, RequestKey{}).ok());
  EXPECT_EQ(keys_->AuthenticateCertificate("audit-job").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Create(spec).ok());  // The name is free again.
}

TEST_F(Registry, AKeyGrantsAndSeesOnlyItsCouncils) {
  absl::StatusOr<IssuedKey> scoped = Create(Spec(v1::ADMIN, {"wilts", "bath"}));
  ASSERT_TRUE(scoped.ok());
  std::shared_ptr<const Principal> p = *keys_->Authenticate(scoped->secret);
  EXPECT_TRUE(Create(Spec(v1::OFFICER, {"wilts"}), p.get()).ok());
  EXPECT_EQ(Create(Spec(v1::OFFICER, {"york"}), p.get()).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ApiKey all = Spec(v1::OFFICER, {});
  all.set_all_councils(true);
  EXPECT_EQ(Create(all, p.get()).status().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Create(Spec(v1::OFFICER, {"york"})).ok());
  for (const v1::ApiKey& k : keys_->List(*p, true)) {
    EXPECT_FALSE(k.all_councils()) << k.name();
    for (const std::string& c : k.councils()) EXPECT_TRUE(c == "wilts" || c == "bath") << c;
  }
  EXPECT_EQ(keys_->List(*admin_, true).size(), 4u);  // boot, scoped, wilts, york
}

// ---------------------------------------------------------------------------
// The access log's storage.

v1::AccessLogEntry Entry(const std::string& key, const std::string& council,
                         const std::string& account, const std::string& method) {
  v1::AccessLogEntry e;
  e.set_key(key);
  e.set_council(council);
  e.set_account(account);
  e.set_method(method);
  e.set_code("OK");
  return e;
}

TEST_F(Registry, AccessLogIndexesRangesPagesAndPruning) {
  std::vector<Store::AccessWrite> writes;
  // 100 calls, one a second from t0: alternately by keys/k1 on wilts/A1 and
  // keys/k2 on bath/B1; every 10th names no council.
  const int64_t t0 = 1'800'000'000'000'000;
  for (int i = 0; i < 100; ++i) {
    Store::AccessWrite w;
    w.micros = t0 + int64_t{i} * 1'000'000;
    const bool one = i % 2 == 0;
    w.entry = i % 10 == 9 ? Entry("keys/k2", "", "", absl::StrCat("m", i))
                          : Entry(one ? "keys/k1" : "keys/k2", one ? "wilts" : "bath",
                                  one ? "A1" : "B1", absl::StrCat("m", i));
    writes.push_back(w);
  }
  ASSERT_TRUE(store_->AppendAccessLog(writes).ok());
  auto list = [this](Store::AccessQuery q, int limit, int scan_max = 1'000'000) {
    std::vector<std::string> methods;
    std::string after;
    do {
      absl::StatusOr<Page<v1::AccessLogEntry>> p = store_->ListAccessLog(q, after, limit, scan_max);
      EXPECT_TRUE(p.ok());
      if (!p.ok()) break;
      for (const auto& e : p->items) methods.push_back(e.method());
      after = p->next_key;
    } while (!after.empty());
    return methods;
  };
  // Independent expectations, newest first.
  auto expect = [&](const std::function<bool(int)>& keep, int from = 0, int to = 100) {
    std::vector<std::string> out;
    for (int i = to - 1; i >= from; --i) {
      if (keep(i)) out.push_back(absl::StrCat("m", i));
    }
    return out;
  };
  Store::AccessQuery q;
  EXPECT_EQ(list(q, 7), expect([](int) { return true; }));
  q.council = "wilts";
  q.account = "A1";
  EXPECT_EQ(list(q, 5), expect([](int i) { return i % 2 == 0; }));
  q = {};
  q.council = "bath";
  EXPECT_EQ(list(q, 1000), expect([](int i) { return i % 2 == 1 && i % 10 != 9; }));
  q = {};
  q.key_id = "k2";
  q.start_micros = t0 + 20'000'000;
  q.end_micros = t0 + 40'000'000;
  EXPECT_EQ(list(q, 3), expect([](int i) { return i % 2 == 1; }, 20, 40));
  // A page that examines few entries still gets everywhere.
  q = {};
  q.council = "wilts";
  EXPECT_EQ(list(q, 1000, 4), expect([](int i) { return i % 2 == 0; }));

  // Pruning before t0 + 50 s leaves entries 50..99 in every index.
  absl::StatusOr<int64_t> pruned = store_->PruneAccessLog(t0 + 50'000'000);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 50);
  EXPECT_EQ(list({}, 1000), expect([](int) { return true; }, 50));
  q = {};
  q.council = "wilts";
  q.account = "A1";
  EXPECT_EQ(list(q, 1000), expect([](int i) { return i % 2 == 0; }, 50));
  q = {};
  q.key_id = "k2";
  EXPECT_EQ(list(q, 1000), expect([](int i) { return i % 2 == 1; }, 50));

  // New entries after a reopen sort after the old ones even at the same time.
  keys_.reset();
  store_.reset();
  StoreOptions o;
  o.path = dir_;
  ASSERT_TRUE(Store::Open(o, &store_).ok());
  Store::AccessWrite late;
  late.micros = t0 + 99'000'000;
  late.entry = Entry("keys/k1", "wilts", "A1", "late");
  ASSERT_TRUE(store_->AppendAccessLog({late}).ok());
  std::vector<std::string> all = list({}, 1000);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0], "late");
  EXPECT_EQ(all.size(), 51u);
}

// GET /metrics: anyone on this machine; from elsewhere, an ADMIN key only.
TEST_F(Registry, MetricsOffThisMachineNeedAnAdminKey) {
  Metrics metrics;
  OpsEndpoints ops(&metrics, store_.get(), nullptr, keys_.get());
  auto get = [&](const std::string& path, const std::string& peer, const std::string& token) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.peer = peer;
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    return ops.Handle(r);
  };
  absl::StatusOr<IssuedKey> officer = Create(Spec(v1::OFFICER, {"c"}));
  ASSERT_TRUE(officer.ok());
  EXPECT_EQ(get("/metrics", "127.0.0.1:4000", "")->status, 200);
  EXPECT_EQ(get("/metrics", "[::1]:4000", "")->status, 200);
  EXPECT_EQ(get("/metrics", "10.1.2.3:4000", "")->status, 401);
  EXPECT_EQ(get("/metrics", "10.1.2.3:4000", "dpmon_nonsense")->status, 401);
  EXPECT_EQ(get("/metrics", "10.1.2.3:4000", officer->secret)->status, 403);
  std::optional<HttpResponse> admin = get("/metrics", "10.1.2.3:4000", admin_token_);
  EXPECT_EQ(admin->status, 200);
  EXPECT_NE(admin->body.find("dpmon_commit_groups_total"), std::string::npos);
  // No secret reaches the exposition.
  EXPECT_EQ(admin->body.find(admin_token_), std::string::npos);
  EXPECT_EQ(get("/readyz", "10.1.2.3:4000", "")->status, 503);
  ops.set_ready(true);
  EXPECT_EQ(get("/readyz", "10.1.2.3:4000", "")->status, 200);
  EXPECT_EQ(get("/healthz", "10.1.2.3:4000", "")->status, 200);
  EXPECT_FALSE(get("/dashboard", "127.0.0.1:4000", "").has_value());
  HttpRequest post;
  post.method = "POST";
  post.path = "/metrics";
  post.peer = "127.0.0.1:1";
  EXPECT_EQ(ops.Handle(post)->status, 405);
}

TEST(MicrosAsSeconds, WritesSecondsFromIntegerMicroseconds) {
  EXPECT_EQ(MicrosAsSeconds(0), "0");
  EXPECT_EQ(MicrosAsSeconds(100), "0.0001");
  EXPECT_EQ(MicrosAsSeconds(250), "0.00025");
  EXPECT_EQ(MicrosAsSeconds(1'000'000), "1");
  EXPECT_EQ(MicrosAsSeconds(61'500'000), "61.5");
  EXPECT_EQ(MicrosAsSeconds(-1'250'000), "-1.25");
}

}  // namespace
}  // namespace dpmon
