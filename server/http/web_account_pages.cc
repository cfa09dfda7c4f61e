// The dashboard's pages: an account's and a flag's, with their forms (its
// transactions and audit pack are in web_ledger_pages.cc).
#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/audit_pack.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "common/names.h"
#include "dpmon/v1/dpmon.pb.h"
#include "server/auth.h"
#include "server/http/sessions.h"
#include "server/http/web_app.h"
#include "server/http/web_chart.h"
#include "server/http/web_format.h"
#include "server/http/web_forms.h"
#include "server/http/web_util.h"

namespace dpmon {

namespace mustache = kainjow::mustache;
using web::AsOfQuery;
using web::CookieValue;
using web::EnumOptions;
using web::FlagData;
using web::FlagHref;
using web::Form;
using web::FormValue;
using web::ParseForm;
using web::QueryValue;
using web::Redirect;
using web::TitleOf;

namespace {

// A case note's text as paragraphs (its line breaks kept without raw HTML).
mustache::data Paragraphs(const std::string& text) {
  mustache::data list = mustache::data::type::list;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty()) continue;
    mustache::data p;
    p.set("text", std::string(line));
    list.push_back(p);
  }
  return list;
}

// One timeline of what was recorded about an account up to `as_of`
// (YYYY-MM-DD): status changes, plan versions, earmarks, reviews, audits
// recoveries and case notes, newest first.
mustache::data Timeline(const v1::Account& a, const std::string& as_of,
                        const v1::ListCaseNotesResponse& notes) {
  std::vector<std::tuple<std::string, std::string, std::string>> events;  // date, what, detail
  for (const v1::StatusChange& c : a.status_history()) {
    events.emplace_back(c.date(), SentenceCase(v1::AccountStatus_Name(c.status())), c.note());
  }
  for (const v1::PlanVersion& p : a.plan_versions()) {
    events.emplace_back(
        p.effective_from(), "Support plan",
        absl::StrCat(Pounds(p.weekly_dp_pence()), " a week, of which the person pays ",
                     Pounds(p.weekly_client_contribution_pence())));
  }
  for (const v1::Earmark& e : a.earmarks()) {
    events.emplace_back(e.from(), "Earmark",
                        absl::StrCat(Pounds(e.amount_pence()), " until ", LongDate(e.until()),
                                     e.note().empty() ? "" : ": ", e.note()));
  }
  for (const v1::Review& r : a.reviews()) events.emplace_back(r.date(), "Review", r.note());
  for (const v1::Audit& au : a.audits()) {
    events.emplace_back(au.date(), "Audit",
                        absl::StrCat("covering up to ", LongDate(au.period_end()),
                                     au.auditor().empty() ? "" : ", by ", au.auditor(),
                                     au.note().empty() ? "" : ": ", au.note()));
  }
  for (const v1::Recovery& r : a.recoveries()) {
    events.emplace_back(r.date(), "Recovery",
                        absl::StrCat(Pounds(r.amount_pence()), " by ",
                                     SentenceCase(v1::RecoveryMethod_Name(r.method())),
                                     r.note().empty() ? "" : ": ", r.note()));
  }
  for (const v1::CaseNote& n : notes.case_notes()) {
    // Its day in London, from its time: "2026-11-30T11:41:23Z" is 30 November.
    const std::string when = LongDateTime(n.create_time());
    absl::Time t;
    std::string err;
    std::string day = n.create_time().substr(0, 10);
    if (absl::ParseTime(absl::RFC3339_full, n.create_time(), &t, &err)) {
      day = absl::FormatTime("%Y-%m-%d", t, LondonTimeZone());
    }
    events.emplace_back(day, "Case note",
                        absl::StrCat(n.author_name().empty() ? n.author() : n.author_name(), ", ",
                                     when, ": ", n.text()));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  mustache::data list = mustache::data::type::list;
  for (const auto& [date, what, detail] : events) {
    if (date > as_of) continue;
    mustache::data e;
    e.set("date", LongDate(date));
    e.set("what", what);
    e.set("detail", detail);
    list.push_back(e);
  }
  return list;
}

}  // namespace

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
    item.set("time", LongDateTime(a.at()));
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
                             const std::string& council, const std::string& account_id,
                             const FormError& error) const {
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
  v.set("display_name", a.display_name().empty() ? "Not given" : a.display_name());
  v.set("person_ref", a.person_ref().empty() ? "None" : a.person_ref());
  v.set("officer", a.assigned_officer().empty()
                       ? std::string("None")
                       : absl::StrCat(a.assigned_officer_name(), " (", a.assigned_officer(), ")"));
  v.set("transactions_href", absl::StrCat("/", in.account(), "/transactions", AsOfQuery(as_of)));
  // The pack for the year to the page's date.
  if (absl::StatusOr<Date> to = Date::Parse(o.as_of_date()); to.ok()) {
    v.set("pack_href", absl::StrCat("/", in.account(),
                                    "/audit-pack?start=", AddMonths(*to, -12).AddDays(1).ToString(),
                                    "&end=", to->ToString()));
  }
  // Case notes, newest first: in the timeline and listed with their form.
  v1::ListCaseNotesRequest ln;
  ln.set_parent(in.account());
  ln.set_page_size(50);
  v1::ListCaseNotesResponse notes;
  if (grpc::Status n = CallAs(s, request, "/dpmon.v1.Accounts/ListCaseNotes", ln, &notes);
      !n.ok()) {
    return CallFailed(n, s);
  }
  v.set("timeline", Timeline(a, o.as_of_date(), notes));
  // Balance over time: the end of each of the twelve months to the page's
  // date (and the date itself), as a chart and as a table of the same figures.
  if (absl::StatusOr<Date> to = Date::Parse(o.as_of_date()); to.ok()) {
    std::vector<std::pair<Date, int64_t>> points;
    for (int m = 11; m >= 0; --m) {
      Date d = AddMonths(*to, -m);
      if (m > 0) {
        absl::StatusOr<Date> end =
            Date::FromYmd(d.year(), d.month(), DaysInMonth(d.year(), d.month()));
        if (!end.ok()) continue;
        d = *end;
      }
      if (absl::StatusOr<Date> start = Date::Parse(a.start_date()); start.ok() && d < *start) {
        continue;
      }
      v1::GetBalanceRequest gb;
      gb.set_account(in.account());
      gb.set_as_of_date(d.ToString());
      v1::Balance b;
      if (grpc::Status bs = CallAs(s, request, "/dpmon.v1.Ledger/GetBalance", gb, &b); !bs.ok()) {
        return CallFailed(bs, s);
      }
      points.emplace_back(d, b.balance_pence());
    }
    if (!points.empty()) {
      v.set("chart", web::Render("chart", web::BalanceChart(points)));
      mustache::data rows = mustache::data::type::list;
      for (const auto& [date, pence] : points) {
        mustache::data row;
        row.set("date", LongDate(date.ToString()));
        row.set("balance", Pounds(pence));
        rows.push_back(row);
      }
      v.set("balances", rows);
    }
  }
  d.set("overview", v);
  if (!a.display_name().empty()) d.set("person", a.display_name());

  // Case notes, newest first, and the forms.
  mustache::data note_list = mustache::data::type::list;
  for (const v1::CaseNote& n : notes.case_notes()) {
    mustache::data item;
    item.set("author", n.author_name().empty() ? n.author() : n.author_name());
    item.set("time", LongDateTime(n.create_time()));
    item.set("paragraphs", Paragraphs(n.text()));
    note_list.push_back(item);
  }
  d.set("has_notes", notes.case_notes_size() > 0);
  d.set("notes", note_list);
  d.set("notes_more", !notes.next_page_token().empty());
  // The forms the caller's role may use, the one that came back with a
  // problem holding what was entered.
  std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
  mustache::data forms = mustache::data::type::list;
  const std::string request_id = RandomToken();
  for (const web::FormSpec& f : web::AccountForms()) {
    if (who == nullptr || !Permit(*who, f.method).ok()) continue;
    const bool this_one = f.name == error.form;
    forms.push_back(web::FormData(f, absl::StrCat("/", in.account(), "/", f.name), s.csrf,
                                  request_id, this_one ? error.values : Form{},
                                  this_one ? error.field : "", this_one ? error.message : ""));
  }
  d.set("forms", forms);
  // Assigning an officer: for those who may change the account, a choice of
  // the officers' keys that hold this council.
  if (who != nullptr && Permit(*who, "/dpmon.v1.Accounts/UpdateAccount").ok() &&
      Permit(*who, "/dpmon.v1.Admin/ListApiKeys").ok()) {
    v1::ListApiKeysRequest lk;
    lk.set_page_size(1000);
    v1::ListApiKeysResponse keys;
    if (grpc::Status k = CallAs(s, request, "/dpmon.v1.Admin/ListApiKeys", lk, &keys); !k.ok()) {
      return CallFailed(k, s);
    }
    mustache::data options = mustache::data::type::list;
    mustache::data none;
    none.set("value", "");
    none.set("label", "No one");
    none.set("selected", a.assigned_officer().empty());
    options.push_back(none);
    for (const v1::ApiKey& k : keys.api_keys()) {
      const bool holds = k.all_councils() || std::find(k.councils().begin(), k.councils().end(),
                                                       council) != k.councils().end();
      if (k.role() != v1::OFFICER || !holds || !k.revoke_time().empty()) continue;
      mustache::data o;
      o.set("value", k.name());
      o.set("label", absl::StrCat(k.display_name(), " (", k.name(), ")"));
      o.set("selected", k.name() == a.assigned_officer());
      options.push_back(o);
    }
    mustache::data officer;
    officer.set("action", absl::StrCat("/", in.account(), "/officer"));
    officer.set("csrf", s.csrf);
    officer.set("options", options);
    if (error.form == "officer") officer.set("error", error.message);
    d.set("officer_form", officer);
  }
  if (who != nullptr && Permit(*who, "/dpmon.v1.Admin/ListAccessLog").ok()) {
    // Inside the overview section: the link sits with the account's other links.
    v.set("access_href", absl::StrCat("/admin/access-log?account=", UrlEncode(in.account())));
    d.set("overview", v);
  }
  if (!error.message.empty()) {
    d.set("form_error", error.message);
    d.set("form_error_href", absl::StrCat("#", error.form, "-", error.field));
  }
  return Page(error.message.empty() ? 200 : 400,
              absl::StrCat(error.message.empty() ? "" : "Error: ", "Account ", account_id),
              "account", d, &s);
}

HttpResponse WebApp::AccountForm(const HttpRequest& request, const SessionStore::Session& s,
                                 const std::string& council, const std::string& account_id,
                                 const std::string& form_name, const Form& form) const {
  const std::string account = AccountName(council, account_id);
  if (form_name == "officer") {
    v1::UpdateAccountRequest in;
    in.mutable_account()->set_name(account);
    in.mutable_account()->set_assigned_officer(FormValue(form, "assigned_officer"));
    in.mutable_update_mask()->add_paths("assigned_officer");
    v1::Account out;
    grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/UpdateAccount", in, &out);
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      FormError error;
      error.form = "officer";
      error.field = "assigned_officer";
      error.message = st.error_message();
      return Account(request, s, council, account_id, error);
    }
    if (!st.ok()) return CallFailed(st, s);
    return Redirect(absl::StrCat("/", account));
  }
  const web::FormSpec* spec = web::FindAccountForm(form_name);
  if (spec == nullptr) return ErrorPage(404, "Page not found", "There is no such form.", &s);
  FormError error;
  error.form = spec->name;
  error.values = form;
  std::unique_ptr<google::protobuf::Message> in = web::NewRequest(*spec);
  std::unique_ptr<google::protobuf::Message> out = web::NewResponse(*spec);
  if (absl::Status local = web::FillRequest(*spec, account, form, in.get()); !local.ok()) {
    // "field\nmessage"
    std::pair<std::string, std::string> fm = absl::StrSplit(local.message(), '\n');
    error.field = fm.first;
    error.message = fm.second;
    return Account(request, s, council, account_id, error);
  }
  grpc::Status st = CallAs(s, request, spec->method, *in, out.get());
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
      st.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    error.field = web::FieldOfRefusal(*spec, st);
    error.message = st.error_message();
    return Account(request, s, council, account_id, error);
  }
  if (!st.ok()) return CallFailed(st, s);
  return Redirect(absl::StrCat("/", account, "#", spec->anchor));
}

}  // namespace dpmon
