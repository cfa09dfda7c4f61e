// Evaluator: runs the monitoring rules (domain/rules.h) over accounts read
// from the Store (through server/account_view.h), in parallel, and stores the flags.
//
// Each account is evaluated from its record and its ledger facts (the
// per-account aggregates and marks), never from its whole history. Councils
// are processed a page of accounts at a time, so memory stays bounded
// whatever the council's size.
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
#include <vector>

#include "absl/base/thread_annotations.h"
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
  // account's stored flags (worked out by the thread that evaluated it).
  std::optional<Store::AccountEvaluation> to_store;
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
  // Queues accounts for re-evaluation; returns at once.
  void MarkChanged(const std::string& council_id, const std::vector<std::string>& account_ids);
  // Waits until every account marked so far has been re-evaluated (tests).
  void WaitIdle();

 private:
  // Compute, with `each` (if given) called on each account's result by the
  // thread that evaluated it, with the account's stored flags read from the
  // same view (in a buffer the thread reuses: valid during the call).
  absl::Status ComputeEach(
      const std::string& council_id, const v1::Policy& policy,
      const std::vector<v1::Account>& accounts, Date as_of, std::vector<AccountResult>* out,
      const std::function<absl::Status(AccountResult&, const std::vector<v1::Flag>& stored)>& each);
  // Evaluates `accounts`: those whose stored flags would change, to store.
  absl::StatusOr<std::vector<Store::AccountEvaluation>> Changes(
      const std::string& council_id, const v1::Policy& policy,
      const std::vector<v1::Account>& accounts, Date as_of);
  // Evaluates `accounts` and stores what changed.
  absl::StatusOr<Store::EvaluationCounts> EvaluateAndStore(const std::string& council_id,
                                                           const v1::Policy& policy,
                                                           const std::vector<v1::Account>& accounts,
                                                           Date as_of, const std::string& now);
  void BackgroundLoop(int daily_minute, int dirty_delay_ms,
                      const std::function<void(const std::string&)>& after_daily);
  // Set once the destructor runs: a long evaluation stops between pages.
  bool Stopping();

  Store* store_;
  int threads_;

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::map<std::string, std::set<std::string>> dirty_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread background_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_EVALUATOR_H_
