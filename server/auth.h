// Who may do what (docs/auth.md): API keys, roles, council tenancy.
//
// Every call passes through AuthProcessor before any handler runs. It finds
// the key (an `authorization: Bearer dpmon_...` header, or a verified TLS
// client certificate mapped to a CLIENT_CERTIFICATE key), refuses a missing,
// unknown, revoked or expired one (UNAUTHENTICATED) and a role the method's
// rule does not name (PERMISSION_DENIED; a method without a rule is refused),
// and nothing else: an AuthContext belongs to the connection, not the call,
// so nothing per call may be kept there. The handlers identify the caller
// again from the call's own metadata (CallerOf, the same code) and check
// council tenancy through Authorize (services: Serve), which answers
// NOT_FOUND for another council's resources, exactly as if they did not
// exist.
//
// Thread-safety: KeyRegistry and AuthProcessor are safe for concurrent use.
#ifndef DPMON_SERVER_AUTH_H_
#define DPMON_SERVER_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dpmon/v1/resources.pb.h"
#include "dpmon/v1/storage.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "storage/store.h"

namespace dpmon {

class AccessLog;
class Metrics;

// The key a call is made with, as it was when the call was authenticated.
struct Principal {
  std::string key_id;
  v1::ApiKey key;
  std::string secret_sha256;
  absl::Time expires = absl::InfiniteFuture();
  bool superuser = false;  // The stand-in of --auth=off: every role, every council.

  std::string name() const { return "keys/" + key_id; }
  bool HoldsCouncil(absl::string_view council) const;
  bool HoldsSource(absl::string_view source) const;
  bool HasRole(v1::Role role) const { return superuser || key.role() == role; }
};

// Which roles may call a method ("/dpmon.v1.Ledger/GetBalance").
struct MethodRule {
  bool public_method = false;  // No key needed (health checks).
  bool any_role = false;       // Any valid key (reflection, Identity).
  std::vector<v1::Role> roles;
};
// nullptr for a method nobody mapped: it is refused.
const MethodRule* RuleFor(absl::string_view method);
// Every mapped method.
std::vector<std::string> MappedMethods();

// The council (and account) a request names, read from its fields by
// convention: `name`, `parent`, `council`, `account` (a string, or a message
// with a `name`) holding "councils/{c}[/accounts/{a}...]", or `council_id`
// and `account_id` (CreateCouncil, CreateAccount).
struct Target {
  std::string council;
  std::string account;
};
Target TargetOf(const google::protobuf::Message& request);

// NOT_FOUND, worded as for a council that does not exist, unless the
// principal holds the council.
absl::Status Authorize(const Principal& principal, absl::string_view council);

// A new key's secret: "dpmon_{key_id}_{secret}".
struct IssuedKey {
  v1::ApiKey key;
  std::string secret;
};

// The keys, held in memory (a few hundred at most) and written through to
// the store.
class KeyRegistry {
 public:
  KeyRegistry(Store* store, std::function<absl::Time()> now);

  absl::Status Load();
  // If the store holds no key: creates an ADMIN key for every council and
  // returns it; otherwise returns an empty IssuedKey.
  absl::StatusOr<IssuedKey> BootstrapIfEmpty();

  // The principal of a presented bearer token, or UNAUTHENTICATED.
  absl::StatusOr<std::shared_ptr<const Principal>> Authenticate(absl::string_view token) const;
  // The principal of a verified client certificate's common name.
  absl::StatusOr<std::shared_ptr<const Principal>> AuthenticateCertificate(
      absl::string_view common_name) const;
  // The principal of a key id if the key is still in force, else nullptr.
  std::shared_ptr<const Principal> InForce(absl::string_view key_id) const;

  // Validates `spec` against what `creator` may grant and stores it.
  absl::StatusOr<IssuedKey> Create(const v1::ApiKey& spec, const Principal& creator,
                                   const RequestKey& request_key);
  absl::StatusOr<v1::ApiKey> Revoke(absl::string_view key_id, const Principal& revoker,
                                    const RequestKey& request_key);
  // Keys the caller may see (within its councils), in id order.
  std::vector<v1::ApiKey> List(const Principal& caller, bool show_revoked) const;

  absl::Time Now() const { return now_(); }
  // false (--auth=off): every call is a superuser's.
  void set_enforce(bool enforce) { enforce_ = enforce; }
  bool enforce() const { return enforce_; }

 private:
  absl::Status Put(const storage::ApiKeyRecord& record);  // Into memory.
  absl::StatusOr<IssuedKey> Issue(v1::ApiKey key, const std::string& creator,
                                  const RequestKey& request_key);

  Store* store_;
  std::function<absl::Time()> now_;
  bool enforce_ = true;  // Set before serving.
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Principal>> by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> by_common_name_ ABSL_GUARDED_BY(mu_);
};

// Authenticates and checks roles for every call (see the top of this file).
class AuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  // `metrics` (may be null) counts the calls it refuses.
  AuthProcessor(const KeyRegistry* keys, AccessLog* log, Metrics* metrics = nullptr)
      : keys_(keys), log_(log), metrics_(metrics) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const KeyRegistry* keys_;
  AccessLog* log_;
  Metrics* metrics_;
};

// The principal of a call: its `authorization` metadata (nullptr if it has
// none), else the connection's verified client certificate; a superuser
// when the registry does not enforce. UNAUTHENTICATED otherwise.
absl::StatusOr<std::shared_ptr<const Principal>> Identify(const KeyRegistry& keys,
                                                          const std::string* authorization,
                                                          const grpc::AuthContext* auth);
// PERMISSION_DENIED unless the method's rule admits the principal's role
// (deny by default). AuthProcessor checks it before a call reaches a
// handler, and the handlers again (services: Serve), so that a call that
// comes by another way (the HTTP face, through the server's in-process
// channel) meets the same table.
absl::Status Permit(const Principal& principal, absl::string_view method);
// `key` as it stood at `end`: false if it was not made yet or (unless
// `show_revoked`) no longer in force then (revoked or expired); a later
// revocation is taken off.
bool ApiKeyAsOf(absl::Time end, bool show_revoked, v1::ApiKey* key);
// An access log entry for a call: who, which method, the outcome (time,
// council, account, peer and duration are the caller's to add).
v1::AccessLogEntry AccessEntry(const Principal* caller, absl::string_view method,
                               const absl::Status& status);

// Identify for a call a handler is serving.
absl::StatusOr<std::shared_ptr<const Principal>> CallerOf(const KeyRegistry& keys,
                                                          const grpc::ServerContextBase& context);

}  // namespace dpmon

#endif  // DPMON_SERVER_AUTH_H_
