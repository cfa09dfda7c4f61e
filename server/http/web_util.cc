#include "server/http/web_util.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/http/web_files.h"
#include "server/http/web_format.h"

namespace dpmon::web {

namespace mustache = kainjow::mustache;

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

const char* FileContent(const std::string& path) {
  for (const WebFile& f : WebFiles()) {
    if (path == f.path) return f.content;
  }
  return nullptr;
}

std::string Render(const std::string& name, const mustache::data& data) {
  const char* text = FileContent(absl::StrCat("templates/", name, ".mustache"));
  mustache::mustache tmpl(text == nullptr ? std::string() : std::string(text));
  return tmpl.render(data);
}

std::string FormDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> FormValues(const std::string& body, const std::string& name) {
  std::vector<std::string> out;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, '=');
    if (FormDecode(kv.first) == name) out.push_back(FormDecode(kv.second));
  }
  return out;
}

Form ParseForm(const std::string& body) {
  Form form;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, '=');
    form.emplace(FormDecode(kv.first), FormDecode(kv.second));
  }
  return form;
}

std::string CookieValue(const HttpRequest& request, absl::string_view name) {
  const std::string* header = request.Header("cookie");
  if (header == nullptr) return "";
  for (absl::string_view part : absl::StrSplit(*header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

HttpResponse Redirect(const std::string& to) {
  HttpResponse r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", to);
  return r;
}

std::string QueryValue(const HttpRequest& request, const std::string& name) {
  for (const auto& [k, v] : request.query) {
    if (k == name) return v;
  }
  return "";
}

mustache::data EnumOptions(const google::protobuf::EnumDescriptor* d, const std::string& chosen,
                           const std::string& all_label) {
  mustache::data list = mustache::data::type::list;
  mustache::data all;
  all.set("value", "");
  all.set("label", all_label);
  all.set("selected", chosen.empty());
  list.push_back(all);
  for (int i = 1; i < d->value_count(); ++i) {
    mustache::data o;
    o.set("value", d->value(i)->name());
    o.set("label", SentenceCase(d->value(i)->name()));
    o.set("selected", chosen == d->value(i)->name());
    list.push_back(o);
  }
  return list;
}

std::string TitleOf(const v1::Council& c) {
  return c.display_name().empty() ? LastNameSegment(c.name()) : c.display_name();
}

std::string FlagHref(const v1::Flag& f) {
  return absl::StrCat("/", f.account(), "/flags/", v1::FlagKind_Name(f.kind()),
                      "?subject=", UrlEncode(f.subject()));
}

mustache::data FlagData(const v1::Flag& f) {
  mustache::data d;
  d.set("account", LastNameSegment(f.account()));
  d.set("kind", SentenceCase(v1::FlagKind_Name(f.kind())));
  d.set("severity", SentenceCase(v1::Severity_Name(f.severity())));
  d.set("subject", f.subject().empty() ? "–" : f.subject());
  d.set("amount", f.has_amount_pence() ? Pounds(f.amount_pence()) : "–");
  d.set("date", f.date().empty() ? "–" : LongDate(f.date()));
  // A flag the rules find as of a date the council was not evaluated on is
  // not stored, so it has no state of its own.
  d.set("state", f.state() == v1::FLAG_STATE_UNSPECIFIED
                     ? std::string("Found as of this date")
                     : SentenceCase(v1::FlagState_Name(f.state())));
  d.set("raised_on", LongDate(f.raised_on()));
  d.set("href", FlagHref(f));
  d.set("account_href", "/" + f.account());
  if (!f.detail().empty()) d.set("detail", f.detail());
  return d;
}

std::string FormValue(const Form& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::string AsOfQuery(const std::string& as_of, char first) {
  return as_of.empty() ? std::string()
                       : absl::StrCat(std::string(1, first), "asOf=", UrlEncode(as_of));
}

std::string SetAsOf(mustache::data* d, const std::string& as_of) {
  for (const char* name : {"as_of_field", "as_of_summary"}) {
    const char* text = FileContent(absl::StrCat("templates/", name, ".mustache"));
    d->set(name, std::string(text == nullptr ? "" : text));
  }
  d->set("as_of_input", as_of);
  if (as_of.empty() || Date::Parse(as_of).ok()) return as_of;
  d->set("as_of_error", "Enter the date as YYYY-MM-DD, for example 2025-12-31");
  return "";
}

std::string RefusedField(const grpc::Status& status) {
  google::rpc::Status detail;
  if (status.error_details().empty() || !detail.ParseFromString(status.error_details())) return "";
  for (const auto& any : detail.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) {
      return br.field_violations(0).field();
    }
  }
  return "";
}

}  // namespace dpmon::web
