#include "server/http/web_app.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/names.h"
#include "dpmon/v1/dpmon.pb.h"
#include "server/http/web_files.h"
#include "server/http/web_format.h"

namespace dpmon {
namespace {

namespace mustache = kainjow::mustache;

constexpr char kSessionCookie[] = "dpmon_session";
constexpr char kSignInCookie[] = "dpmon_signin";
// Scripts and styles from this server only; no inline script, no frames.
constexpr char kPageCsp[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
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

// An application/x-www-form-urlencoded body.
std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> form;
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

// The options of a select: "" (all) first, then every value of the enum.
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

// How a council is named on a page: its display name, else its id.
std::string TitleOf(const v1::Council& c) {
  return c.display_name().empty() ? LastNameSegment(c.name()) : c.display_name();
}

// The page of one flag: /councils/{c}/accounts/{a}/flags/{KIND}?subject=S
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

}  // namespace

WebApp::WebApp(const ServiceCaller* caller, const KeyRegistry* keys, AccessLog* access_log,
               SessionStore* sessions, Options options)
    : caller_(caller),
      keys_(keys),
      access_log_(access_log),
      sessions_(sessions),
      options_(options) {}

std::string WebApp::Cookie(const std::string& name, const std::string& value,
                           const std::string& path, bool clear) const {
  return absl::StrCat(name, "=", clear ? "" : value, "; Path=", path, "; HttpOnly; SameSite=Strict",
                      options_.secure_cookies ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

HttpResponse WebApp::Page(int status, const std::string& title, const std::string& content,
                          mustache::data data, const SessionStore::Session* session) const {
  mustache::data layout;
  layout.set("title", title);
  layout.set("content", Render(content, data));
  if (const mustache::data* council = data.get("council")) layout.set("council", *council);
  if (session != nullptr) {
    layout.set("signed_in", true);
    layout.set("csrf", session->csrf);
    layout.set("who", absl::StrCat("keys/", session->key_id));
  } else {
    layout.set("signed_in", false);
  }
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = Render("layout", layout);
  r.headers.emplace_back("Content-Security-Policy", kPageCsp);
  // Not no-referrer: under it a browser sends a form's POST as from an
  // opaque origin ("Origin: null"), which SameSite=Strict cookies do not
  // go with. Same-origin sends nothing to other sites.
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  return r;
}

HttpResponse WebApp::ErrorPage(int status, const std::string& heading, const std::string& message,
                               const SessionStore::Session* session) const {
  mustache::data d;
  d.set("heading", heading);
  d.set("message", message);
  return Page(status, heading, "error", d, session);
}

grpc::Status WebApp::CallAs(const SessionStore::Session& s, const HttpRequest& request,
                            const std::string& path, const google::protobuf::Message& in,
                            google::protobuf::Message* out) const {
  return caller_->Call(path, in, out, "Bearer " + s.secret, request.peer);
}

grpc::Status WebApp::CouncilTitle(const SessionStore::Session& s, const HttpRequest& request,
                                  const std::string& council, std::string* title) const {
  v1::GetCouncilRequest in;
  in.set_name(CouncilName(council));
  v1::Council c;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Councils/GetCouncil", in, &c);
  if (st.ok()) *title = TitleOf(c);
  return st;
}

HttpResponse WebApp::CallFailed(const grpc::Status& status, const SessionStore::Session& s) const {
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return ErrorPage(404, "Page not found", status.error_message(), &s);
    case grpc::StatusCode::PERMISSION_DENIED:
      return ErrorPage(403, "You cannot see this page",
                       "Your key's role does not allow it. Ask an administrator.", &s);
    case grpc::StatusCode::UNAUTHENTICATED:
      sessions_->Close(s.id);
      return Redirect("/signin");
    default:
      return ErrorPage(500, "Sorry, there is a problem",
                       absl::StrCat("dpmon could not answer: ", status.error_message()), &s);
  }
}

HttpResponse WebApp::SignInPage(const HttpRequest& request, const std::string& error) const {
  // The browser's token if it has one: a page that loads several times (a
  // second tab, a redirect the browser follows for its icon) must not make
  // the form already on screen stale.
  std::string token = CookieValue(request, kSignInCookie);
  if (token.size() != RandomToken().size()) token = RandomToken();
  mustache::data d;
  d.set("csrf", token);
  if (!error.empty()) d.set("error", error);
  HttpResponse r = Page(error.empty() ? 200 : 400, error.empty() ? "Sign in" : "Error: Sign in",
                        "signin", d, nullptr);
  r.headers.emplace_back("Set-Cookie", Cookie(kSignInCookie, token, "/signin", false));
  return r;
}

HttpResponse WebApp::SignIn(const HttpRequest& request) const {
  const std::map<std::string, std::string> form = ParseForm(request.body);
  auto field = [&](const std::string& name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  if (!ConstantTimeEquals(field("csrf"), CookieValue(request, kSignInCookie))) {
    return ErrorPage(403, "Your sign-in form has expired",
                     "Go back to the sign-in page, reload it and sign in again.", nullptr);
  }
  const std::string key = std::string(absl::StripAsciiWhitespace(field("key")));
  if (key.empty()) return SignInPage(request, "Enter your key");
  absl::StatusOr<std::shared_ptr<const Principal>> principal = keys_->Authenticate(key);
  v1::AccessLogEntry entry =
      AccessEntry(principal.ok() ? principal->get() : nullptr, "POST /signin", principal.status());
  entry.set_peer(absl::StrCat("http:", request.peer));
  if (access_log_ != nullptr) access_log_->Record(std::move(entry), keys_->Now());
  if (!principal.ok()) {
    return SignInPage(request, "That key is not one dpmon knows, or it has been revoked");
  }
  SessionStore::Session s = sessions_->Open(key, (*principal)->key_id);
  HttpResponse r = Redirect("/");
  r.headers.emplace_back("Set-Cookie", Cookie(kSessionCookie, s.id, "/", false));
  r.headers.emplace_back("Set-Cookie", Cookie(kSignInCookie, "", "/signin", true));
  return r;
}

HttpResponse WebApp::Councils(const HttpRequest& request, const SessionStore::Session& s) const {
  v1::ListCouncilsRequest in;
  in.set_page_size(1000);
  v1::ListCouncilsResponse out;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Councils/ListCouncils", in, &out); !st.ok()) {
    return CallFailed(st, s);
  }
  if (out.councils_size() == 1) return Redirect("/" + out.councils(0).name());
  mustache::data list = mustache::data::type::list;
  for (const v1::Council& c : out.councils()) {
    mustache::data item;
    item.set("id", LastNameSegment(c.name()));
    item.set("display_name", TitleOf(c));
    list.push_back(item);
  }
  mustache::data d;
  d.set("councils", list);
  return Page(200, "Your councils", "councils", d, &s);
}

HttpResponse WebApp::Today(const HttpRequest& request, const SessionStore::Session& s,
                           const std::string& council) const {
  std::string title;
  if (grpc::Status st = CouncilTitle(s, request, council, &title); !st.ok()) {
    return CallFailed(st, s);
  }
  v1::CountFlagsRequest cf;
  cf.set_council(CouncilName(council));
  v1::CountFlagsResponse counts;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/CountFlags", cf, &counts);
      !st.ok()) {
    return CallFailed(st, s);
  }
  // One row per kind and severity: open and acknowledged.
  std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> rows;
  for (const v1::FlagCount& fc : counts.counts()) {
    auto& row = rows[{fc.kind(), fc.severity()}];
    if (fc.state() == v1::OPEN) row.first += fc.count();
    if (fc.state() == v1::ACKNOWLEDGED) row.second += fc.count();
  }
  mustache::data tiles = mustache::data::type::list;
  for (const auto& [key, row] : rows) {
    if (row.first == 0 && row.second == 0) continue;
    mustache::data t;
    t.set("kind", SentenceCase(v1::FlagKind_Name(static_cast<v1::FlagKind>(key.first))));
    t.set("severity", SentenceCase(v1::Severity_Name(static_cast<v1::Severity>(key.second))));
    t.set("open", absl::StrCat(row.first));
    t.set("acknowledged", absl::StrCat(row.second));
    t.set("href",
          absl::StrCat("/councils/", council,
                       "/flags?kind=", v1::FlagKind_Name(static_cast<v1::FlagKind>(key.first)),
                       "&severity=", v1::Severity_Name(static_cast<v1::Severity>(key.second))));
    tiles.push_back(t);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("evaluated", !counts.evaluated_as_of_date().empty());
  d.set("evaluated_as_of", LongDate(counts.evaluated_as_of_date()));
  d.set("has_tiles", !rows.empty());
  d.set("tiles", tiles);
  return Page(200, "Today", "today", d, &s);
}

HttpResponse WebApp::Flags(const HttpRequest& request, const SessionStore::Session& s,
                           const std::string& council) const {
  v1::ListFlagsRequest in;
  in.set_council(CouncilName(council));
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  const std::string state = QueryValue(request, "state");
  const std::string kind = QueryValue(request, "kind");
  const std::string severity = QueryValue(request, "severity");
  if (state.empty()) {
    in.add_states(v1::OPEN);
    in.add_states(v1::ACKNOWLEDGED);
  } else if (v1::FlagState st; state != "ALL") {
    if (!v1::FlagState_Parse(state, &st) || st == v1::FLAG_STATE_UNSPECIFIED) {
      return ErrorPage(400, "There is a problem with the filters",
                       absl::StrCat("State: \"", state, "\" is not a state of a flag."), &s);
    }
    in.add_states(st);
  }
  if (v1::FlagKind k; !kind.empty()) {
    if (!v1::FlagKind_Parse(kind, &k) || k == v1::FLAG_KIND_UNSPECIFIED) {
      return ErrorPage(400, "There is a problem with the filters",
                       absl::StrCat("Kind: \"", kind, "\" is not a kind of flag."), &s);
    }
    in.set_kind(k);
  }
  if (v1::Severity v; !severity.empty()) {
    if (!v1::Severity_Parse(severity, &v) || v == v1::SEVERITY_UNSPECIFIED) {
      return ErrorPage(400, "There is a problem with the filters",
                       absl::StrCat("Severity: \"", severity, "\" is not a severity."), &s);
    }
    in.set_severity(v);
  }
  std::string title;
  if (grpc::Status st = CouncilTitle(s, request, council, &title); !st.ok()) {
    return CallFailed(st, s);
  }
  v1::ListFlagsResponse out;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/ListFlags", in, &out); !st.ok()) {
    return CallFailed(st, s);
  }
  mustache::data flags = mustache::data::type::list;
  for (const v1::Flag& f : out.flags()) flags.push_back(FlagData(f));
  mustache::data states = mustache::data::type::list;
  for (const auto& [value, label] :
       std::vector<std::pair<std::string, std::string>>{{"", "Open or acknowledged"},
                                                        {"OPEN", "Open"},
                                                        {"ACKNOWLEDGED", "Acknowledged"},
                                                        {"RESOLVED", "Resolved"},
                                                        {"CLEARED", "Cleared"},
                                                        {"ALL", "All"}}) {
    mustache::data o;
    o.set("value", value);
    o.set("label", label);
    o.set("selected", value == state);
    states.push_back(o);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("states", states);
  d.set("kinds", EnumOptions(v1::FlagKind_descriptor(), kind, "Every kind"));
  d.set("severities", EnumOptions(v1::Severity_descriptor(), severity, "Every severity"));
  d.set("has_flags", out.flags_size() > 0);
  d.set("flags", flags);
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council, "/flags?state=", UrlEncode(state),
                               "&kind=", UrlEncode(kind), "&severity=", UrlEncode(severity),
                               "&page=", UrlEncode(out.next_page_token())));
  }
  return Page(200, "Flags", "flags", d, &s);
}

HttpResponse WebApp::FlagPage(const HttpRequest& request, const SessionStore::Session& s,
                              const std::string& account, const std::string& kind_name,
                              const std::string& error, const std::string& note) const {
  v1::FlagKind kind;
  if (!v1::FlagKind_Parse(kind_name, &kind) || kind == v1::FLAG_KIND_UNSPECIFIED) {
    return ErrorPage(404, "Page not found", "There is no such kind of flag.", &s);
  }
  absl::StatusOr<AccountRef> ref = ParseAccountName(account, "account");
  if (!ref.ok()) return ErrorPage(404, "Page not found", "There is no such account.", &s);
  const std::string subject = QueryValue(request, "subject");
  // The flag: the account's flags of that kind, every state, by subject.
  v1::ListFlagsRequest in;
  in.set_council(CouncilName(ref->council));
  in.set_account(account);
  in.set_kind(kind);
  for (v1::FlagState st : {v1::OPEN, v1::ACKNOWLEDGED, v1::RESOLVED, v1::CLEARED}) {
    in.add_states(st);
  }
  in.set_page_size(1000);
  std::optional<v1::Flag> found;
  for (int pages = 0; pages < 20 && !found.has_value(); ++pages) {
    v1::ListFlagsResponse out;
    if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/ListFlags", in, &out);
        !st.ok()) {
      return CallFailed(st, s);
    }
    for (const v1::Flag& f : out.flags()) {
      if (f.subject() == subject && (!found.has_value() || f.occurrence() > found->occurrence())) {
        found = f;
      }
    }
    if (out.next_page_token().empty()) break;
    in.set_page_token(out.next_page_token());
  }
  if (!found.has_value()) return ErrorPage(404, "Page not found", "There is no such flag.", &s);
  mustache::data d = FlagData(*found);
  mustache::data actions = mustache::data::type::list;
  for (const v1::FlagAction& a : found->actions()) {
    mustache::data item;
    item.set("what", SentenceCase(v1::FlagState_Name(a.state())));
    item.set("actor", a.actor());
    item.set("time", a.at());
    item.set("note", a.note());
    actions.push_back(item);
  }
  d.set("has_actions", found->actions_size() > 0);
  d.set("actions", actions);
  d.set("actionable", found->state() == v1::OPEN || found->state() == v1::ACKNOWLEDGED);
  d.set("action", FlagHref(*found));
  d.set("csrf", s.csrf);
  d.set("request_id", RandomToken());
  d.set("back", absl::StrCat("/councils/", ref->council, "/flags"));
  if (!error.empty()) d.set("error", error);
  d.set("note", note);
  return Page(error.empty() ? 200 : 400,
              absl::StrCat(error.empty() ? "" : "Error: ", SentenceCase(kind_name), " flag"),
              "flag", d, &s);
}

HttpResponse WebApp::ActOnFlag(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& account, const std::string& kind_name,
                               const std::map<std::string, std::string>& form) const {
  auto field = [&](const std::string& name) {
    auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
  };
  v1::FlagKind kind;
  if (!v1::FlagKind_Parse(kind_name, &kind)) {
    return ErrorPage(404, "Page not found", "There is no such kind of flag.", &s);
  }
  const std::string note = std::string(absl::StripAsciiWhitespace(field("note")));
  const std::string what = field("do");
  if (what != "acknowledge" && what != "resolve") {
    return FlagPage(request, s, account, kind_name, "Choose Acknowledge or Resolve", note);
  }
  if (note.empty()) {
    return FlagPage(request, s, account, kind_name,
                    what == "acknowledge" ? "Enter a note to acknowledge the flag"
                                          : "Enter a note to resolve the flag",
                    note);
  }
  v1::ActOnFlagRequest in;
  in.set_account(account);
  in.set_kind(kind);
  in.set_subject(QueryValue(request, "subject"));
  in.set_note(note);
  std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
  in.set_actor(who != nullptr ? who->key.display_name() : absl::StrCat("keys/", s.key_id));
  in.set_request_id(field("request_id"));
  v1::Flag out;
  grpc::Status st = CallAs(s, request,
                           what == "acknowledge" ? "/dpmon.v1.Monitoring/AcknowledgeFlag"
                                                 : "/dpmon.v1.Monitoring/ResolveFlag",
                           in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
      st.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return FlagPage(request, s, account, kind_name, st.error_message(), note);
  }
  if (!st.ok()) return CallFailed(st, s);
  return Redirect(FlagHref(out));
}

HttpResponse WebApp::Account(const HttpRequest& request, const SessionStore::Session& s,
                             const std::string& council, const std::string& account_id) const {
  const std::string as_of = QueryValue(request, "asOf");
  v1::GetAccountOverviewRequest in;
  in.set_account(AccountName(council, account_id));
  in.set_as_of_date(as_of);
  v1::AccountOverview o;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/GetAccountOverview", in, &o);
  mustache::data d;
  std::string title;
  if (grpc::Status t = CouncilTitle(s, request, council, &title); !t.ok()) {
    return CallFailed(t, s);
  }
  d.set("council", council);
  d.set("council_name", title);
  d.set("account_id", account_id);
  d.set("self", "/" + in.account());
  d.set("as_of_input", as_of);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    d.set("error", absl::StrCat("Enter the date as YYYY-MM-DD, for example 2025-12-31 (",
                                st.error_message(), ")"));
    return Page(400, absl::StrCat("Error: Account ", account_id), "account", d, &s);
  }
  if (!st.ok()) return CallFailed(st, s);
  const v1::Account& a = o.account();
  std::string refs;
  for (const v1::ExternalRef& r : a.external_refs()) {
    absl::StrAppend(&refs, refs.empty() ? "" : ", ", r.source(), ": ", r.ref());
  }
  mustache::data lines = mustache::data::type::list;
  for (const v1::PlanLineActual& l : o.lines()) {
    mustache::data line;
    line.set("category", SentenceCase(v1::Category_Name(l.category())));
    line.set("planned", Pounds(l.planned_pence()));
    line.set("actual", Pounds(l.actual_pence()));
    lines.push_back(line);
  }
  mustache::data flags = mustache::data::type::list;
  for (const v1::Flag& f : o.flags()) flags.push_back(FlagData(f));
  auto or_none = [](const std::string& date) {
    return date.empty() ? std::string("None") : LongDate(date);
  };
  mustache::data v;
  v.set("as_of", LongDate(o.as_of_date()));
  v.set("status", SentenceCase(v1::AccountStatus_Name(o.status())));
  v.set("holding", SentenceCase(v1::Holding_Name(a.holding())));
  v.set("management", SentenceCase(v1::Management_Name(a.management())));
  v.set("recipient", SentenceCase(v1::Recipient_Name(a.recipient())));
  v.set("refs", refs.empty() ? "None" : refs);
  v.set("next_review", or_none(o.next_review_due()));
  v.set("next_audit", or_none(o.next_audit_due()));
  v.set("last_feed", or_none(o.last_feed_date()));
  v.set("last_statement",
        o.last_statement().input().date().empty()
            ? std::string("None")
            : absl::StrCat(LongDate(o.last_statement().input().date()), ": ",
                           Pounds(o.last_statement().input().closing_balance_pence()),
                           o.last_statement_reconciles()
                               ? ", reconciles with the ledger"
                               : absl::StrCat(", does not reconcile: the ledger says ",
                                              Pounds(o.last_statement_ledger_pence()))));
  v.set("balance", Pounds(o.balance_pence()));
  v.set("earmarked", Pounds(o.earmarked_pence()));
  v.set("available", Pounds(o.available_pence()));
  v.set("window_start", LongDate(o.window_start()));
  v.set("lines", lines);
  v.set("planned", Pounds(o.planned_pence()));
  v.set("spent", Pounds(o.spend_pence()));
  v.set("has_flags", o.flags_size() > 0);
  v.set("flags", flags);
  d.set("overview", v);
  return Page(200, absl::StrCat("Account ", account_id), "account", d, &s);
}

HttpResponse WebApp::AuditsDue(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& council) const {
  v1::ListAuditsDueRequest in;
  in.set_council(CouncilName(council));
  in.set_as_of_date(QueryValue(request, "asOf"));
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  v1::ListAuditsDueResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Audits/ListAuditsDue", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return ErrorPage(400, "There is a problem with the date",
                     absl::StrCat("Give the date as YYYY-MM-DD (", st.error_message(), ")."), &s);
  }
  if (!st.ok()) return CallFailed(st, s);
  v1::GetCouncilRequest gc;
  gc.set_name(CouncilName(council));
  v1::Council c;  // Its title, and its policy's due_soon_days.
  if (grpc::Status g = CallAs(s, request, "/dpmon.v1.Councils/GetCouncil", gc, &c); !g.ok()) {
    return CallFailed(g, s);
  }
  mustache::data entries = mustache::data::type::list;
  for (const v1::DueEntry& e : out.entries()) {
    mustache::data item;
    item.set("account", LastNameSegment(e.account()));
    item.set("account_href", "/" + e.account());
    item.set("kind", SentenceCase(v1::DueKind_Name(e.kind())));
    item.set("due_date", LongDate(e.due_date()));
    item.set("when", e.days_overdue() > 0    ? absl::StrCat(e.days_overdue(), " days overdue")
                     : e.days_overdue() == 0 ? std::string("Due today")
                                             : absl::StrCat("In ", -e.days_overdue(), " days"));
    item.set("score", absl::StrCat(e.risk().score()));
    item.set("parts",
             absl::StrCat("flags ", e.risk().flags_points(), ", management ",
                          e.risk().management_points(), ", amount ", e.risk().amount_points(),
                          ", time since audit ", e.risk().audit_age_points()));
    entries.push_back(item);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", TitleOf(c));
  d.set("as_of", LongDate(out.as_of_date()));
  d.set("within", absl::StrCat(c.policy().due_soon_days()));
  d.set("has_entries", out.entries_size() > 0);
  d.set("entries", entries);
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council,
                               "/audits?asOf=", UrlEncode(QueryValue(request, "asOf")),
                               "&page=", UrlEncode(out.next_page_token())));
  }
  return Page(200, "Audits and reviews due", "audits_due", d, &s);
}

HttpResponse WebApp::Handle(const HttpRequest& request) const {
  const std::string& path = request.path;
  if (absl::StartsWith(path, "/static/")) {
    if (request.method != "GET") return ErrorPage(405, "Method not allowed", path, nullptr);
    const char* content = FileContent(path.substr(1));
    if (content == nullptr) return ErrorPage(404, "Page not found", path, nullptr);
    HttpResponse r;
    r.content_type = absl::EndsWith(path, ".css")   ? "text/css; charset=utf-8"
                     : absl::EndsWith(path, ".js")  ? "text/javascript; charset=utf-8"
                     : absl::EndsWith(path, ".svg") ? "image/svg+xml"
                                                    : "application/octet-stream";
    r.body = content;
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return r;
  }
  if (path == "/favicon.ico") return ErrorPage(404, "Page not found", path, nullptr);
  if (path == "/signin") {
    if (request.method == "GET") return SignInPage(request, "");
    if (request.method == "POST") return SignIn(request);
    return ErrorPage(405, "Method not allowed", path, nullptr);
  }

  // Everything else needs a session whose key is still in force.
  std::optional<SessionStore::Session> session =
      sessions_->Find(CookieValue(request, kSessionCookie));
  if (session.has_value() && keys_->InForce(session->key_id) == nullptr) {
    sessions_->CloseKey(session->key_id);  // Revoked or expired: every session of it ends.
    session.reset();
  }
  if (!session.has_value()) {
    if (request.method == "GET") return Redirect("/signin");
    return ErrorPage(403, "You are signed out", "Sign in again, then repeat what you did.",
                     nullptr);
  }
  if (request.method == "POST") {
    const std::map<std::string, std::string> form = ParseForm(request.body);
    auto it = form.find("csrf");
    const std::string* header = request.Header("x-csrf-token");
    const std::string given = it != form.end() ? it->second : header != nullptr ? *header : "";
    if (!ConstantTimeEquals(given, session->csrf)) {
      return ErrorPage(403, "This form has expired", "Go back, reload the page and try again.",
                       &*session);
    }
    if (path == "/signout") {
      sessions_->Close(session->id);
      HttpResponse r = Redirect("/signin");
      r.headers.emplace_back("Set-Cookie", Cookie(kSessionCookie, "", "/", true));
      return r;
    }
    std::vector<std::string> parts = absl::StrSplit(path.substr(1), '/');
    if (parts.size() == 6 && parts[0] == "councils" && parts[2] == "accounts" &&
        parts[4] == "flags") {
      return ActOnFlag(request, *session, AccountName(parts[1], parts[3]), parts[5], form);
    }
    return ErrorPage(404, "Page not found", path, &*session);
  }
  if (request.method != "GET") {
    HttpResponse r = ErrorPage(405, "Method not allowed", path, &*session);
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  if (path == "/") return Councils(request, *session);
  std::vector<std::string> parts = absl::StrSplit(path.substr(1), '/');
  if (parts.size() == 2 && parts[0] == "councils") return Today(request, *session, parts[1]);
  if (parts.size() == 4 && parts[0] == "councils" && parts[2] == "accounts") {
    return Account(request, *session, parts[1], parts[3]);
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "audits") {
    return AuditsDue(request, *session, parts[1]);
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "flags") {
    return Flags(request, *session, parts[1]);
  }
  if (parts.size() == 6 && parts[0] == "councils" && parts[2] == "accounts" &&
      parts[4] == "flags") {
    return FlagPage(request, *session, AccountName(parts[1], parts[3]), parts[5], "", "");
  }
  return ErrorPage(404, "Page not found", "If you typed the web address, check it is correct.",
                   &*session);
}

}  // namespace dpmon
