// A council's audit survey as of a date: every account's due entries and
// risk, held in the orders ListAuditsDue and ListAccountRisks page through
// (docs/audits.md). One account's part is a SurveyRow; a Survey keeps the
// rows and two ordered indexes over them, and can replace one account's row
// at a time, which is how server/due_index keeps today's survey up to date.
//
//   absl::StatusOr<std::unique_ptr<Survey>> s = BuildSurvey(store, "wilts", policy, as_of, 2);
//   (*s)->PageDue(30, after, 50, response->mutable_entries(), &next);
//
// Thread-safety: a Survey is not synchronised; its owner locks it.
// BuildSurvey and ComputeSurveyRows may run on many threads at once.
#ifndef DPMON_SERVER_AUDIT_SURVEY_H_
#define DPMON_SERVER_AUDIT_SURVEY_H_

#include <cstdint>
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

// Page tokens' positions, as text (the part page tokens carry).
std::string DueKeyText(const DueKey& k);
std::optional<DueKey> ParseDueKey(const std::string& text);
std::string RiskKeyText(const RiskKey& k);
std::optional<RiskKey> ParseRiskKey(const std::string& text);

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

 private:
  void Remove(const std::string& account_id, const SurveyRow& row);

  const std::string council_id_;
  const Date as_of_;
  std::unordered_map<std::string, SurveyRow> rows_;
  std::set<DueKey> due_;
  std::set<RiskKey> risks_;
};

// The rows of `accounts` as of a date (the account's model, its balance as
// of the date, its stored OPEN and ACKNOWLEDGED flags), on up to `threads`
// threads. (*rows)[i] is accounts[i]'s.
absl::Status ComputeSurveyRows(Store* store, const std::string& council_id,
                               const v1::Policy& policy, const std::vector<v1::Account>& accounts,
                               Date as_of, int threads, std::vector<SurveyRow>* rows);

// Every account of the council, surveyed as of a date.
absl::StatusOr<std::unique_ptr<Survey>> BuildSurvey(Store* store, const std::string& council_id,
                                                    const v1::Policy& policy, Date as_of,
                                                    int threads);

}  // namespace dpmon

#endif  // DPMON_SERVER_AUDIT_SURVEY_H_
