// Validation of API input and the small pure rules around it (resource
// names are common/names.h): dates, ledger items, policies, account changes, page sizes and
// tokens.
//
// Every error is InvalidArgument naming the field (server/status_util.h), so
// that the client is told exactly what to fix. No I/O, no clock.
//
// Thread-safety: pure functions.
#ifndef DPMON_SERVER_VALIDATION_H_
#define DPMON_SERVER_VALIDATION_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/civil_date.h"
#include "common/field_error.h"
#include "common/names.h"
#include "dpmon/v1/resources.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace dpmon {

absl::StatusOr<Date> ParseDateField(absl::string_view text, absl::string_view field);
absl::Status CheckRequestId(absl::string_view request_id);

// `prefix` is the item's path, e.g. "items[3].transaction".
absl::Status ValidateTransactionInput(const v1::TransactionInput& in, absl::string_view prefix,
                                      Date* booking_date);
absl::Status ValidateStatementInput(const v1::StatementInput& in, absl::string_view prefix,
                                    Date* date);

// DOMAIN.md's defaults, every field set.
v1::Policy DefaultPolicy();
// Copies into *out the fields of `in` named by `mask` (or, with an empty
// mask, every field set in `in`), then checks the result.
absl::Status MergePolicy(const v1::Policy& in, const google::protobuf::FieldMask& mask,
                         absl::string_view prefix, v1::Policy* out);
absl::Status ValidatePolicy(const v1::Policy& policy, absl::string_view prefix);
absl::Status ValidateCategoryRules(
    const google::protobuf::RepeatedPtrField<v1::CategoryRule>& rules, absl::string_view prefix);

// The account as given to CreateAccount (output-only fields ignored).
// The optional fields about the person: person_ref (feed-id characters, at
// most 64 bytes) and display_name (text, at most 200 bytes, not only spaces).
absl::Status ValidatePersonRef(absl::string_view ref, absl::string_view field);
absl::Status ValidateDisplayName(absl::string_view name, absl::string_view field);
// "keys/{key_id}" or "": the key id, or InvalidArgument.
absl::StatusOr<std::string> ParseOfficer(absl::string_view officer, absl::string_view field);
// A case note's text: required, at most 4,096 bytes, line breaks allowed.
absl::Status ValidateCaseNoteText(absl::string_view text, absl::string_view field);
absl::Status ValidateNewAccount(const v1::Account& account, absl::string_view prefix);
absl::Status ValidatePlanVersion(const v1::PlanVersion& plan, absl::string_view prefix);
absl::Status ValidateEarmark(const v1::Earmark& earmark, absl::string_view prefix);
absl::Status ValidateStatusChange(const v1::StatusChange& change, absl::string_view prefix);
absl::Status ValidateReview(const v1::Review& review, absl::string_view prefix);
absl::Status ValidateAudit(const v1::Audit& audit, absl::string_view prefix);
absl::Status ValidateRecovery(const v1::Recovery& recovery, absl::string_view prefix);
absl::Status ValidateExternalRef(const v1::ExternalRef& ref, absl::string_view prefix);

// Applies one of those to a stored account (with the per-account limits).
absl::Status ApplyStatusChange(const v1::StatusChange& change, v1::Account* account);
absl::Status ApplyPlanVersion(const v1::PlanVersion& plan, v1::Account* account);
absl::Status ApplyEarmark(const v1::Earmark& earmark, v1::Account* account);
absl::Status ApplyReview(const v1::Review& review, v1::Account* account);
absl::Status ApplyAudit(const v1::Audit& audit, v1::Account* account);
// Replaces the recovery with the same id, or adds it.
absl::Status ApplyRecovery(const v1::Recovery& recovery, v1::Account* account);

// page_size: 0 is the default, above the maximum is the maximum, negative is an error.
absl::StatusOr<int> EffectivePageSize(int32_t page_size);
// A page token binds the resume key to the request's parameters (`scope`).
std::string EncodePageToken(absl::string_view scope, absl::string_view resume_key);
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope);
// Page tokens over a list kept in order (server/audit_survey.h) carry the
// position of the last entry given, as text `parse` reads back: nullopt
// for the first page.
template <typename Key>
absl::StatusOr<std::optional<Key>> DecodePosition(const std::string& token,
                                                  const std::string& scope,
                                                  std::optional<Key> (*parse)(const std::string&)) {
  absl::StatusOr<std::string> raw = DecodePageToken(token, scope);
  if (!raw.ok()) return raw.status();
  if (raw->empty()) return std::optional<Key>();
  std::optional<Key> key = parse(*raw);
  if (!key) return InvalidField("page_token", "is not a token this listing gave");
  return key;
}

struct AccountFilter {
  std::optional<v1::AccountStatus> status;
  std::optional<v1::Holding> holding;
  std::optional<std::string> officer;  // A key id; "" for accounts with none.
};
// "status = ACTIVE AND holding = PREPAID_CARD AND officer = keys/k1" (any
// of them, or empty). The officer may be quoted: officer = "".
absl::StatusOr<AccountFilter> ParseAccountFilter(absl::string_view filter);

}  // namespace dpmon

#endif  // DPMON_SERVER_VALIDATION_H_
