#include "server/http/web_app.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "common/names.h"
#include "dpmon/v1/dpmon.pb.h"
#include "server/http/web_files.h"
#include "server/http/web_format.h"
#include "server/http/web_util.h"

namespace dpmon {
namespace {

namespace mustache = kainjow::mustache;
using web::AsOfQuery;
using web::ConstantTimeEquals;
using web::CookieValue;
using web::EnumOptions;
using web::FileContent;
using web::FlagData;
using web::FlagHref;
using web::Form;
using web::FormValue;
using web::ParseForm;
using web::QueryValue;
using web::Redirect;
using web::Render;
using web::TitleOf;

constexpr char kSessionCookie[] = "dpmon_session";
constexpr char kSignInCookie[] = "dpmon_signin";
// Scripts and styles from this server only; no inline script, no frames.
constexpr char kPageCsp[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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
  // An "as of" date that is not one (web::SetAsOf) is a refused request,
  // whatever else the page shows.
  const bool date_refused = data.get("as_of_error") != nullptr;
  if (date_refused && status == 200) status = 400;
  layout.set("title",
             date_refused && !absl::StartsWith(title, "Error: ") ? "Error: " + title : title);
  layout.set("content", Render(content, data));
  if (const mustache::data* council = data.get("council")) layout.set("council", *council);
  // A page seen as of a date keeps that date as the officer moves on.
  if (const mustache::data* as_of = data.get("as_of_input");
      as_of != nullptr && as_of->is_string() && !as_of->string_value().empty() &&
      Date::Parse(as_of->string_value()).ok()) {
    layout.set("nav_as_of", absl::StrCat("?asOf=", as_of->string_value()));
  }
  if (session != nullptr) {
    std::shared_ptr<const Principal> who = keys_->InForce(session->key_id);
    layout.set("admin", who != nullptr && who->HasRole(v1::ADMIN));
    if (who != nullptr) layout.set("who_name", who->key.display_name());
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

HttpResponse WebApp::DateRefused(const grpc::Status& status, const SessionStore::Session& s) const {
  return ErrorPage(400, "There is a problem with the date",
                   absl::StrCat("Give the date as YYYY-MM-DD (", status.error_message(), ")."), &s);
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

HttpResponse WebApp::Handle(const HttpRequest& request) const {
  const std::string& path = request.path;
  if (absl::StartsWith(path, "/static/")) {
    if (request.method != "GET") return ErrorPage(405, "Method not allowed", path, nullptr);
    const char* content = FileContent(path.substr(1));
    if (content == nullptr) return ErrorPage(404, "Page not found", path, nullptr);
    HttpResponse r;
    r.content_type = absl::EndsWith(path, ".css") ? "text/css; charset=utf-8"
                     : absl::EndsWith(path, ".js") || absl::EndsWith(path, ".mjs")
                         ? "text/javascript; charset=utf-8"
                     : absl::EndsWith(path, ".txt") ? "text/plain; charset=utf-8"
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
    if (parts.size() == 5 && parts[0] == "councils" && parts[2] == "accounts" &&
        parts[4] == "recategorise") {
      return Recategorise(request, *session, parts[1], parts[3], &form);
    }
    if (parts.size() == 5 && parts[0] == "councils" && parts[2] == "accounts") {
      return AccountForm(request, *session, parts[1], parts[3], parts[4], form);
    }
    if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "suspense") {
      return AttachRef(request, *session, parts[1], form);
    }
    if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "flags") {
      return AcknowledgeFlags(request, *session, parts[1], request.body);
    }
    if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "policy") {
      return UpdatePolicy(request, *session, parts[1], form);
    }
    if (path == "/admin/keys") return CreateKey(request, *session, form);
    if (parts.size() == 4 && parts[0] == "admin" && parts[1] == "keys" && parts[3] == "revoke") {
      return RevokeKey(request, *session, parts[2]);
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
    return Account(request, *session, parts[1], parts[3], FormError{});
  }
  if (parts.size() == 5 && parts[0] == "councils" && parts[2] == "accounts" &&
      parts[4] == "recategorise") {
    return Recategorise(request, *session, parts[1], parts[3], nullptr);
  }
  if (parts.size() == 5 && parts[0] == "councils" && parts[2] == "accounts" &&
      parts[4] == "transactions") {
    return Transactions(request, *session, parts[1], parts[3]);
  }
  if (parts.size() >= 5 && parts.size() <= 6 && parts[0] == "councils" && parts[2] == "accounts" &&
      parts[4] == "audit-pack") {
    return AuditPack(request, *session, parts[1], parts[3], parts.size() == 6 ? parts[5] : "");
  }
  if (path == "/admin/keys") return Keys(request, *session, FormError{}, "", "");
  if (path == "/admin/access-log") return AccessLogPage(request, *session);
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "policy") {
    return PolicyPage(request, *session, parts[1], FormError{});
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "find") {
    return Find(request, *session, parts[1]);
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "recoveries") {
    return Recoveries(request, *session, parts[1]);
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "suspense") {
    return Suspense(request, *session, parts[1], FormError{});
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "audits") {
    return AuditsDue(request, *session, parts[1]);
  }
  if (parts.size() == 3 && parts[0] == "councils" && parts[2] == "flags") {
    return Flags(request, *session, parts[1], FormError{}, "");
  }
  if (parts.size() == 6 && parts[0] == "councils" && parts[2] == "accounts" &&
      parts[4] == "flags") {
    return FlagPage(request, *session, AccountName(parts[1], parts[3]), parts[5], "", "");
  }
  return ErrorPage(404, "Page not found", "If you typed the web address, check it is correct.",
                   &*session);
}

}  // namespace dpmon
