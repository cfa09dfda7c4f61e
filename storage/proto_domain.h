// Between the API's messages (proto/dpmon/v1) and domain/'s value types: the
// enums (checked number for number at compile time), the policy, the
// categorisation rules and input, an account's dated records and its
// recoveries. Storage keeps the messages; domain/ reasons over the values.
//
// Thread-safety: pure functions.
#ifndef DPMON_STORAGE_PROTO_DOMAIN_H_
#define DPMON_STORAGE_PROTO_DOMAIN_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/civil_date.h"
#include "domain/account.h"
#include "domain/categorise.h"
#include "domain/policy.h"
#include "domain/types.h"
#include "dpmon/v1/dpmon.pb.h"
#include "dpmon/v1/resources.pb.h"

namespace dpmon {

// Each enum's twin: same names, same numbers (static_asserts in the .cc).
#define DPMON_ENUM_TWIN(Name)                                                       \
  inline domain::Name ToDomain(v1::Name v) { return static_cast<domain::Name>(v); } \
  inline v1::Name ToProto(domain::Name v) { return static_cast<v1::Name>(v); }
DPMON_ENUM_TWIN(Holding)
DPMON_ENUM_TWIN(Management)
DPMON_ENUM_TWIN(AccountStatus)
DPMON_ENUM_TWIN(PaymentCycle)
DPMON_ENUM_TWIN(Category)
DPMON_ENUM_TWIN(Direction)
DPMON_ENUM_TWIN(FlagKind)
DPMON_ENUM_TWIN(Severity)
DPMON_ENUM_TWIN(DueKind)
DPMON_ENUM_TWIN(RecoveryMethod)
DPMON_ENUM_TWIN(RecoveryState)
#undef DPMON_ENUM_TWIN

domain::Policy PolicyFromProto(const v1::Policy& p);
v1::Policy PolicyToProto(const domain::Policy& p);
domain::CategoryRules CategoryRulesFromProto(
    const google::protobuf::RepeatedPtrField<v1::CategoryRule>& rules);
// Views into `in`, which must outlive the result.
domain::CategoriseInput CategoriseInputOf(const v1::TransactionInput& in);

// The stored account as the rules read it; DataLoss if a stored date does
// not parse.
absl::Status AccountModelFromProto(const v1::Account& account, domain::AccountModel* out);
// The account's status on `date` (domain::AccountModel::StatusAt); DataLoss
// if a stored status date does not parse.
absl::StatusOr<domain::AccountStatus> StatusAtOf(const v1::Account& account, Date date);

// DataLoss if a stored recovery date does not parse.
absl::Status RecoveriesFromProto(const google::protobuf::RepeatedPtrField<v1::Recovery>& in,
                                 std::vector<domain::Recovery>* out);
// Sets state and recovered_pence of `out` from `r` (the other fields are the
// stored ones).
void RecoveryProgressToProto(const domain::Recovery& r, v1::Recovery* out);

}  // namespace dpmon

#endif  // DPMON_STORAGE_PROTO_DOMAIN_H_
