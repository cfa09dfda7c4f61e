#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"
#include "server/access_log.h"
#include "server/metrics.h"
#include "server/status_util.h"

namespace dpmon {
namespace {

using v1::ADMIN;
using v1::AUDITOR;
using v1::FEED;
using v1::OFFICER;

constexpr char kTokenPrefix[] = "dpmon_";
constexpr size_t kKeyIdHexChars = 16;
constexpr size_t kSecretBytes = 32;
constexpr size_t kLogMessageBytesMax = 200;

// The permission matrix. ADMIN may call every mapped method; the roles below
// are the others that may. docs/auth.md has the same table.
struct Entry {
  const char* method;
  MethodRule rule;
};
MethodRule Public() { return MethodRule{true, false, {}}; }
MethodRule AnyRole() { return MethodRule{false, true, {}}; }
MethodRule AdminOnly() { return MethodRule{false, false, {}}; }
MethodRule Roles(std::vector<v1::Role> roles) { return MethodRule{false, false, std::move(roles)}; }
const std::vector<Entry>& Table() {
  static const auto* table = new std::vector<Entry>{
      {"/grpc.health.v1.Health/Check", Public()},
      {"/grpc.health.v1.Health/Watch", Public()},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", AnyRole()},
      {"/dpmon.v1.Identity/GetCaller", AnyRole()},

      {"/dpmon.v1.Councils/CreateCouncil", AdminOnly()},
      {"/dpmon.v1.Councils/GetCouncil", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Councils/ListCouncils", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Councils/UpdatePolicy", AdminOnly()},

      {"/dpmon.v1.Accounts/CreateAccount", AdminOnly()},
      {"/dpmon.v1.Accounts/GetAccount", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Accounts/ListAccounts", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Accounts/UpdateAccount", AdminOnly()},
      {"/dpmon.v1.Accounts/AddExternalRef", AdminOnly()},
      {"/dpmon.v1.Accounts/ChangeAccountStatus", Roles({OFFICER})},
      {"/dpmon.v1.Accounts/CreatePlanVersion", AdminOnly()},
      {"/dpmon.v1.Accounts/UpsertEarmark", Roles({OFFICER})},
      {"/dpmon.v1.Accounts/RecordReview", Roles({OFFICER})},
      {"/dpmon.v1.Accounts/RecordAudit", Roles({AUDITOR})},
      {"/dpmon.v1.Accounts/RecordRecovery", Roles({AUDITOR})},
      {"/dpmon.v1.Accounts/ListRecoveries", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Accounts/AddCaseNote", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Accounts/ListCaseNotes", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Accounts/SearchAccounts", Roles({OFFICER, AUDITOR})},

      {"/dpmon.v1.Audits/ListAuditsDue", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Audits/ListAccountRisks", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Audits/GetAuditPack", Roles({OFFICER, AUDITOR})},

      {"/dpmon.v1.Ledger/IngestBatch", Roles({FEED})},
      {"/dpmon.v1.Ledger/StreamIngest", Roles({FEED})},
      {"/dpmon.v1.Ledger/ListTransactions", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Ledger/ListStatements", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Ledger/ListSuspense", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Ledger/GetBalance", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Ledger/GetCategoryTotals", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Ledger/RecategoriseTransaction", Roles({OFFICER})},

      {"/dpmon.v1.Monitoring/EvaluateCouncil", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Monitoring/ComputeFlagReport", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Monitoring/ListFlags", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Monitoring/CountFlags", Roles({OFFICER, AUDITOR})},
      {"/dpmon.v1.Monitoring/AcknowledgeFlag", Roles({OFFICER})},
      {"/dpmon.v1.Monitoring/ResolveFlag", Roles({OFFICER})},
      {"/dpmon.v1.Monitoring/GetAccountOverview", Roles({OFFICER, AUDITOR})},

      {"/dpmon.v1.Admin/CreateApiKey", AdminOnly()},
      {"/dpmon.v1.Admin/ListApiKeys", AdminOnly()},
      {"/dpmon.v1.Admin/RevokeApiKey", AdminOnly()},
      {"/dpmon.v1.Admin/ListAccessLog", AdminOnly()},
      {"/dpmon.v1.Admin/CreateBackup", AdminOnly()},
      {"/dpmon.v1.Admin/ListBackups", AdminOnly()},
      {"/dpmon.v1.Admin/VerifyBackup", AdminOnly()},
      {"/dpmon.v1.Admin/PruneBackups", AdminOnly()},
      {"/dpmon.v1.Admin/CheckIntegrity", AdminOnly()},
  };
  return *table;
}

std::string Sha256(absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) return "";
  return std::string(reinterpret_cast<char*>(out), len);
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return absl::UnavailableError("no randomness available for a key");
  }
  return out;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::Status Unauthenticated(absl::string_view why) { return absl::UnauthenticatedError(why); }

}  // namespace

// ---------------------------------------------------------------------------
// Principal, rules, targets

bool Principal::HoldsCouncil(absl::string_view council) const {
  if (superuser || key.all_councils()) return true;
  return std::find(key.councils().begin(), key.councils().end(), council) != key.councils().end();
}

bool Principal::HoldsSource(absl::string_view source) const {
  if (superuser || key.role() != FEED || key.sources().empty()) return true;
  return std::find(key.sources().begin(), key.sources().end(), source) != key.sources().end();
}

const MethodRule* RuleFor(absl::string_view method) {
  static const auto* by_method = [] {
    auto* m = new absl::flat_hash_map<std::string, const MethodRule*>();
    for (const Entry& e : Table()) (*m)[e.method] = &e.rule;
    return m;
  }();
  auto it = by_method->find(method);
  return it == by_method->end() ? nullptr : it->second;
}

std::vector<std::string> MappedMethods() {
  std::vector<std::string> out;
  for (const Entry& e : Table()) out.emplace_back(e.method);
  return out;
}

Target TargetOf(const google::protobuf::Message& request) {
  Target t;
  const google::protobuf::Descriptor* d = request.GetDescriptor();
  const google::protobuf::Reflection* r = request.GetReflection();
  for (const char* field : {"name", "parent", "council", "account"}) {
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(field);
    if (f == nullptr || f->is_repeated()) continue;
    std::string value;
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      value = r->GetString(request, f);
    } else if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      const google::protobuf::Message& sub = r->GetMessage(request, f);
      const google::protobuf::FieldDescriptor* n = sub.GetDescriptor()->FindFieldByName("name");
      if (n == nullptr || n->type() != google::protobuf::FieldDescriptor::TYPE_STRING) continue;
      value = sub.GetReflection()->GetString(sub, n);
    }
    const AccountRef ids = LeadingIds(value);
    Target candidate;
    candidate.council = ids.council;
    candidate.account = ids.account;
    if (candidate.council.empty()) continue;
    if (t.council.empty()) {
      t = candidate;
    } else if (candidate.council != t.council) {
      // Two fields naming different councils: authorize the first, and let
      // the second be checked too by naming it (Authorize of both).
      t.council += std::string("\n") + candidate.council;
    } else if (t.account.empty()) {
      t.account = candidate.account;
    }
  }
  if (t.council.empty()) {
    if (const auto* f = d->FindFieldByName("council_id");
        f != nullptr && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      t.council = r->GetString(request, f);
    }
  }
  if (!t.council.empty() && t.account.empty()) {
    if (const auto* f = d->FindFieldByName("account_id");
        f != nullptr && f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      t.account = r->GetString(request, f);
    }
  }
  return t;
}

absl::Status Authorize(const Principal& principal, absl::string_view council) {
  // A target naming two councils must hold both.
  for (absl::string_view c : absl::StrSplit(council, '\n')) {
    if (c.empty() || principal.HoldsCouncil(c)) continue;
    // Worded exactly as the store words a council that does not exist.
    return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", c));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// KeyRegistry

KeyRegistry::KeyRegistry(Store* store, std::function<absl::Time()> now)
    : store_(store), now_(std::move(now)) {}

absl::Status KeyRegistry::Put(const storage::ApiKeyRecord& record) {
  auto p = std::make_shared<Principal>();
  p->key = record.key();
  p->key_id = std::string(absl::StripPrefix(record.key().name(), "keys/"));
  p->secret_sha256 = record.secret_sha256();
  if (!record.key().expire_time().empty()) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, record.key().expire_time(), &p->expires, &err)) {
      return absl::DataLossError(absl::StrCat("key ", p->key_id, " has an unreadable expire_time"));
    }
  }
  absl::MutexLock lock(&mu_);
  if (p->key.kind() == v1::CLIENT_CERTIFICATE && p->key.revoke_time().empty()) {
    by_common_name_[p->key.certificate_common_name()] = p->key_id;
  }
  by_id_[p->key_id] = std::move(p);
  return absl::OkStatus();
}

absl::Status KeyRegistry::Load() {
  absl::StatusOr<std::vector<storage::ApiKeyRecord>> records = store_->LoadApiKeys();
  if (!records.ok()) return records.status();
  for (const storage::ApiKeyRecord& r : *records) {
    if (absl::Status s = Put(r); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<IssuedKey> KeyRegistry::BootstrapIfEmpty() {
  {
    absl::MutexLock lock(&mu_);
    if (!by_id_.empty()) return IssuedKey{};
  }
  v1::ApiKey key;
  key.set_display_name("bootstrap administrator");
  key.set_role(ADMIN);
  key.set_all_councils(true);
  key.set_kind(v1::SECRET);
  return Issue(std::move(key), "bootstrap", RequestKey{});
}

absl::StatusOr<IssuedKey> KeyRegistry::Issue(v1::ApiKey key, const std::string& creator,
                                             const RequestKey& request_key) {
  absl::StatusOr<std::string> id_bytes = RandomBytes(kKeyIdHexChars / 2);
  if (!id_bytes.ok()) return id_bytes.status();
  const std::string key_id = absl::BytesToHexString(*id_bytes);
  key.set_name(absl::StrCat("keys/", key_id));
  key.set_create_time(Rfc3339(now_()));
  key.set_creator(creator);
  storage::ApiKeyRecord record;
  IssuedKey issued;
  if (key.kind() != v1::CLIENT_CERTIFICATE) {
    key.set_kind(v1::SECRET);
    absl::StatusOr<std::string> secret_bytes = RandomBytes(kSecretBytes);
    if (!secret_bytes.ok()) return secret_bytes.status();
    std::string secret;
    absl::WebSafeBase64Escape(*secret_bytes, &secret);
    issued.secret = absl::StrCat(kTokenPrefix, key_id, "_", secret);
    record.set_secret_sha256(Sha256(secret));
  }
  *record.mutable_key() = key;
  absl::StatusOr<v1::ApiKey> stored = store_->CreateApiKey(record, request_key);
  if (!stored.ok()) return stored.status();
  if (stored->name() != key.name()) {
    // A retried request: the first one made the key, and its secret was
    // shown then and is kept nowhere.
    return absl::AlreadyExistsError(absl::StrFormat(
        "request_id \"%s\" already created %s; its secret was shown once and is not kept "
        "(revoke it and create another if it was lost)",
        request_key.request_id, stored->name()));
  }
  if (absl::Status s = Put(record); !s.ok()) return s;
  issued.key = std::move(key);
  return issued;
}

absl::StatusOr<IssuedKey> KeyRegistry::Create(const v1::ApiKey& spec, const Principal& creator,
                                              const RequestKey& request_key) {
  v1::ApiKey key;
  if (absl::Status s = ValidateText(spec.display_name());
      !s.ok() || spec.display_name().empty() ||
      spec.display_name().size() > limits::kKeyNameBytesMax) {
    return InvalidField("api_key.display_name",
                        s.ok() ? "is required, at most 200 bytes" : s.message());
  }
  key.set_display_name(spec.display_name());
  if (spec.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(spec.role())) {
    return InvalidField("api_key.role", "must be FEED, OFFICER, AUDITOR or ADMIN");
  }
  key.set_role(spec.role());
  if (spec.all_councils() == (spec.councils_size() > 0)) {
    return InvalidField("api_key.councils",
                        "give either councils or all_councils (a key acts for some councils)");
  }
  if (spec.councils_size() > limits::kCouncilsPerKeyMax) {
    return InvalidField("api_key.councils", "at most 1000");
  }
  if (spec.all_councils() && !creator.superuser && !creator.key.all_councils()) {
    return absl::PermissionDeniedError(
        "api_key.all_councils: a key may grant only councils its creator holds");
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < spec.councils_size(); ++i) {
    const std::string field = absl::StrCat("api_key.councils[", i, "]");
    if (absl::Status s = ValidateId(spec.councils(i)); !s.ok())
      return InvalidField(field, s.message());
    if (!seen.insert(spec.councils(i)).second) return InvalidField(field, "is repeated");
    if (!creator.HoldsCouncil(spec.councils(i))) {
      return absl::PermissionDeniedError(
          absl::StrCat(field, ": a key may grant only councils its creator holds"));
    }
  }
  key.set_all_councils(spec.all_councils());
  *key.mutable_councils() = spec.councils();
  if (spec.sources_size() > 0 && spec.role() != FEED) {
    return InvalidField("api_key.sources", "only FEED keys are limited to sources");
  }
  if (spec.sources_size() > limits::kSourcesPerKeyMax)
    return InvalidField("api_key.sources", "at most 100");
  seen.clear();
  for (int i = 0; i < spec.sources_size(); ++i) {
    const std::string field = absl::StrCat("api_key.sources[", i, "]");
    if (absl::Status s = ValidateFeedId(spec.sources(i)); !s.ok()) {
      return InvalidField(field, s.message());
    }
    if (!seen.insert(spec.sources(i)).second) return InvalidField(field, "is repeated");
  }
  *key.mutable_sources() = spec.sources();
  if (!spec.expire_time().empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, spec.expire_time(), &t, &err)) {
      return InvalidField("api_key.expire_time",
                          "must be an RFC 3339 time, e.g. 2027-03-31T00:00:00Z");
    }
    if (t <= now_()) return InvalidField("api_key.expire_time", "is not in the future");
    key.set_expire_time(Rfc3339(t));
  }
  if (spec.kind() == v1::CLIENT_CERTIFICATE) {
    const std::string& cn = spec.certificate_common_name();
    if (absl::Status s = ValidateText(cn);
        !s.ok() || cn.empty() || cn.size() > limits::kKeyNameBytesMax) {
      return InvalidField("api_key.certificate_common_name",
                          "is required for a CLIENT_CERTIFICATE key, at most 200 bytes");
    }
    absl::MutexLock lock(&mu_);
    if (by_common_name_.contains(cn)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("a key in force already maps certificate common name \"%s\"", cn));
    }
    key.set_kind(v1::CLIENT_CERTIFICATE);
    key.set_certificate_common_name(cn);
  } else if (!v1::ApiKeyKind_IsValid(spec.kind())) {
    return InvalidField("api_key.kind", "must be SECRET or CLIENT_CERTIFICATE");
  } else if (!spec.certificate_common_name().empty()) {
    return InvalidField("api_key.certificate_common_name", "only for CLIENT_CERTIFICATE keys");
  }
  return Issue(std::move(key), creator.name(), request_key);
}

absl::StatusOr<v1::ApiKey> KeyRegistry::Revoke(absl::string_view key_id, const Principal& revoker,
                                               const RequestKey& request_key) {
  std::shared_ptr<const Principal> target;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(key_id);
    if (it != by_id_.end()) target = it->second;
  }
  // A key outside the revoker's councils is as good as absent.
  const auto within = [&revoker](const Principal& p) {
    if (revoker.superuser || revoker.key.all_councils()) return true;
    if (p.key.all_councils()) return false;
    for (const std::string& c : p.key.councils()) {
      if (!revoker.HoldsCouncil(c)) return false;
    }
    return true;
  };
  if (target == nullptr || !within(*target)) {
    return absl::NotFoundError(absl::StrFormat("key \"keys/%s\" not found", key_id));
  }
  // Nobody may lock every administrator out: the last ADMIN key for every
  // council stays until another exists.
  if (target->key.role() == ADMIN && target->key.all_councils() &&
      target->key.revoke_time().empty()) {
    int others = 0;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [id, p] : by_id_) {
        if (id != target->key_id && p->key.role() == ADMIN && p->key.all_councils() &&
            p->key.revoke_time().empty() && now_() < p->expires) {
          ++others;
        }
      }
    }
    if (others == 0) {
      return absl::FailedPreconditionError(
          "this is the last ADMIN key for every council in force; create another first");
    }
  }
  absl::StatusOr<v1::ApiKey> revoked =
      store_->RevokeApiKey(std::string(key_id), Rfc3339(now_()), revoker.name(), request_key);
  if (!revoked.ok()) return revoked.status();
  storage::ApiKeyRecord record;
  *record.mutable_key() = *revoked;
  record.set_secret_sha256(target->secret_sha256);
  {
    absl::MutexLock lock(&mu_);
    if (auto it = by_common_name_.find(target->key.certificate_common_name());
        it != by_common_name_.end() && it->second == target->key_id) {
      by_common_name_.erase(it);
    }
  }
  if (absl::Status s = Put(record); !s.ok()) return s;
  return revoked;
}

namespace {
// Whether `t` (RFC 3339, "" = never) is at or before `end`.
bool AtOrBefore(const std::string& t, absl::Time end) {
  absl::Time when;
  std::string unused;
  return !t.empty() && absl::ParseTime(absl::RFC3339_full, t, &when, &unused) && when <= end;
}
}  // namespace

bool ApiKeyAsOf(absl::Time end, bool show_revoked, v1::ApiKey* key) {
  if (!AtOrBefore(key->create_time(), end)) return false;
  if (!AtOrBefore(key->revoke_time(), end)) {
    key->clear_revoke_time();  // Revoked later, if at all: in force then.
    key->clear_revoker();
  }
  const bool ended = !key->revoke_time().empty() || AtOrBefore(key->expire_time(), end);
  return show_revoked || !ended;
}

std::vector<v1::ApiKey> KeyRegistry::List(const Principal& caller, bool show_revoked) const {
  std::vector<v1::ApiKey> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, p] : by_id_) {
    if (!show_revoked && !p->key.revoke_time().empty()) continue;
    bool visible = caller.superuser || caller.key.all_councils();
    if (!visible && !p->key.all_councils()) {
      visible = std::all_of(p->key.councils().begin(), p->key.councils().end(),
                            [&caller](const std::string& c) { return caller.HoldsCouncil(c); });
    }
    if (visible) out.push_back(p->key);
  }
  std::sort(out.begin(), out.end(),
            [](const v1::ApiKey& a, const v1::ApiKey& b) { return a.name() < b.name(); });
  return out;
}

std::shared_ptr<const Principal> KeyRegistry::InForce(absl::string_view key_id) const {
  std::shared_ptr<const Principal> p;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(key_id);
    if (it == by_id_.end()) return nullptr;
    p = it->second;
  }
  if (!p->key.revoke_time().empty() || now_() >= p->expires) return nullptr;
  return p;
}

absl::StatusOr<std::shared_ptr<const Principal>> KeyRegistry::Authenticate(
    absl::string_view token) const {
  absl::string_view rest = token;
  if (!absl::ConsumePrefix(&rest, kTokenPrefix) || rest.size() <= kKeyIdHexChars + 1 ||
      rest[kKeyIdHexChars] != '_') {
    return Unauthenticated("the API key is not in the form dpmon_{key_id}_{secret}");
  }
  const absl::string_view key_id = rest.substr(0, kKeyIdHexChars);
  const absl::string_view secret = rest.substr(kKeyIdHexChars + 1);
  std::shared_ptr<const Principal> p;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_id_.find(key_id);
    if (it != by_id_.end()) p = it->second;
  }
  const std::string hash = Sha256(secret);
  if (p == nullptr || p->secret_sha256.size() != hash.size() ||
      CRYPTO_memcmp(p->secret_sha256.data(), hash.data(), hash.size()) != 0) {
    return Unauthenticated("unknown API key");
  }
  if (!p->key.revoke_time().empty()) return Unauthenticated("the API key was revoked");
  if (now_() >= p->expires) return Unauthenticated("the API key has expired");
  return p;
}

absl::StatusOr<std::shared_ptr<const Principal>> KeyRegistry::AuthenticateCertificate(
    absl::string_view common_name) const {
  std::string key_id;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_common_name_.find(common_name);
    if (it == by_common_name_.end()) {
      return Unauthenticated(
          absl::StrFormat("no key maps client certificate common name \"%s\"", common_name));
    }
    key_id = it->second;
  }
  std::shared_ptr<const Principal> p = InForce(key_id);
  if (p == nullptr) return Unauthenticated("the client certificate's key has expired");
  return p;
}

// ---------------------------------------------------------------------------
// AuthProcessor

absl::StatusOr<std::shared_ptr<const Principal>> Identify(const KeyRegistry& keys,
                                                          const std::string* authorization,
                                                          const grpc::AuthContext* auth) {
  if (!keys.enforce()) {
    static const auto* superuser = [] {
      auto* p = new Principal;
      p->key_id = "-";
      p->key.set_name("keys/-");
      p->key.set_display_name("anyone (--auth=off)");
      p->key.set_role(ADMIN);
      p->key.set_all_councils(true);
      p->superuser = true;
      return p;
    }();
    return std::shared_ptr<const Principal>(std::shared_ptr<const Principal>(), superuser);
  }
  if (authorization != nullptr) {
    absl::string_view value = *authorization;
    if (!absl::ConsumePrefix(&value, "Bearer ")) {
      return Unauthenticated("authorization must be \"Bearer dpmon_...\"");
    }
    return keys.Authenticate(value);
  }
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> cn = auth->FindPropertyValues("x509_common_name");
    if (!cn.empty()) {
      return keys.AuthenticateCertificate(absl::string_view(cn[0].data(), cn[0].size()));
    }
  }
  return Unauthenticated(
      "no API key: send \"authorization: Bearer dpmon_...\" (dpctl: DPMON_API_KEY or "
      "--key_file)");
}

grpc::Status AuthProcessor::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                                    OutputMetadata* /*consumed_auth_metadata*/,
                                    OutputMetadata* /*response_metadata*/) {
  absl::string_view method;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    method = absl::string_view(it->second.data(), it->second.size());
  }
  const MethodRule* rule = RuleFor(method);
  if (rule != nullptr && rule->public_method) return grpc::Status::OK;
  std::string authorization;
  bool has_authorization = false;
  if (auto it = auth_metadata.find("authorization"); it != auth_metadata.end()) {
    authorization.assign(it->second.data(), it->second.size());
    has_authorization = true;
  }
  absl::StatusOr<std::shared_ptr<const Principal>> principal =
      Identify(*keys_, has_authorization ? &authorization : nullptr, context);
  absl::Status status = principal.status();
  if (status.ok()) status = Permit(**principal, method);
  if (status.ok()) return grpc::Status::OK;
  if (log_ != nullptr) {
    log_->Record(AccessEntry(principal.ok() ? principal->get() : nullptr, method, status),
                 keys_->Now());
  }
  if (metrics_ != nullptr) metrics_->ObserveCall(std::string(method), status.code(), {});
  return ToGrpc(status);
}

absl::Status Permit(const Principal& principal, absl::string_view method) {
  const MethodRule* rule = RuleFor(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " is not open to any role (deny by default)"));
  }
  if (rule->public_method || rule->any_role || principal.HasRole(ADMIN) ||
      std::find(rule->roles.begin(), rule->roles.end(), principal.key.role()) !=
          rule->roles.end()) {
    return absl::OkStatus();
  }
  std::vector<std::string> may;
  for (v1::Role r : rule->roles) may.push_back(v1::Role_Name(r));
  may.push_back(v1::Role_Name(v1::ADMIN));
  return absl::PermissionDeniedError(absl::StrFormat(
      "role %s may not call %s: it needs a key with the role %s (ask an ADMIN for one: dpctl "
      "admin keys create)",
      v1::Role_Name(principal.key.role()), method, absl::StrJoin(may, " or ")));
}

v1::AccessLogEntry AccessEntry(const Principal* caller, absl::string_view method,
                               const absl::Status& status) {
  v1::AccessLogEntry e;
  if (caller != nullptr) {
    e.set_key(caller->name());
    e.set_key_display_name(caller->key.display_name());
  }
  e.set_method(std::string(method));
  e.set_code(absl::StatusCodeToString(status.code()));
  if (!status.ok()) e.set_message(std::string(status.message().substr(0, kLogMessageBytesMax)));
  return e;
}

absl::StatusOr<std::shared_ptr<const Principal>> CallerOf(const KeyRegistry& keys,
                                                          const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  std::string authorization;
  auto it = md.find("authorization");
  if (it != md.end()) authorization.assign(it->second.data(), it->second.size());
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  return Identify(keys, it != md.end() ? &authorization : nullptr, auth.get());
}

}  // namespace dpmon
