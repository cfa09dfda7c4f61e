// The account page's forms as a table: what each asks for, which method it
// calls, and how its fields become that method's request (by the request
// message's own field names, through reflection), so that a new form is a
// row here and its errors name the field the service named.
//
//   const FormSpec* spec = FindAccountForm("audits");
//   std::unique_ptr<Message> req = NewRequest(*spec);
//   absl::Status s = FillRequest(*spec, account, values, req.get());
//
// Thread-safety: the table is immutable; the functions are pure.
#ifndef DPMON_SERVER_HTTP_WEB_FORMS_H_
#define DPMON_SERVER_HTTP_WEB_FORMS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"
#include "kainjow/mustache.hpp"
#include "server/http/web_util.h"

namespace dpmon::web {

struct FieldSpec {
  enum Kind { kText, kDate, kMoney, kTextArea, kSelect };
  std::string name;  // The field of the request's sub-message: "period_end".
  std::string label;
  std::string hint;
  Kind kind = kText;
  bool required = true;
  const google::protobuf::EnumDescriptor* options = nullptr;  // For kSelect.
};

struct FormSpec {
  std::string name;     // Its path: POST /councils/{c}/accounts/{a}/{name}
  std::string heading;  // Also the id of the heading: name.
  std::string button;
  std::string method;  // "/dpmon.v1.Accounts/RecordAudit"
  std::string anchor;  // Where the account page is shown after it: "timeline".
  std::vector<FieldSpec> fields;
};

// In the order the page shows them.
const std::vector<FormSpec>& AccountForms();
const FormSpec* FindAccountForm(const std::string& name);

// The method's request and response messages, empty.
std::unique_ptr<google::protobuf::Message> NewRequest(const FormSpec& form);
std::unique_ptr<google::protobuf::Message> NewResponse(const FormSpec& form);

// Sets the request's account, request_id and its sub-message's fields from
// `values`. InvalidArgument naming the FieldSpec (its name in the message)
// for a required field left empty or an amount that is not one.
absl::Status FillRequest(const FormSpec& form, const std::string& account, const Form& values,
                         google::protobuf::Message* request);

// The field a refusal is about: the service's BadRequest field's last part,
// if the form has it, else the form's first field.
std::string FieldOfRefusal(const FormSpec& form, const grpc::Status& status);

// The form for the template: heading, id, action, button and its fields
// rendered (with the values entered and the error on `error_field`).
kainjow::mustache::data FormData(const FormSpec& form, const std::string& action,
                                 const std::string& csrf, const std::string& request_id,
                                 const Form& values, const std::string& error_field,
                                 const std::string& error);

// The id of a field on the page: "{form}-{field}".
std::string FieldId(const FormSpec& form, const std::string& field);

}  // namespace dpmon::web

#endif  // DPMON_SERVER_HTTP_WEB_FORMS_H_
