// A council's audit survey as of a date: every account's due entries, risk
// and recoveries, held in the orders ListAuditsDue, ListAccountRisks and
// ListRecoveries page through (docs/audits.md). One account's part is a
// SurveyRow; a Survey keeps the rows and three ordered indexes over them (the
// third a RecoveryBook), and can replace one account's row at a time, which
// is how server/due_index keeps today's survey up to date.
//
//   absl::StatusOr<std::unique_ptr<Survey>> s = BuildSurvey(store, "wilts", policy, as_of, 2);
//   (*s)->PageDue(30, after, 50, response->mutable_entries(), &next);
//
// Thread-safety: a Survey is not synchronised; its owner locks it.
// BuildSurvey and ComputeSurveyRows may run on many threads at once.
#ifndef DPMON_SERVER_AUDIT_SURVEY_H_
#define DPMON_SERVER_AUDIT_SURVEY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/civil_date.h"
#include "domain/audit.h"
#include "dpmon/v1/dpmon.pb.h"
#include "storage/store.h"

namespace dpmon {

// One account's part of the survey as of a date.
struct SurveyRow {
  domain::Risk risk;
  v1::Management management = v1::MANAGEMENT_UNSPECIFIED;
  int64_t balance_pence = 0;
  std::optional<Date> last_audit_period_end;
  // Everything due by as_of + limits::kWithinDaysMax (a listing with a
  // shorter horizon shows a prefix of these in due order).
  std::vector<domain::Due> due;
  // Its recoveries dated by as_of, with their progress as of then.
  std::vector<v1::Recovery> recoveries;
};

// Position of a due entry: earliest due first; ties highest risk first, then
// account, then kind.
struct DueKey {
  Date due;
  int32_t score = 0;
  std::string account_id;
  int kind = 0;  // v1::DueKind
  bool operator<(const DueKey& o) const {
    return std::tie(due, o.score, account_id, kind) < std::tie(o.due, score, o.account_id, o.kind);
  }
};
// Position of an account's risk: highest first, then account.
struct RiskKey {
  int32_t score = 0;
  std::string account_id;
  bool operator<(const RiskKey& o) const {
    return std::tie(o.score, account_id) < std::tie(score, o.account_id);
  }
};

// Position of a recovery: in progress first, oldest first; then completed,
// newest first; ties by account, then the recovery's id.
struct RecoveryKey {
  bool in_progress = false;
  Date date;
  std::string account_id;
  std::string id;
  bool operator<(const RecoveryKey& o) const {
    if (in_progress != o.in_progress) return in_progress;
    if (date != o.date) return in_progress ? date < o.date : o.date < date;
    return std::tie(account_id, id) < std::tie(o.account_id, o.id);
  }
};

// Page tokens' positions, as text (the part page tokens carry).
std::string DueKeyText(const DueKey& k);
std::optional<DueKey> ParseDueKey(const std::string& text);
std::string RiskKeyText(const RiskKey& k);
std::optional<RiskKey> ParseRiskKey(const std::string& text);
std::string RecoveryKeyText(const RecoveryKey& k);
std::optional<RecoveryKey> ParseRecoveryKey(const std::string& text);

// A council's recoveries as of a date, each with its progress, in the order
// ListRecoveries gives them.
class RecoveryBook {
 public:
  explicit RecoveryBook(std::string council_id) : council_id_(std::move(council_id)) {}

  // Adds or takes away one account's recoveries (as SurveyRow holds them).
  void Insert(const std::string& account_id, const std::vector<v1::Recovery>& recoveries);
  void Erase(const std::string& account_id, const std::vector<v1::Recovery>& recoveries);

  // Up to `size` recoveries in `state` (RECOVERY_STATE_UNSPECIFIED: both)
  // after `after` into out->recoveries, and out's totals over every
  // recovery in that state, not just the page. *next is the last one given
  // when more follow.
  absl::Status Page(v1::RecoveryState state, const std::optional<RecoveryKey>& after, int size,
                    v1::ListRecoveriesResponse* out, std::optional<RecoveryKey>* next) const;

 private:
  const std::string council_id_;
  std::map<RecoveryKey, v1::Recovery> entries_;
};

class Survey {
 public:
  Survey(std::string council_id, Date as_of) : council_id_(std::move(council_id)), as_of_(as_of) {}

  Date as_of() const { return as_of_; }
  size_t size() const { return rows_.size(); }

  // Sets (or, with nullopt, removes) one account's row.
  void Put(const std::string& account_id, std::optional<SurveyRow> row);

  // Up to `size` due entries after `after` with a due date by as_of +
  // within_days. *next is the last one given when more follow.
  void PageDue(int within_days, const std::optional<DueKey>& after, int size,
               google::protobuf::RepeatedPtrField<v1::DueEntry>* out,
               std::optional<DueKey>* next) const;
  void PageRisks(const std::optional<RiskKey>& after, int size,
                 google::protobuf::RepeatedPtrField<v1::AccountRisk>* out,
                 std::optional<RiskKey>* next) const;
  const RecoveryBook& recoveries() const { return recoveries_; }

 private:
  void Remove(const std::string& account_id, const SurveyRow& row);

  const std::string council_id_;
  const Date as_of_;
  std::unordered_map<std::string, SurveyRow> rows_;
  std::set<DueKey> due_;
  std::set<RiskKey> risks_;
  RecoveryBook recoveries_{council_id_};
};

// The rows of `accounts` as of a date (the account's model, its balance as
// of the date, its stored OPEN and ACKNOWLEDGED flags, its recoveries'
// progress), on up to `threads` threads. (*rows)[i] is accounts[i]'s.
absl::Status ComputeSurveyRows(Store* store, const std::string& council_id,
                               const v1::Policy& policy, const std::vector<v1::Account>& accounts,
                               Date as_of, int threads, std::vector<SurveyRow>* rows);

// Every account of the council, surveyed as of a date.
absl::StatusOr<std::unique_ptr<Survey>> BuildSurvey(Store* store, const std::string& council_id,
                                                    const v1::Policy& policy, Date as_of,
                                                    int threads);

// The council's recoveries as of a date, read from the accounts that have
// any (the account index), without surveying the others.
absl::StatusOr<std::unique_ptr<RecoveryBook>> BuildRecoveryBook(Store* store,
                                                                const std::string& council_id,
                                                                const v1::Policy& policy,
                                                                Date as_of);

}  // namespace dpmon

#endif  // DPMON_SERVER_AUDIT_SURVEY_H_
