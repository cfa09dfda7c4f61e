#include "server/http/web_forms.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dpmon/v1/dpmon.pb.h"
#include "google/protobuf/descriptor.h"
#include "server/http/web_format.h"

namespace dpmon::web {

namespace mustache = kainjow::mustache;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const std::vector<FormSpec>& AccountForms() {
  using K = FieldSpec;
  static const auto* forms = new std::vector<FormSpec>{
      {"notes",
       "Add a case note",
       "Add note",
       "/dpmon.v1.Accounts/AddCaseNote",
       "notes",
       {{"text", "Note", "Kept with the account for good, with your name and the time.",
         K::kTextArea}}},
      {"reviews",
       "Record a review",
       "Record review",
       "/dpmon.v1.Accounts/RecordReview",
       "timeline",
       {{"date", "Date of the review", "As YYYY-MM-DD, for example 2026-11-30.", K::kDate},
        {"note", "Note", "", K::kText, false}}},
      {"status",
       "Change the status",
       "Change status",
       "/dpmon.v1.Accounts/ChangeAccountStatus",
       "timeline",
       {{"status", "New status", "", K::kSelect, true, v1::AccountStatus_descriptor()},
        {"date", "From", "As YYYY-MM-DD.", K::kDate},
        {"note", "Why", "", K::kText, false}}},
      {"earmarks",
       "Earmark money",
       "Save earmark",
       "/dpmon.v1.Accounts/UpsertEarmark",
       "timeline",
       {{"id", "Earmark id", "An earmark with the same id is replaced.", K::kText},
        {"kind", "What it is for", "", K::kSelect, true, v1::EarmarkKind_descriptor()},
        {"amount_pence", "Amount", "In pounds, for example 150.00.", K::kMoney},
        {"from", "From", "As YYYY-MM-DD.", K::kDate},
        {"until", "Until", "As YYYY-MM-DD (the last day it holds).", K::kDate},
        {"note", "Note", "", K::kText, false}}},
      {"audits",
       "Record an audit",
       "Record audit",
       "/dpmon.v1.Accounts/RecordAudit",
       "timeline",
       {{"date", "Date of the audit", "As YYYY-MM-DD.", K::kDate},
        {"period_end", "Covering up to", "The last day the audit looked at, as YYYY-MM-DD.",
         K::kDate},
        {"auditor", "Auditor", "", K::kText},
        {"note", "Findings", "", K::kText, false}}},
      {"recoveries",
       "Record a recovery",
       "Record recovery",
       "/dpmon.v1.Accounts/RecordRecovery",
       "timeline",
       {{"id", "Recovery id", "A recovery with the same id is replaced.", K::kText},
        {"amount_pence", "Amount to recover", "In pounds, for example 1,200.00.", K::kMoney},
        {"method", "How", "", K::kSelect, true, v1::RecoveryMethod_descriptor()},
        {"date", "Agreed on", "As YYYY-MM-DD.", K::kDate},
        {"recorded_by", "Agreed by", "", K::kText},
        {"note", "Note", "", K::kText, false}}},
  };
  return *forms;
}

const FormSpec* FindAccountForm(const std::string& name) {
  for (const FormSpec& f : AccountForms()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

namespace {

const google::protobuf::MethodDescriptor* MethodOf(const FormSpec& form) {
  // "/dpmon.v1.Accounts/RecordAudit" -> "dpmon.v1.Accounts.RecordAudit"
  std::string full = absl::StrReplaceAll(absl::StripPrefix(form.method, "/"), {{"/", "."}});
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full);
}

std::unique_ptr<Message> New(const google::protobuf::Descriptor* d) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

// The request's one message field (the review, the audit, ...).
const FieldDescriptor* PayloadOf(const google::protobuf::Descriptor* request) {
  for (int i = 0; i < request->field_count(); ++i) {
    const FieldDescriptor* f = request->field(i);
    if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated()) return f;
  }
  return nullptr;
}

absl::Status Invalid(const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, "\n", message));
}

}  // namespace

std::unique_ptr<Message> NewRequest(const FormSpec& form) {
  return New(MethodOf(form)->input_type());
}

std::unique_ptr<Message> NewResponse(const FormSpec& form) {
  return New(MethodOf(form)->output_type());
}

std::string FieldId(const FormSpec& form, const std::string& field) {
  return absl::StrCat(form.name, "-", field);
}

absl::Status FillRequest(const FormSpec& form, const std::string& account, const Form& values,
                         Message* request) {
  const google::protobuf::Descriptor* d = request->GetDescriptor();
  const google::protobuf::Reflection* r = request->GetReflection();
  r->SetString(request, d->FindFieldByName("account"), account);
  r->SetString(request, d->FindFieldByName("request_id"), FormValue(values, "request_id"));
  const FieldDescriptor* payload_field = PayloadOf(d);
  Message* payload = r->MutableMessage(request, payload_field);
  const google::protobuf::Reflection* pr = payload->GetReflection();
  for (const FieldSpec& spec : form.fields) {
    const FieldDescriptor* f = payload->GetDescriptor()->FindFieldByName(spec.name);
    // Browsers send a textarea's line breaks as CRLF; dpmon keeps LF.
    std::string value = absl::StrReplaceAll(FormValue(values, spec.name), {{"\r\n", "\n"}});
    if (spec.kind != FieldSpec::kTextArea) value = std::string(absl::StripAsciiWhitespace(value));
    if (value.empty()) {
      if (spec.required) {
        return Invalid(spec.name, absl::StrCat("Enter ", absl::AsciiStrToLower(spec.label)));
      }
      continue;
    }
    if (spec.kind == FieldSpec::kMoney) {
      absl::StatusOr<int64_t> pence = ParsePounds(value);
      if (!pence.ok()) return Invalid(spec.name, std::string(pence.status().message()));
      pr->SetInt64(payload, f, *pence);
    } else if (spec.kind == FieldSpec::kSelect) {
      const google::protobuf::EnumValueDescriptor* e = f->enum_type()->FindValueByName(value);
      if (e == nullptr || e->number() == 0) {
        return Invalid(spec.name, absl::StrCat("Choose ", absl::AsciiStrToLower(spec.label)));
      }
      pr->SetEnum(payload, f, e);
    } else {
      pr->SetString(payload, f, value);
    }
  }
  return absl::OkStatus();
}

std::string FieldOfRefusal(const FormSpec& form, const grpc::Status& status) {
  std::vector<std::string> parts = absl::StrSplit(RefusedField(status), '.');
  for (const FieldSpec& f : form.fields) {
    if (f.name == parts.back()) return f.name;
  }
  return form.fields.front().name;
}

mustache::data FormData(const FormSpec& form, const std::string& action, const std::string& csrf,
                        const std::string& request_id, const Form& values,
                        const std::string& error_field, const std::string& error) {
  mustache::data fields = mustache::data::type::list;
  for (const FieldSpec& spec : form.fields) {
    mustache::data f;
    const std::string id = FieldId(form, spec.name);
    const std::string value = FormValue(values, spec.name);
    f.set("id", id);
    f.set("name", spec.name);
    f.set("label", spec.required ? spec.label : absl::StrCat(spec.label, " (optional)"));
    if (!spec.hint.empty()) f.set("hint", spec.hint);
    if (spec.name == error_field && !error.empty()) f.set("error", error);
    f.set("value", value);
    f.set("textarea", spec.kind == FieldSpec::kTextArea);
    f.set("select", spec.kind == FieldSpec::kSelect);
    f.set("input", spec.kind != FieldSpec::kTextArea && spec.kind != FieldSpec::kSelect);
    f.set("short", spec.kind == FieldSpec::kDate || spec.kind == FieldSpec::kMoney);
    if (spec.kind == FieldSpec::kSelect) {
      f.set("options", EnumOptions(spec.options, value, "Choose"));
    }
    fields.push_back(f);
  }
  mustache::data d;
  d.set("name", form.name);
  d.set("heading", form.heading);
  d.set("button", form.button);
  d.set("action", action);
  d.set("csrf", csrf);
  d.set("request_id", request_id);
  d.set("fields", fields);
  return d;
}

}  // namespace dpmon::web
