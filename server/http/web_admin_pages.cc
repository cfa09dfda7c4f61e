// The dashboard's pages for administrators: keys (a new key's secret shown
// once), the access log ("who looked at this person"), and a council's
// policy. Every call is the signed-in key's, so the services refuse anyone
// but an ADMIN (and a policy page is readable by any role that may read the
// council).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "common/names.h"
#include "dpmon/v1/dpmon.pb.h"
#include "google/protobuf/descriptor.h"
#include "server/auth.h"
#include "server/clock.h"
#include "server/http/sessions.h"
#include "server/http/web_app.h"
#include "server/http/web_format.h"
#include "server/http/web_util.h"

namespace dpmon {

namespace mustache = kainjow::mustache;
using google::protobuf::FieldDescriptor;
using web::AsOfQuery;
using web::EnumOptions;
using web::Form;
using web::FormValue;
using web::QueryValue;
using web::Redirect;
using web::RefusedField;
using web::SetAsOf;
using web::TitleOf;

namespace {

// The policy's fields a person can set here: numbers and MCC lists.
std::vector<const FieldDescriptor*> PolicyFields() {
  std::vector<const FieldDescriptor*> out;
  const google::protobuf::Descriptor* d = v1::Policy::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) continue;  // category_rules: dpctl
    out.push_back(f);
  }
  return out;
}

std::string PolicyValue(const v1::Policy& p, const FieldDescriptor* f) {
  const google::protobuf::Reflection* r = p.GetReflection();
  if (f->is_repeated()) {
    std::vector<std::string> values;
    for (int i = 0; i < r->FieldSize(p, f); ++i) values.push_back(r->GetRepeatedString(p, f, i));
    return absl::StrJoin(values, " ");
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) return absl::StrCat(r->GetInt64(p, f));
  return absl::StrCat(r->GetInt32(p, f));
}

}  // namespace

HttpResponse WebApp::Keys(const HttpRequest& request, const SessionStore::Session& s,
                          const FormError& error, const std::string& created_secret,
                          const std::string& created_name) const {
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  v1::ListApiKeysRequest in;
  in.set_page_size(1000);
  in.set_show_revoked(QueryValue(request, "revoked") == "yes");
  in.set_as_of_date(as_of);
  v1::ListApiKeysResponse out;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Admin/ListApiKeys", in, &out); !st.ok()) {
    return CallFailed(st, s);
  }
  mustache::data rows = mustache::data::type::list;
  for (const v1::ApiKey& k : out.api_keys()) {
    mustache::data row;
    const std::string id = LastNameSegment(k.name());
    row.set("id", id);
    row.set("name", k.display_name());
    row.set("role", SentenceCase(v1::Role_Name(k.role())));
    row.set("councils",
            k.all_councils() ? std::string("Every council") : absl::StrJoin(k.councils(), ", "));
    row.set("created", LongDateTime(k.create_time()));
    row.set("revoked", k.revoke_time().empty() ? std::string() : LongDateTime(k.revoke_time()));
    row.set("in_force", k.revoke_time().empty());
    row.set("may_revoke", k.revoke_time().empty() && as_of.empty() && id != s.key_id);
    row.set("revoke_action", absl::StrCat("/admin/keys/", id, "/revoke"));
    row.set("access_href",
            absl::StrCat("/admin/access-log?key=", UrlEncode(k.name()), AsOfQuery(as_of, '&')));
    row.set("self", id == s.key_id);
    rows.push_back(row);
  }
  d.set("keys", rows);
  d.set("has_keys", out.api_keys_size() > 0);
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("in_force_href", absl::StrCat("/admin/keys", AsOfQuery(as_of)));
  d.set("revoked_href", absl::StrCat("/admin/keys?revoked=yes", AsOfQuery(as_of, '&')));
  d.set("csrf", s.csrf);
  d.set("request_id", RandomToken());
  d.set("show_revoked", in.show_revoked());
  d.set("roles", EnumOptions(v1::Role_descriptor(), FormValue(error.values, "role"), "Choose"));
  d.set("display_name", FormValue(error.values, "display_name"));
  d.set("councils", FormValue(error.values, "councils"));
  d.set("sources", FormValue(error.values, "sources"));
  if (!created_secret.empty()) {
    d.set("secret", created_secret);
    d.set("created_name", created_name);
  }
  if (!error.message.empty()) {
    d.set("error", error.message);
    d.set("error_href", error.field);
    d.set(absl::StrCat("error_", absl::StripPrefix(error.field, "#key-")), error.message);
  }
  return Page(error.message.empty() ? 200 : 400, error.message.empty() ? "Keys" : "Error: Keys",
              "keys", d, &s);
}

HttpResponse WebApp::CreateKey(const HttpRequest& request, const SessionStore::Session& s,
                               const Form& form) const {
  FormError error;
  error.values = form;
  auto fail = [&](const std::string& field, const std::string& message) {
    error.field = "#key-" + field;
    error.message = message;
    return Keys(request, s, error, "", "");
  };
  v1::CreateApiKeyRequest in;
  const std::string name(absl::StripAsciiWhitespace(FormValue(form, "display_name")));
  if (name.empty()) return fail("display_name", "Enter the name of the person or system");
  v1::Role role;
  if (!v1::Role_Parse(FormValue(form, "role"), &role) || role == v1::ROLE_UNSPECIFIED) {
    return fail("role", "Choose a role");
  }
  in.mutable_api_key()->set_display_name(name);
  in.mutable_api_key()->set_role(role);
  const std::string councils(absl::StripAsciiWhitespace(FormValue(form, "councils")));
  if (councils == "*") {
    in.mutable_api_key()->set_all_councils(true);
  } else {
    for (absl::string_view c : absl::StrSplit(councils, absl::ByAnyChar(", "), absl::SkipEmpty())) {
      in.mutable_api_key()->add_councils(std::string(c));
    }
    if (in.api_key().councils().empty()) {
      return fail("councils", "Enter the councils the key acts for, or * for every council");
    }
  }
  for (absl::string_view src :
       absl::StrSplit(FormValue(form, "sources"), absl::ByAnyChar(", "), absl::SkipEmpty())) {
    in.mutable_api_key()->add_sources(std::string(src));
  }
  in.set_request_id(FormValue(form, "request_id"));
  v1::CreateApiKeyResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Admin/CreateApiKey", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
      st.error_code() == grpc::StatusCode::NOT_FOUND) {
    const std::string field = RefusedField(st);
    return fail(absl::StrContains(field, "sources")   ? "sources"
                : absl::StrContains(field, "role")    ? "role"
                : absl::StrContains(field, "display") ? "display_name"
                                                      : "councils",
                st.error_message());
  }
  if (!st.ok()) return CallFailed(st, s);
  // The secret, once, on this answer to the POST: never in a URL or a log.
  return Keys(request, s, FormError{}, out.secret(), out.api_key().display_name());
}

HttpResponse WebApp::RevokeKey(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& key_id) const {
  v1::RevokeApiKeyRequest in;
  in.set_name(absl::StrCat("keys/", key_id));
  v1::ApiKey out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Admin/RevokeApiKey", in, &out);
  if (!st.ok()) return CallFailed(st, s);
  return Redirect("/admin/keys");
}

HttpResponse WebApp::AccessLogPage(const HttpRequest& request,
                                   const SessionStore::Session& s) const {
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  v1::ListAccessLogRequest in;
  in.set_account(QueryValue(request, "account"));
  in.set_council(QueryValue(request, "council"));
  in.set_key(QueryValue(request, "key"));
  if (absl::StatusOr<Date> day = Date::Parse(as_of); day.ok()) {
    in.set_end_time(Rfc3339(EndOfDayInLondon(*day)));  // Up to the end of that day.
  }
  in.set_page_size(100);
  in.set_page_token(QueryValue(request, "page"));
  v1::ListAccessLogResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Admin/ListAccessLog", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return ErrorPage(400, "There is a problem with the filters", st.error_message(), &s);
  }
  if (!st.ok()) return CallFailed(st, s);
  mustache::data rows = mustache::data::type::list;
  for (const v1::AccessLogEntry& e : out.entries()) {
    mustache::data row;
    row.set("time", LongDateTime(e.time()));
    row.set("who", e.key_display_name().empty() ? (e.key().empty() ? "No key" : e.key())
                                                : e.key_display_name());
    row.set("what", std::string(absl::StripPrefix(e.method(), "/dpmon.v1.")));
    row.set("account",
            e.account().empty() ? std::string("–") : absl::StrCat(e.council(), "/", e.account()));
    row.set("outcome",
            e.code() == "OK" ? std::string("OK") : absl::StrCat(e.code(), ": ", e.message()));
    row.set("peer", e.peer());
    rows.push_back(row);
  }
  d.set("entries", rows);
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("has_entries", out.entries_size() > 0);
  d.set("account", in.account());
  d.set("council_filter", in.council());
  d.set("key", in.key());
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/admin/access-log?account=", UrlEncode(in.account()),
                               "&council=", UrlEncode(in.council()), "&key=", UrlEncode(in.key()),
                               "&page=", UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(200, "Access log", "access_log", d, &s);
}

HttpResponse WebApp::PolicyPage(const HttpRequest& request, const SessionStore::Session& s,
                                const std::string& council, const FormError& error) const {
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  v1::GetCouncilRequest in;
  in.set_name(CouncilName(council));
  in.set_as_of_date(as_of);
  v1::Council c;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Councils/GetCouncil", in, &c); !st.ok()) {
    return CallFailed(st, s);
  }
  std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
  // A past policy is shown, not edited.
  const bool may_edit =
      as_of.empty() && who != nullptr && Permit(*who, "/dpmon.v1.Councils/UpdatePolicy").ok();
  mustache::data fields = mustache::data::type::list;
  for (const FieldDescriptor* f : PolicyFields()) {
    mustache::data item;
    item.set("id", absl::StrCat("policy-", f->name()));
    item.set("name", f->name());
    item.set("label", SentenceCase(absl::AsciiStrToUpper(f->name())));
    const bool this_one = error.field == "#policy-" + f->name();
    item.set("value", this_one || error.values.count(f->name()) ? FormValue(error.values, f->name())
                                                                : PolicyValue(c.policy(), f));
    item.set("shown", PolicyValue(c.policy(), f));
    if (this_one) item.set("error", error.message);
    item.set("list", f->is_repeated());
    fields.push_back(item);
  }
  d.set("council", council);
  d.set("council_name", TitleOf(c));
  d.set("fields", fields);
  d.set("self", absl::StrCat("/councils/", council, "/policy"));
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("since", c.policy_since().empty() ? std::string() : LongDateTime(c.policy_since()));
  // Asked for a day before the first policy dpmon recorded (the council's
  // own start): that one is shown, and said to be.
  if (absl::StatusOr<Date> day = Date::Parse(as_of); day.ok() && !c.policy_since().empty()) {
    d.set("before_first", c.policy_since() >= Rfc3339(EndOfDayInLondon(*day)));
  }
  d.set("rules", absl::StrCat(c.policy().category_rules_size()));
  d.set("may_edit", may_edit);
  d.set("csrf", s.csrf);
  d.set("request_id", RandomToken());
  d.set("action", absl::StrCat("/councils/", council, "/policy"));
  if (!error.message.empty()) {
    d.set("error", error.message);
    d.set("error_href", error.field);
  }
  return Page(error.message.empty() ? 200 : 400, error.message.empty() ? "Policy" : "Error: Policy",
              "policy", d, &s);
}

HttpResponse WebApp::UpdatePolicy(const HttpRequest& request, const SessionStore::Session& s,
                                  const std::string& council, const Form& form) const {
  v1::UpdatePolicyRequest in;
  in.set_council(CouncilName(council));
  in.set_request_id(FormValue(form, "request_id"));
  FormError error;
  error.values = form;
  v1::Policy* p = in.mutable_policy();
  const google::protobuf::Reflection* r = p->GetReflection();
  for (const FieldDescriptor* f : PolicyFields()) {
    if (!form.count(f->name())) continue;
    const std::string value(absl::StripAsciiWhitespace(FormValue(form, f->name())));
    in.mutable_update_mask()->add_paths(f->name());
    if (f->is_repeated()) {
      for (absl::string_view mcc :
           absl::StrSplit(value, absl::ByAnyChar(", "), absl::SkipEmpty())) {
        r->AddString(p, f, std::string(mcc));
      }
      continue;
    }
    int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) ||
        (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 && (n < INT32_MIN || n > INT32_MAX))) {
      error.field = "#policy-" + f->name();
      error.message =
          absl::StrCat(SentenceCase(absl::AsciiStrToUpper(f->name())), " must be a whole number");
      return PolicyPage(request, s, council, error);
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      r->SetInt64(p, f, n);
    } else {
      r->SetInt32(p, f, static_cast<int32_t>(n));
    }
  }
  v1::Council out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Councils/UpdatePolicy", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    std::string field = RefusedField(st);
    // "policy.surplus_retain_weeks" or "policy.restricted_mccs[2]"
    field = std::string(absl::StripPrefix(field, "policy."));
    field = field.substr(0, field.find('['));
    error.field = "#policy-" + field;
    error.message = st.error_message();
    return PolicyPage(request, s, council, error);
  }
  if (!st.ok()) return CallFailed(st, s);
  return Redirect(absl::StrCat("/councils/", council, "/policy"));
}

}  // namespace dpmon
