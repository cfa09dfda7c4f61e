// What the dashboard's pages share: templates, forms, cookies, query
// values, and how a council and a flag are shown. Not for use outside
// server/http/.
//
// Thread-safety: pure functions (the templates are built in).
#ifndef DPMON_SERVER_HTTP_WEB_UTIL_H_
#define DPMON_SERVER_HTTP_WEB_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "dpmon/v1/dpmon.pb.h"
#include "dpmon/v1/resources.pb.h"
#include "grpcpp/support/status.h"
#include "kainjow/mustache.hpp"
#include "server/http/http_listener.h"

namespace dpmon::web {

// A file of web/ built into the server ("templates/x.mustache"), or nullptr.
const char* FileContent(const std::string& path);
// web/templates/{name}.mustache rendered with `data`.
std::string Render(const std::string& name, const kainjow::mustache::data& data);
// An application/x-www-form-urlencoded body.
using Form = std::map<std::string, std::string>;
Form ParseForm(const std::string& body);
// Every value of a field that may repeat (checkboxes), in order.
std::vector<std::string> FormValues(const std::string& body, const std::string& name);
// "%41+b" as "A b".
std::string FormDecode(absl::string_view s);
// A form's field, "" if absent.
std::string FormValue(const Form& form, const std::string& name);
std::string CookieValue(const HttpRequest& request, absl::string_view name);
// False for empty strings.
bool ConstantTimeEquals(const std::string& a, const std::string& b);
// 303 See Other.
HttpResponse Redirect(const std::string& to);
// The field a service's refusal names (its google.rpc.BadRequest), "" if none.
std::string RefusedField(const grpc::Status& status);
// A query parameter, "" if absent.
std::string QueryValue(const HttpRequest& request, const std::string& name);
// The options of a select: "" (all) first, then every value of the enum.
kainjow::mustache::data EnumOptions(const google::protobuf::EnumDescriptor* d,
                                    const std::string& chosen, const std::string& all_label);
// How a council is named on a page: its display name, else its id.
std::string TitleOf(const v1::Council& c);
// The page of one flag: /councils/{c}/accounts/{a}/flags/{KIND}?subject=S
std::string FlagHref(const v1::Flag& f);
// A flag as the templates show it.
kainjow::mustache::data FlagData(const v1::Flag& f);
// "?asOf=D" to carry a page's date to the pages it links to ("" for today).
std::string AsOfQuery(const std::string& as_of, char first = '?');
// The "as of" field of a page's GET form: the partials {{>as_of_field}} and
// {{>as_of_summary}}, as_of_input and, for text that is not a date,
// as_of_error. Returns the date to show the page as of: `as_of`, or "" (now)
// when it is empty or not a date.
std::string SetAsOf(kainjow::mustache::data* d, const std::string& as_of);

}  // namespace dpmon::web

#endif  // DPMON_SERVER_HTTP_WEB_UTIL_H_
