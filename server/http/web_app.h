// The dashboard (web/): server-rendered HTML pages for a council's DP team,
// on the HTTP listener beside the JSON face. Pages come from the Mustache
// templates in web/templates (escaped by default) and work without
// JavaScript.
//
// A person signs in with their key once (SessionStore); every page's data
// comes from the gRPC services through ServiceCaller with that key, so it
// meets the same permission table, tenancy and access log as any call.
// Every form carries the session's CSRF token (the sign-in form a token in
// a cookie of its own); a POST without the right one is refused 403.
//
// Thread-safety: Handle may be called from many threads at once.
#ifndef DPMON_SERVER_HTTP_WEB_APP_H_
#define DPMON_SERVER_HTTP_WEB_APP_H_

#include <map>
#include <string>
#include <vector>

#include "kainjow/mustache.hpp"
#include "server/access_log.h"
#include "server/auth.h"
#include "server/http/http_listener.h"
#include "server/http/service_caller.h"
#include "server/http/sessions.h"

namespace dpmon {

class WebApp {
 public:
  struct Options {
    bool secure_cookies = false;  // Under TLS: cookies get `Secure`.
  };
  // Nothing is owned; everything must outlive the WebApp.
  WebApp(const ServiceCaller* caller, const KeyRegistry* keys, AccessLog* access_log,
         SessionStore* sessions, Options options);

  // Every path the JSON face (/v1/) does not serve.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  // A form that came back with a problem: the message, the id of the field
  // it is about ("#note"), and what the person had entered.
  struct FormError {
    std::string message;
    std::string field;  // An id on the page ("#account-2"), or on the account page the
                        // field's name in its form ("period_end").
    std::string form;   // The account page's form it came from ("audits").
    std::map<std::string, std::string> values;
  };

  HttpResponse SignInPage(const HttpRequest& request, const std::string& error) const;
  HttpResponse SignIn(const HttpRequest& request) const;
  HttpResponse Councils(const HttpRequest& request, const SessionStore::Session& s) const;
  HttpResponse Today(const HttpRequest& request, const SessionStore::Session& s,
                     const std::string& council) const;
  // An account as of a date (?asOf=, default today): who and what, money,
  // planned against actual, flags.
  HttpResponse Account(const HttpRequest& request, const SessionStore::Session& s,
                       const std::string& council, const std::string& account_id,
                       const FormError& error) const;
  // What is due (?asOf=): overdue first, then by risk with its parts.
  HttpResponse AuditsDue(const HttpRequest& request, const SessionStore::Session& s,
                         const std::string& council) const;
  // The council's flags by the filters in the query (state, kind, severity,
  // account), with a form to acknowledge several at once; `done` says what
  // that form just did.
  HttpResponse Flags(const HttpRequest& request, const SessionStore::Session& s,
                     const std::string& council, const FormError& error,
                     const std::string& done) const;
  HttpResponse AcknowledgeFlags(const HttpRequest& request, const SessionStore::Session& s,
                                const std::string& council, const std::string& body) const;
  // Find (?q=): by account id, feed reference, case id or name.
  HttpResponse Find(const HttpRequest& request, const SessionStore::Session& s,
                    const std::string& council) const;
  // Surplus flags with what may be reclaimed, and the council's recoveries
  // as of a date (?asOf=).
  HttpResponse Recoveries(const HttpRequest& request, const SessionStore::Session& s,
                          const std::string& council) const;
  // What waits in suspense, by reference, each with a form to give the
  // reference to an account (AttachRef).
  HttpResponse Suspense(const HttpRequest& request, const SessionStore::Session& s,
                        const std::string& council, const FormError& error) const;
  HttpResponse AttachRef(const HttpRequest& request, const SessionStore::Session& s,
                         const std::string& council,
                         const std::map<std::string, std::string>& form) const;
  // An account's audit pack for a period (?start=&end=) as a printable page,
  // or with `csv` ("totals") one of its tables as a CSV download.
  HttpResponse AuditPack(const HttpRequest& request, const SessionStore::Session& s,
                         const std::string& council, const std::string& account_id,
                         const std::string& csv) const;
  // One transaction (?source=&id=) and a form to put it in another
  // category; `form` is the POSTed form, or nullptr to show it.
  HttpResponse Recategorise(const HttpRequest& request, const SessionStore::Session& s,
                            const std::string& council, const std::string& account_id,
                            const std::map<std::string, std::string>* form) const;
  // An account's transactions (?asOf= the last day shown, ?page=).
  HttpResponse Transactions(const HttpRequest& request, const SessionStore::Session& s,
                            const std::string& council, const std::string& account_id) const;
  // The account page's forms (web_forms.h: a case note, a review, a status
  // change, an earmark, an audit, a recovery): each answers with the account
  // page and its error summary, or a redirect back to it.
  HttpResponse AccountForm(const HttpRequest& request, const SessionStore::Session& s,
                           const std::string& council, const std::string& account_id,
                           const std::string& form_name,
                           const std::map<std::string, std::string>& form) const;
  // One flag: what it is, its history, and (while open or acknowledged) a
  // form to acknowledge or resolve it with a note.
  HttpResponse FlagPage(const HttpRequest& request, const SessionStore::Session& s,
                        const std::string& account, const std::string& kind,
                        const std::string& error, const std::string& note) const;
  HttpResponse ActOnFlag(const HttpRequest& request, const SessionStore::Session& s,
                         const std::string& account, const std::string& kind,
                         const std::map<std::string, std::string>& form) const;
  // Administrators' pages (web_admin_pages.cc). Keys: the list, a form for
  // a new one and, right after it is made, its secret (this once).
  HttpResponse Keys(const HttpRequest& request, const SessionStore::Session& s,
                    const FormError& error, const std::string& created_secret,
                    const std::string& created_name) const;
  HttpResponse CreateKey(const HttpRequest& request, const SessionStore::Session& s,
                         const std::map<std::string, std::string>& form) const;
  HttpResponse RevokeKey(const HttpRequest& request, const SessionStore::Session& s,
                         const std::string& key_id) const;
  // Who called what (?account=councils/c/accounts/a, ?council=, ?key=).
  HttpResponse AccessLogPage(const HttpRequest& request, const SessionStore::Session& s) const;
  // A council's policy; a form to change it for those who may.
  HttpResponse PolicyPage(const HttpRequest& request, const SessionStore::Session& s,
                          const std::string& council, const FormError& error) const;
  HttpResponse UpdatePolicy(const HttpRequest& request, const SessionStore::Session& s,
                            const std::string& council,
                            const std::map<std::string, std::string>& form) const;
  // Every flag the rules find in the council as of a date (ComputeFlagReport,
  // all its pages).
  grpc::Status FlagsAsOf(const SessionStore::Session& s, const HttpRequest& request,
                         const std::string& council, const std::string& as_of,
                         std::vector<v1::Flag>* out) const;
  // `content` (a template's name, rendered with `data`) inside the layout.
  HttpResponse Page(int status, const std::string& title, const std::string& content,
                    kainjow::mustache::data data, const SessionStore::Session* session) const;
  HttpResponse ErrorPage(int status, const std::string& heading, const std::string& message,
                         const SessionStore::Session* session) const;
  // The council's name for a page (GetCouncil, as the session's key: a
  // council the key does not hold is NOT_FOUND).
  grpc::Status CouncilTitle(const SessionStore::Session& s, const HttpRequest& request,
                            const std::string& council, std::string* title) const;
  // A page's ?asOf= (or other date) that a service refused: 400, with why.
  HttpResponse DateRefused(const grpc::Status& status, const SessionStore::Session& s) const;
  // A service's refusal as a page.
  HttpResponse CallFailed(const grpc::Status& status, const SessionStore::Session& s) const;
  grpc::Status CallAs(const SessionStore::Session& s, const HttpRequest& request,
                      const std::string& path, const google::protobuf::Message& in,
                      google::protobuf::Message* out) const;
  std::string Cookie(const std::string& name, const std::string& value, const std::string& path,
                     bool clear) const;

  const ServiceCaller* caller_;
  const KeyRegistry* keys_;
  AccessLog* access_log_;
  SessionStore* sessions_;
  const Options options_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_HTTP_WEB_APP_H_
