#include "server/validation.h"

#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/fingerprint.h"
#include "common/ids.h"
#include "common/limits.h"
#include "domain/account_changes.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "server/status_util.h"
#include "storage/proto_domain.h"

namespace dpmon {
namespace {

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

absl::Status Check(const absl::Status& s, absl::string_view prefix, absl::string_view field) {
  if (s.ok()) return s;
  return InvalidField(Path(prefix, field), s.message());
}

absl::Status CheckRange(int64_t v, int64_t lo, int64_t hi, absl::string_view prefix,
                        absl::string_view field) {
  if (v < lo || v > hi) {
    return InvalidField(Path(prefix, field),
                        absl::StrFormat("%d is outside the allowed range %d..%d", v, lo, hi));
  }
  return absl::OkStatus();
}

absl::Status CheckDate(absl::string_view text, absl::string_view prefix, absl::string_view field,
                       Date* out = nullptr) {
  absl::StatusOr<Date> d = ParseDateField(text, Path(prefix, field));
  if (!d.ok()) return d.status();
  if (out != nullptr) *out = *d;
  return absl::OkStatus();
}

absl::Status CheckOptionalText(bool present, const std::string& text, absl::string_view prefix,
                               absl::string_view field) {
  return present ? Check(ValidateText(text), prefix, field) : absl::OkStatus();
}

// Designation of the account: an id, a feed reference, or both.
absl::Status CheckDesignation(const std::string& source, const std::string& account,
                              const std::string& account_ref, absl::string_view prefix) {
  if (absl::Status s = Check(ValidateFeedId(source), prefix, "source"); !s.ok()) return s;
  if (account.empty() && account_ref.empty()) {
    return InvalidField(Path(prefix, "account_ref"),
                        "name the account by account or by account_ref");
  }
  if (!account.empty()) {
    if (absl::Status s = Check(ValidateId(account), prefix, "account"); !s.ok()) return s;
  }
  if (!account_ref.empty()) {
    if (absl::Status s = Check(ValidateFeedId(account_ref), prefix, "account_ref"); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

bool ValidCategory(int c) { return v1::Category_IsValid(c); }

}  // namespace

absl::StatusOr<Date> ParseDateField(absl::string_view text, absl::string_view field) {
  if (text.empty()) return InvalidField(field, "is required (YYYY-MM-DD)");
  absl::StatusOr<Date> d = Date::Parse(text);
  if (!d.ok()) return InvalidField(field, d.status().message());
  return *d;
}

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.empty()) return absl::OkStatus();
  return Check(ValidateRequestId(request_id), "", "request_id");
}

absl::Status ValidateTransactionInput(const v1::TransactionInput& in, absl::string_view prefix,
                                      Date* booking_date) {
  if (absl::Status s = CheckDesignation(in.source(), in.account(), in.account_ref(), prefix);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Check(ValidateFeedId(in.external_id()), prefix, "external_id"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDate(in.booking_date(), prefix, "booking_date", booking_date);
      !s.ok()) {
    return s;
  }
  if (in.amount_pence() == 0) {
    return InvalidField(Path(prefix, "amount_pence"), "must not be zero");
  }
  if (in.amount_pence() > limits::kAmountPenceMax || in.amount_pence() < -limits::kAmountPenceMax) {
    return InvalidField(Path(prefix, "amount_pence"),
                        absl::StrFormat("%d is beyond the limit of ±%d pence", in.amount_pence(),
                                        limits::kAmountPenceMax));
  }
  if (!ValidCategory(in.category())) {
    return InvalidField(Path(prefix, "category"),
                        absl::StrFormat("%d is not a known category", in.category()));
  }
  if (!in.has_reverses()) {
    if (domain::IsCreditCategory(ToDomain(in.category())) && in.amount_pence() < 0) {
      return InvalidField(Path(prefix, "category"),
                          absl::StrFormat("%s is a credit category but the amount is negative",
                                          v1::Category_Name(in.category())));
    }
    if (domain::IsDebitCategory(ToDomain(in.category())) && in.amount_pence() > 0) {
      return InvalidField(Path(prefix, "category"),
                          absl::StrFormat("%s is a debit category but the amount is positive",
                                          v1::Category_Name(in.category())));
    }
  }
  if (absl::Status s =
          CheckOptionalText(in.has_counterparty(), in.counterparty(), prefix, "counterparty");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckOptionalText(in.has_description(), in.description(), prefix, "description");
      !s.ok()) {
    return s;
  }
  if (in.has_mcc()) {
    if (absl::Status s = Check(ValidateMcc(in.mcc()), prefix, "mcc"); !s.ok()) return s;
  }
  if (in.has_reverses()) {
    if (absl::Status s = Check(ValidateFeedId(in.reverses()), prefix, "reverses"); !s.ok()) {
      return s;
    }
    if (in.reverses() == in.external_id()) {
      return InvalidField(Path(prefix, "reverses"), "a transaction cannot reverse itself");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateStatementInput(const v1::StatementInput& in, absl::string_view prefix,
                                    Date* date) {
  if (absl::Status s = CheckDesignation(in.source(), in.account(), in.account_ref(), prefix);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDate(in.date(), prefix, "date", date); !s.ok()) return s;
  return CheckRange(in.closing_balance_pence(), -limits::kAmountPenceMax, limits::kAmountPenceMax,
                    prefix, "closing_balance_pence");
}

v1::Policy DefaultPolicy() { return PolicyToProto(domain::DefaultPolicy()); }

absl::Status MergePolicy(const v1::Policy& in, const google::protobuf::FieldMask& mask,
                         absl::string_view prefix, v1::Policy* out) {
  const google::protobuf::Descriptor* d = v1::Policy::descriptor();
  const google::protobuf::Reflection* r = v1::Policy::GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  if (mask.paths_size() == 0) {
    r->ListFields(in, &fields);
  } else {
    for (int i = 0; i < mask.paths_size(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->FindFieldByName(mask.paths(i));
      if (f == nullptr) {
        return InvalidField(absl::StrCat("update_mask.paths[", i, "]"),
                            absl::StrFormat("\"%s\" is not a policy field", mask.paths(i)));
      }
      fields.push_back(f);
    }
  }
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (!f->is_repeated() && !r->HasField(in, f)) {
      return InvalidField(Path(prefix, f->name()), "is named in update_mask but has no value");
    }
    r->ClearField(out, f);
  }
  // Copy each chosen field from `in` by merging a copy holding only those fields.
  v1::Policy chosen = in;
  std::vector<const google::protobuf::FieldDescriptor*> all;
  r->ListFields(chosen, &all);
  for (const google::protobuf::FieldDescriptor* f : all) {
    if (std::find(fields.begin(), fields.end(), f) == fields.end()) r->ClearField(&chosen, f);
  }
  out->MergeFrom(chosen);
  return ValidatePolicy(*out, prefix);
}

absl::Status ValidatePolicy(const v1::Policy& p, absl::string_view prefix) {
  for (const domain::PolicyBound& b : domain::PolicyBounds(PolicyFromProto(p))) {
    if (absl::Status s = CheckRange(b.value, b.lo, b.hi, prefix, b.field); !s.ok()) return s;
  }
  for (int i = 0; i < p.restricted_mccs_size(); ++i) {
    if (absl::Status s = Check(ValidateMcc(p.restricted_mccs(i)), prefix,
                               absl::StrCat("restricted_mccs[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < p.evidence_mccs_size(); ++i) {
    if (absl::Status s =
            Check(ValidateMcc(p.evidence_mccs(i)), prefix, absl::StrCat("evidence_mccs[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  return ValidateCategoryRules(p.category_rules(), Path(prefix, "category_rules"));
}

absl::Status ValidateCategoryRules(
    const google::protobuf::RepeatedPtrField<v1::CategoryRule>& rules, absl::string_view prefix) {
  if (rules.size() > limits::kCategoryRulesMax) {
    return InvalidField(prefix, absl::StrFormat("has %d rules; the limit is %d", rules.size(),
                                                limits::kCategoryRulesMax));
  }
  for (int i = 0; i < rules.size(); ++i) {
    const v1::CategoryRule& r = rules[i];
    const std::string p = absl::StrCat(prefix, "[", i, "]");
    if (r.mcc().empty() && r.counterparty_contains().empty() && r.description_contains().empty()) {
      return InvalidField(p,
                          "gives no condition (mcc, counterparty_contains, description_contains)");
    }
    if (!r.mcc().empty()) {
      if (absl::Status s = Check(ValidateMcc(r.mcc()), p, "mcc"); !s.ok()) return s;
    }
    for (const auto& [text, name] :
         {std::pair{&r.counterparty_contains(), "counterparty_contains"},
          std::pair{&r.description_contains(), "description_contains"}}) {
      if (absl::Status s = Check(ValidateText(*text), p, name); !s.ok()) return s;
      if (text->size() > 200) return InvalidField(Path(p, name), "is longer than 200 bytes");
    }
    if (r.category() == v1::CATEGORY_UNSPECIFIED || !v1::Category_IsValid(r.category())) {
      return InvalidField(Path(p, "category"), "is required: a category such as PA_WAGES");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateExternalRef(const v1::ExternalRef& ref, absl::string_view prefix) {
  if (absl::Status s = Check(ValidateFeedId(ref.source()), prefix, "source"); !s.ok()) return s;
  return Check(ValidateFeedId(ref.ref()), prefix, "ref");
}

absl::Status ValidatePersonRef(absl::string_view ref, absl::string_view field) {
  if (ref.empty()) return absl::OkStatus();
  if (ref.size() > limits::kPersonRefBytesMax) {
    return InvalidField(field, absl::StrFormat("is %d bytes long; the limit is %d", ref.size(),
                                               limits::kPersonRefBytesMax));
  }
  return Check(ValidateFeedId(ref), "", field);
}

absl::Status ValidateDisplayName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return absl::OkStatus();
  if (name.size() > limits::kDisplayNameBytesMax) {
    return InvalidField(field, absl::StrFormat("is %d bytes long; the limit is %d", name.size(),
                                               limits::kDisplayNameBytesMax));
  }
  if (absl::StripAsciiWhitespace(name).empty()) {
    return InvalidField(field, "must have a letter, not only spaces (or be empty)");
  }
  return Check(ValidateText(name), "", field);
}

absl::StatusOr<std::string> ParseOfficer(absl::string_view officer, absl::string_view field) {
  if (officer.empty()) return std::string();
  absl::string_view id = officer;
  if (!absl::ConsumePrefix(&id, "keys/") || id.empty() || id.find('/') != absl::string_view::npos) {
    return InvalidField(
        field, absl::StrFormat("\"%s\" is not of the form keys/{key_id}", officer.substr(0, 80)));
  }
  if (absl::Status s = ValidateId(id); !s.ok()) return InvalidField(field, s.message());
  return std::string(id);
}

absl::Status ValidateCaseNoteText(absl::string_view text, absl::string_view field) {
  if (absl::StripAsciiWhitespace(text).empty()) return InvalidField(field, "is required");
  if (text.size() > limits::kCaseNoteBytesMax) {
    return InvalidField(field, absl::StrFormat("is %d bytes long; the limit is %d", text.size(),
                                               limits::kCaseNoteBytesMax));
  }
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return InvalidField(field, "must not contain control characters other than line breaks");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNewAccount(const v1::Account& a, absl::string_view prefix) {
  if (absl::Status s = CheckDate(a.start_date(), prefix, "start_date"); !s.ok()) return s;
  if (a.holding() == v1::HOLDING_UNSPECIFIED || !v1::Holding_IsValid(a.holding())) {
    return InvalidField(Path(prefix, "holding"), "is required: PREPAID_CARD or BANK_ACCOUNT");
  }
  if (a.management() == v1::MANAGEMENT_UNSPECIFIED || !v1::Management_IsValid(a.management())) {
    return InvalidField(
        Path(prefix, "management"),
        "is required: SELF, NOMINATED_PERSON, AUTHORISED_PERSON or MANAGED_ACCOUNT");
  }
  if (a.recipient() == v1::RECIPIENT_UNSPECIFIED || !v1::Recipient_IsValid(a.recipient())) {
    return InvalidField(Path(prefix, "recipient"), "is required: SERVICE_USER or CARER");
  }
  if (a.external_refs_size() > limits::kExternalRefsMax) {
    return InvalidField(Path(prefix, "external_refs"),
                        absl::StrFormat("has %d entries; the limit is %d", a.external_refs_size(),
                                        limits::kExternalRefsMax));
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < a.external_refs_size(); ++i) {
    const std::string p = Path(prefix, absl::StrCat("external_refs[", i, "]"));
    if (absl::Status s = ValidateExternalRef(a.external_refs(i), p); !s.ok()) return s;
    if (!seen.emplace(a.external_refs(i).source(), a.external_refs(i).ref()).second) {
      return InvalidField(p, "is listed twice");
    }
  }
  if (absl::Status s = ValidateCategoryRules(a.category_rules(), Path(prefix, "category_rules"));
      !s.ok()) {
    return s;
  }
  if (!a.care_plan_review_date().empty()) {
    if (absl::Status s = CheckDate(a.care_plan_review_date(), prefix, "care_plan_review_date");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidatePersonRef(a.person_ref(), Path(prefix, "person_ref")); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateDisplayName(a.display_name(), Path(prefix, "display_name"));
      !s.ok()) {
    return s;
  }
  return ParseOfficer(a.assigned_officer(), Path(prefix, "assigned_officer")).status();
}

absl::Status ValidatePlanVersion(const v1::PlanVersion& plan, absl::string_view prefix) {
  if (absl::Status s = CheckDate(plan.effective_from(), prefix, "effective_from"); !s.ok())
    return s;
  if (absl::Status s =
          CheckRange(plan.weekly_dp_pence(), 0, limits::kWeeklyPenceMax, prefix, "weekly_dp_pence");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckRange(plan.weekly_client_contribution_pence(), 0, plan.weekly_dp_pence(), prefix,
                     "weekly_client_contribution_pence");
      !s.ok()) {
    return s;
  }
  if (plan.payment_cycle() == v1::PAYMENT_CYCLE_UNSPECIFIED ||
      !v1::PaymentCycle_IsValid(plan.payment_cycle())) {
    return InvalidField(Path(prefix, "payment_cycle"),
                        "is required: WEEKLY, FORTNIGHTLY, FOUR_WEEKLY or MONTHLY");
  }
  if (plan.lines_size() > limits::kPlanLinesMax) {
    return InvalidField(
        Path(prefix, "lines"),
        absl::StrFormat("has %d lines; the limit is %d", plan.lines_size(), limits::kPlanLinesMax));
  }
  std::set<int> categories;
  for (int i = 0; i < plan.lines_size(); ++i) {
    const std::string p = Path(prefix, absl::StrCat("lines[", i, "]"));
    const v1::PlanLine& line = plan.lines(i);
    if (!v1::Category_IsValid(line.category()) ||
        !(domain::IsDebitCategory(ToDomain(line.category())) ||
          line.category() == v1::UNCATEGORISED)) {
      return InvalidField(Path(p, "category"), "must be a debit category");
    }
    if (!categories.insert(line.category()).second) {
      return InvalidField(Path(p, "category"), "appears in more than one line");
    }
    if (absl::Status s =
            CheckRange(line.weekly_pence(), 0, limits::kWeeklyPenceMax, p, "weekly_pence");
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEarmark(const v1::Earmark& e, absl::string_view prefix) {
  if (absl::Status s = Check(ValidateFeedId(e.id()), prefix, "id"); !s.ok()) return s;
  if (e.kind() == v1::EARMARK_KIND_UNSPECIFIED || !v1::EarmarkKind_IsValid(e.kind())) {
    return InvalidField(
        Path(prefix, "kind"),
        "is required: AGREED_PURPOSE, OUTSTANDING_INVOICE, UNPAID_WAGES or TAX_LIABILITY");
  }
  if (absl::Status s =
          CheckRange(e.amount_pence(), 1, limits::kAmountPenceMax, prefix, "amount_pence");
      !s.ok()) {
    return s;
  }
  Date from, until;
  if (absl::Status s = CheckDate(e.from(), prefix, "from", &from); !s.ok()) return s;
  if (absl::Status s = CheckDate(e.until(), prefix, "until", &until); !s.ok()) return s;
  if (until < from) return InvalidField(Path(prefix, "until"), "is before from");
  return Check(ValidateText(e.note()), prefix, "note");
}

absl::Status ValidateStatusChange(const v1::StatusChange& c, absl::string_view prefix) {
  if (absl::Status s = CheckDate(c.date(), prefix, "date"); !s.ok()) return s;
  if (c.status() == v1::ACCOUNT_STATUS_UNSPECIFIED || !v1::AccountStatus_IsValid(c.status())) {
    return InvalidField(Path(prefix, "status"), "is required: ACTIVE, SUSPENDED or CLOSED");
  }
  return Check(ValidateText(c.note()), prefix, "note");
}

absl::Status ValidateReview(const v1::Review& r, absl::string_view prefix) {
  if (absl::Status s = CheckDate(r.date(), prefix, "date"); !s.ok()) return s;
  return Check(ValidateText(r.note()), prefix, "note");
}

absl::Status ValidateAudit(const v1::Audit& a, absl::string_view prefix) {
  Date date, period_end;
  if (absl::Status s = CheckDate(a.date(), prefix, "date", &date); !s.ok()) return s;
  if (absl::Status s = CheckDate(a.period_end(), prefix, "period_end", &period_end); !s.ok()) {
    return s;
  }
  if (period_end > date) {
    return InvalidField(Path(prefix, "period_end"), "is after the audit's date");
  }
  if (absl::Status s = Check(ValidateText(a.note()), prefix, "note"); !s.ok()) return s;
  return Check(ValidateText(a.auditor()), prefix, "auditor");
}

absl::Status ValidateRecovery(const v1::Recovery& r, absl::string_view prefix) {
  if (absl::Status s = Check(ValidateId(r.id()), prefix, "id"); !s.ok()) return s;
  if (r.amount_pence() <= 0 || r.amount_pence() > limits::kAmountPenceMax) {
    return InvalidField(Path(prefix, "amount_pence"),
                        absl::StrFormat("must be 1..%d", limits::kAmountPenceMax));
  }
  if (r.method() == v1::RECOVERY_METHOD_UNSPECIFIED || !v1::RecoveryMethod_IsValid(r.method())) {
    return InvalidField(Path(prefix, "method"),
                        "is required: RECLAIM_FROM_ACCOUNT, INVOICE or REDUCE_FUTURE_PAYMENTS");
  }
  if (absl::Status s = CheckDate(r.date(), prefix, "date"); !s.ok()) return s;
  if (absl::Status s = Check(ValidateText(r.note()), prefix, "note"); !s.ok()) return s;
  if (r.recorded_by().empty()) return InvalidField(Path(prefix, "recorded_by"), "is required");
  return Check(ValidateText(r.recorded_by()), prefix, "recorded_by");
}

namespace {

template <typename Record>
absl::string_view IdOf(const Record& r) {
  if constexpr (std::is_same_v<Record, v1::Earmark> || std::is_same_v<Record, v1::Recovery>) {
    return r.id();
  } else {
    return "";
  }
}

// The change placed as domain::PlaceChange says: appended, or replacing the
// record with its id.
template <typename Record>
absl::Status ApplyChange(domain::ChangeKind kind, Record record,
                         google::protobuf::RepeatedPtrField<Record>* list) {
  absl::StatusOr<int> at = domain::PlaceChange(
      kind, list->size(), [list](int i) { return IdOf(list->Get(i)); }, IdOf(record));
  if (!at.ok()) return at.status();
  if (*at == list->size()) {
    *list->Add() = std::move(record);
  } else {
    (*list)[*at] = std::move(record);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyStatusChange(const v1::StatusChange& change, v1::Account* account) {
  return ApplyChange(domain::ChangeKind::kStatusChange, change, account->mutable_status_history());
}

absl::Status ApplyPlanVersion(const v1::PlanVersion& plan, v1::Account* account) {
  return ApplyChange(domain::ChangeKind::kPlanVersion, plan, account->mutable_plan_versions());
}

absl::Status ApplyEarmark(const v1::Earmark& earmark, v1::Account* account) {
  return ApplyChange(domain::ChangeKind::kEarmark, earmark, account->mutable_earmarks());
}

absl::Status ApplyReview(const v1::Review& review, v1::Account* account) {
  return ApplyChange(domain::ChangeKind::kReview, review, account->mutable_reviews());
}

absl::Status ApplyAudit(const v1::Audit& audit, v1::Account* account) {
  return ApplyChange(domain::ChangeKind::kAudit, audit, account->mutable_audits());
}

absl::Status ApplyRecovery(const v1::Recovery& recovery, v1::Account* account) {
  v1::Recovery stored = recovery;
  stored.clear_state();  // Derived, never stored.
  stored.clear_recovered_pence();
  return ApplyChange(domain::ChangeKind::kRecovery, std::move(stored),
                     account->mutable_recoveries());
}

absl::StatusOr<int> EffectivePageSize(int32_t page_size) {
  if (page_size < 0) return InvalidField("page_size", "must not be negative");
  if (page_size == 0) return limits::kPageSizeDefault;
  return std::min<int>(page_size, limits::kPageSizeMax);
}

namespace {
std::string ScopeTag(absl::string_view scope) {
  return absl::StrFormat("%016x", Fingerprint64(scope));
}
}  // namespace

std::string EncodePageToken(absl::string_view scope, absl::string_view resume_key) {
  if (resume_key.empty()) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(ScopeTag(scope), resume_key));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= 16) {
    return InvalidField("page_token", "is not a token this server issued");
  }
  if (raw.substr(0, 16) != ScopeTag(scope)) {
    return InvalidField("page_token", "belongs to a request with other parameters");
  }
  return raw.substr(16);
}

absl::StatusOr<AccountFilter> ParseAccountFilter(absl::string_view filter) {
  AccountFilter out;
  std::string text(absl::StripAsciiWhitespace(filter));
  if (text.empty()) return out;
  for (absl::string_view term : absl::StrSplit(text, " AND ")) {
    std::vector<std::string> kv = absl::StrSplit(term, '=');
    if (kv.size() != 2) {
      return InvalidField("filter",
                          absl::StrFormat("\"%s\" is not of the form field = VALUE", term));
    }
    std::string key(absl::StripAsciiWhitespace(kv[0]));
    std::string value(absl::StripAsciiWhitespace(kv[1]));
    if (key == "status") {
      v1::AccountStatus s;
      if (!v1::AccountStatus_Parse(value, &s) || s == v1::ACCOUNT_STATUS_UNSPECIFIED) {
        return InvalidField(
            "filter", absl::StrFormat("status \"%s\" is not ACTIVE, SUSPENDED or CLOSED", value));
      }
      out.status = s;
    } else if (key == "holding") {
      v1::Holding h;
      if (!v1::Holding_Parse(value, &h) || h == v1::HOLDING_UNSPECIFIED) {
        return InvalidField(
            "filter", absl::StrFormat("holding \"%s\" is not PREPAID_CARD or BANK_ACCOUNT", value));
      }
      out.holding = h;
    } else if (key == "officer") {
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      absl::StatusOr<std::string> id = ParseOfficer(value, "filter");
      if (!id.ok()) return id.status();
      out.officer = *id;
    } else {
      return InvalidField(
          "filter", absl::StrFormat("cannot filter on \"%s\" (status, holding, officer)", key));
    }
  }
  return out;
}

}  // namespace dpmon
