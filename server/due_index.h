// What is due, each account's risk and the council's recoveries, as
// indexes: ListAuditsDue, ListAccountRisks and ListRecoveries read a page of
// them instead of surveying the council.
//
// For today (the date the server's clock gives) each council's survey is
// built once (on its first listing, or by Warm after the nightly
// evaluation) and then kept up to date: the Store tells the index of every
// durable write before its writer is answered (StoreOptions::on_written),
// the index marks the accounts it touched (ledger, statements, record,
// stored flags) and the next listing recomputes just those rows before it
// reads. A change to the council's record (its policy) drops the survey.
// So a listing always answers as a full survey of the store at that moment
// would (server/due_index_test.cc checks that after random changes), while
// the cost grows with the accounts that changed, not with the council.
//
// Past dates are surveyed in full, and a survey is kept for a minute so
// that its later pages do not recompute it. Recoveries are the exception:
// for a past date, or for today before today's survey has been built, they
// are read from the accounts that have any (the account index) instead of
// surveying every account. The survey for a date holds
// every account's risk and its due entries within limits::kWithinDaysMax:
// memory grows by about 300 bytes an account (30 MB at 100,000).
//
// Thread-safety: safe for concurrent calls. Invalidate and DropCouncil never
// block on a listing (they run on the store's committer thread).
#ifndef DPMON_SERVER_DUE_INDEX_H_
#define DPMON_SERVER_DUE_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/civil_date.h"
#include "server/audit_survey.h"
#include "storage/store.h"

namespace dpmon {

class DueIndex {
 public:
  // `today`: the date whose surveys are kept up to date; `threads`: how many
  // threads build a survey.
  DueIndex(Store* store, std::function<Date()> today, int threads);

  // From StoreOptions::on_written.
  void OnWritten(const WrittenKeys& written);

  // A page of due entries (within_days: 0..limits::kWithinDaysMax) or of
  // risks as of a date, after the position of a previous page (nullopt: the
  // first page). *next is set when more follow.
  absl::Status ListDue(const std::string& council_id, Date as_of, int within_days,
                       const std::optional<DueKey>& after, int size,
                       google::protobuf::RepeatedPtrField<v1::DueEntry>* out,
                       std::optional<DueKey>* next);
  absl::Status ListRisks(const std::string& council_id, Date as_of,
                         const std::optional<RiskKey>& after, int size,
                         google::protobuf::RepeatedPtrField<v1::AccountRisk>* out,
                         std::optional<RiskKey>* next);
  // A page of the council's recoveries as of a date in `state`
  // (RECOVERY_STATE_UNSPECIFIED: both), with out's totals over all of them.
  absl::Status ListRecoveries(const std::string& council_id, Date as_of, v1::RecoveryState state,
                              const std::optional<RecoveryKey>& after, int size,
                              v1::ListRecoveriesResponse* out, std::optional<RecoveryKey>* next);

  // Builds today's survey of the council now, if it is not already there.
  absl::Status Warm(const std::string& council_id);

  struct Stats {
    int64_t builds = 0;          // Full surveys built (today's and past dates').
    int64_t recomputed = 0;      // Rows recomputed after a change.
    int64_t recovery_books = 0;  // Recoveries read without a survey.
  };
  Stats stats() const;

 private:
  struct Today {
    Date date;
    uint64_t epoch = 0;  // The generation when it was made.
    v1::Policy policy;
    std::unique_ptr<Survey> survey;  // Null until built.
    // Accounts changed since their row was computed, with the generation
    // of the latest change.
    std::map<std::string, uint64_t> dirty;
  };
  struct Past {
    absl::Time at;
    std::shared_ptr<const Survey> survey;
  };

  // Runs `read` on the council's survey as of `as_of`, up to date, under
  // the lock.
  absl::Status WithSurvey(const std::string& council_id, Date as_of, bool first_page,
                          const std::function<void(const Survey&)>& read);
  // Today's survey of the council, built or brought up to date. Holds the
  // council's build lock.
  absl::Status Refresh(const std::string& council_id, Date today);
  absl::Mutex* BuildLock(const std::string& council_id);

  Store* const store_;
  const std::function<Date()> today_;
  const int threads_;

  mutable absl::Mutex mu_;
  std::map<std::string, Today> today_surveys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<absl::Mutex>> build_locks_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, Date>, Past> past_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dpmon

#endif  // DPMON_SERVER_DUE_INDEX_H_
