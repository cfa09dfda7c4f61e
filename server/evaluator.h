// Evaluator: runs the monitoring rules (domain/rules.h) over accounts read
// from the Store (through server/account_view.h), in parallel, and stores the flags.
//
// Each account is evaluated from its record and its ledger facts (the
// per-account aggregates and marks), never from its whole history. Councils
// are processed a page of accounts at a time, so memory stays bounded
// whatever the council's size.
//
// An account whose last stored evaluation still stands (nothing written to
// it since, no date a rule reads come round: domain::FlagsStandUntil) is
// left out of a later run; what the evaluator remembers of each is right
// only while no other Evaluator stores flags into the same Store (a server
// has one). It is kept across a clean restart (StopAndKeep, then the
// next Evaluator on the reopened store), by the same program only, and only
// if nothing was written to the directory in between.
//
// Thread-safety: every method may be called from any thread.
#ifndef DPMON_SERVER_EVALUATOR_H_
#define DPMON_SERVER_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/civil_date.h"
#include "domain/rules.h"
#include "dpmon/v1/dpmon.pb.h"
#include "storage/store.h"

namespace dpmon {

struct AccountResult {
  std::string account_id;
  std::vector<domain::RuleFlag> flags;
  // When evaluating to store: what to store, if storing it changes the
  // account's stored flags (worked out by the thread that evaluated it),
  // and until when the flags stand (AccountView::FlagsStandUntil).
  std::optional<Store::AccountEvaluation> to_store;
  std::optional<Date> stands_until;
  // Not read: its stored flags are those of an earlier evaluation that
  // still stands (flags empty).
  bool unchanged = false;
};

class Evaluator {
 public:
  // `threads`: how many accounts are evaluated at once.
  Evaluator(Store* store, int threads);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // The flags of `accounts` (records of one council) as of `as_of`, in the
  // accounts' order. Stores nothing.
  absl::Status Compute(const std::string& council_id, const v1::Policy& policy,
                       const std::vector<v1::Account>& accounts, Date as_of,
                       std::vector<AccountResult>* out);

  // Evaluates every account of the council and stores the flags.
  absl::StatusOr<v1::EvaluateCouncilResponse> EvaluateCouncil(const std::string& council_id,
                                                              Date as_of);
  // Evaluates some accounts of a council (unknown ids are skipped).
  absl::Status EvaluateAccounts(const std::string& council_id,
                                const std::vector<std::string>& account_ids, Date as_of);

  // Background work: re-evaluates, as of today, accounts reported changed
  // (after a short delay that gathers them), and evaluates every council
  // each day at `daily_minute` minutes after local midnight (Europe/London).
  // `after_daily` (may be empty) is called on the background thread for
  // each council once its daily evaluation is done (or was done already
  // today when the server started), and for each council when the server
  // starts and the daily evaluation is not due then (or is off).
  void StartBackground(int daily_minute, int dirty_delay_ms,
                       std::function<void(const std::string& council_id)> after_daily = {});
  // Stops the background work (an evaluation in progress finishes) and
  // hands what it knows of each account to the store, which keeps it
  // across a clean restart (Store::KeepEvaluatorMemory). At shutdown, once
  // nothing else writes: nothing may evaluate after it.
  void StopAndKeep();
  // How many accounts' standings this evaluator took from the store when
  // it was made (kept by the last clean shutdown).
  int64_t Recalled() const { return recalled_; }

  // Queues accounts for re-evaluation; returns at once.
  void MarkChanged(const std::string& council_id, const std::vector<std::string>& account_ids);
  // Waits until every account marked so far has been re-evaluated (tests).
  void WaitIdle();

 private:
  // Compute, with `each` (if given) called on each account's result by the
  // thread that evaluated it, with the account's stored flags read from the
  // same view (in a buffer the thread reuses: valid during the call).
  // With `skip`, an account it names is not read (marked unchanged).
  absl::Status ComputeEach(
      const std::string& council_id, const v1::Policy& policy,
      const std::vector<v1::Account>& accounts, Date as_of, std::vector<AccountResult>* out,
      const std::function<absl::Status(AccountResult&, const std::vector<v1::Flag>& stored)>& each,
      const std::function<bool(const std::string& account_id)>& skip = nullptr);
  // What evaluating some accounts to store found: those whose stored flags
  // change, until when each account's flags stand, how many were not read.
  struct Found {
    std::vector<Store::AccountEvaluation> changed;
    std::vector<std::pair<std::string, Date>> stand;
    int64_t unchanged = 0;
  };
  // Evaluates `accounts`, leaving out those whose last stored evaluation
  // stands (Stands; `policy_bytes`: `policy` serialized).
  absl::StatusOr<Found> Changes(const std::string& council_id, const v1::Policy& policy,
                                const std::vector<v1::Account>& accounts, Date as_of,
                                const std::string& policy_bytes);
  // Whether the flags stored for the account by an earlier evaluation are
  // those the rules raise as of `as_of`: it stands until after as_of, and
  // nothing the account's flags depend on was written since it was read.
  bool Stands(const std::string& council_id, const std::string& policy, const std::string& account,
              Date as_of) ABSL_LOCKS_EXCLUDED(standing_mu_);
  // After what `found` holds is stored.
  void Record(const std::string& council_id, const std::string& policy, Date as_of,
              uint64_t read_at, const std::vector<std::pair<std::string, Date>>& stand)
      ABSL_LOCKS_EXCLUDED(standing_mu_);
  // Evaluates `accounts` (read after the store's WriteClock was
  // `read_at`) and stores what changed.
  absl::StatusOr<Store::EvaluationCounts> EvaluateAndStore(const std::string& council_id,
                                                           const v1::Policy& policy,
                                                           const std::vector<v1::Account>& accounts,
                                                           Date as_of, const std::string& now,
                                                           uint64_t read_at);
  void BackgroundLoop(int daily_minute, int dirty_delay_ms,
                      const std::function<void(const std::string&)>& after_daily);
  // Set once Stop runs: a long evaluation stops between pages.
  bool Stopping();
  // Stops the background thread (its evaluation in progress finishes);
  // StopAndKeep and the destructor.
  void Stop();
  // What the store kept at the last clean shutdown, if this program kept it.
  void Recall() ABSL_LOCKS_EXCLUDED(standing_mu_);

  Store* store_;
  int threads_;

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::map<std::string, std::set<std::string>> dirty_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // One evaluation that stores at a time: what standing_ says of an
  // account is then what its stored flags hold (officers' actions leave
  // them agreeing with the same rules' flags).
  absl::Mutex storing_mu_;
  // What the last stored evaluation of each account found: its flags as of
  // `as_of` stand until `until` (exclusive) if nothing was written to the
  // account after the store's WriteClock was `read_at`, with the policy
  // (serialized) it was evaluated under. Kept while the server runs and
  // across a clean restart (read_at 0: nothing written since the store
  // opened); otherwise the first evaluation after a start reads every
  // account.
  struct Standing {
    Date as_of;
    Date until;
    uint64_t read_at = 0;
  };
  struct CouncilStanding {
    std::string policy;
    absl::flat_hash_map<std::string, Standing> accounts;
  };
  absl::Mutex standing_mu_;
  absl::flat_hash_map<std::string, CouncilStanding> standing_ ABSL_GUARDED_BY(standing_mu_);

  int64_t recalled_ = 0;
  std::thread background_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_EVALUATOR_H_
