// AccountView: the one place that assembles "an account as of D" from the
// Store for the evaluator, the overview, the audit survey and audit packs:
// the account's model, the ledger facts the rules read, the flags they
// raise, how far each recovery has come and the account's risk; and the
// conversions of those domain values to the API's messages.
//
//   AccountView view(store, council.policy());
//   AccountAsOf a;
//   s = view.Read(reader.get(), council_id, account, as_of, &a);
//   s = view.Flags(a, account, &flags);
//
// Thread-safety: an AccountView is immutable after construction; its
// methods may be called from many threads at once (each with its own
// Store::FactsReader).
#ifndef DPMON_SERVER_ACCOUNT_VIEW_H_
#define DPMON_SERVER_ACCOUNT_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/civil_date.h"
#include "domain/audit.h"
#include "domain/policy.h"
#include "domain/rules.h"
#include "dpmon/v1/dpmon.pb.h"
#include "dpmon/v1/resources.pb.h"
#include "storage/store.h"

namespace dpmon {

// An account as of a date.
struct AccountAsOf {
  std::string council_id;
  std::string account_id;
  Date as_of;
  domain::AccountModel model;
  domain::Window window;      // The trend window (as_of on or after the start date).
  domain::LedgerFacts facts;  // As of as_of.
};

class AccountView {
 public:
  // `policy`: the council's, complete.
  AccountView(Store* store, const v1::Policy& policy);

  const domain::Policy& policy() const { return policy_; }

  // The account's model, its facts over the trend window and its watched
  // debits over the lookback.
  absl::Status Read(Store::FactsReader* reader, const std::string& council_id,
                    const v1::Account& account, Date as_of, AccountAsOf* out) const;
  // The model and the balance as of the date (no window sums, no watched
  // debits): what the audit survey needs of every account.
  absl::Status ReadBalance(Store::FactsReader* reader, const std::string& council_id,
                           const v1::Account& account, Date as_of, AccountAsOf* out) const;

  // The flags DOMAIN.md's rules raise; a SURPLUS flag's detail names the
  // recoveries in progress.
  absl::Status Flags(const AccountAsOf& a, const v1::Account& account,
                     std::vector<domain::RuleFlag>* out) const;
  // Until when (exclusive) Flags stays as it is as of a.as_of while the
  // account's ledger and record do (domain::FlagsStandUntil); the next day
  // for an account with recoveries, whose progress moves with each day.
  Date FlagsStandUntil(const AccountAsOf& a, const v1::Account& account) const;

  // Sets state and recovered_pence of each recovery as of the date.
  absl::Status RecoveryProgress(const std::string& council_id, const std::string& account_id,
                                const domain::AccountModel& model, Date as_of,
                                google::protobuf::RepeatedPtrField<v1::Recovery>* recoveries) const;
  // The account's recoveries dated on or before as_of (in its order), each
  // with its state and recovered_pence as of then: what the council's list
  // of recoveries shows of the account.
  absl::Status RecoveriesInForce(const std::string& council_id, const v1::Account& account,
                                 const domain::AccountModel& model, Date as_of,
                                 std::vector<v1::Recovery>* out) const;

  // The risk score, from the account's stored flags (its OPEN and
  // ACKNOWLEDGED ones) and its balance.
  static domain::Risk RiskOf(const domain::AccountModel& model, int64_t balance_pence,
                             const std::vector<v1::Flag>& stored_flags, Date as_of);

 private:
  Store* store_;
  domain::Policy policy_;
};

// The flag as the API shows it (account, kind, severity, subject, amount,
// date, detail).
v1::Flag FlagToProto(const std::string& council_id, const std::string& account_id,
                     const domain::RuleFlag& f);
v1::Risk RiskToProto(const domain::Risk& r);

}  // namespace dpmon

#endif  // DPMON_SERVER_ACCOUNT_VIEW_H_
