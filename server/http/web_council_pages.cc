// The dashboard's pages: a council's (Today, Flags, Audits due, Surplus and recoveries, Suspense,
// Find).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "common/names.h"
#include "dpmon/v1/dpmon.pb.h"
#include "server/auth.h"
#include "server/clock.h"
#include "server/http/sessions.h"
#include "server/http/web_app.h"
#include "server/http/web_format.h"
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
using web::SetAsOf;
using web::TitleOf;

namespace {

// The page at `page` (an offset; "" for the first) of flags gathered from
// several calls: most severe, then oldest first, 50 to a page.
void PageOfFlags(std::vector<v1::Flag> flags, const std::string& page, v1::ListFlagsResponse* out) {
  std::stable_sort(flags.begin(), flags.end(), [](const v1::Flag& x, const v1::Flag& y) {
    if (x.severity() != y.severity()) return x.severity() < y.severity();  // CRITICAL first.
    return x.raised_on() < y.raised_on();
  });
  size_t offset = 0;
  (void)absl::SimpleAtoi(page, &offset);
  const size_t end = std::min(flags.size(), offset + 50);
  for (size_t i = std::min(offset, flags.size()); i < end; ++i) {
    *out->add_flags() = std::move(flags[i]);
  }
  if (end < flags.size()) out->set_next_page_token(absl::StrCat(end));
}

}  // namespace

HttpResponse WebApp::Today(const HttpRequest& request, const SessionStore::Session& s,
                           const std::string& council) const {
  std::string title;
  if (grpc::Status st = CouncilTitle(s, request, council, &title); !st.ok()) {
    return CallFailed(st, s);
  }
  const std::string as_of = QueryValue(request, "asOf");
  v1::CountFlagsRequest cf;
  cf.set_council(CouncilName(council));
  v1::CountFlagsResponse counts;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/CountFlags", cf, &counts);
      !st.ok()) {
    return CallFailed(st, s);
  }
  // One row per kind and severity: open and acknowledged; or, as of a past
  // date, what the rules find then.
  std::map<std::pair<int, int>, std::pair<int64_t, int64_t>> rows;
  if (as_of.empty()) {
    for (const v1::FlagCount& fc : counts.counts()) {
      auto& row = rows[{fc.kind(), fc.severity()}];
      if (fc.state() == v1::OPEN) row.first += fc.count();
      if (fc.state() == v1::ACKNOWLEDGED) row.second += fc.count();
    }
  } else {
    std::vector<v1::Flag> found;
    grpc::Status st = FlagsAsOf(s, request, council, as_of, &found);
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      return DateRefused(st, s);
    }
    if (!st.ok()) return CallFailed(st, s);
    for (const v1::Flag& f : found) ++rows[{f.kind(), f.severity()}].first;
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
                       "&severity=", v1::Severity_Name(static_cast<v1::Severity>(key.second)),
                       AsOfQuery(as_of, '&')));
    tiles.push_back(t);
  }
  mustache::data d;
  // My caseload: the accounts assigned to the signed-in officer.
  v1::ListAccountsRequest mine;
  mine.set_parent(CouncilName(council));
  mine.set_filter(absl::StrCat("officer = keys/", s.key_id));
  mine.set_page_size(100);
  v1::ListAccountsResponse caseload;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/ListAccounts", mine, &caseload);
      !st.ok()) {
    return CallFailed(st, s);
  }
  mustache::data accounts = mustache::data::type::list;
  for (const v1::Account& a : caseload.accounts()) {
    mustache::data item;
    item.set("account", LastNameSegment(a.name()));
    item.set("href", "/" + a.name());
    item.set("name", a.display_name().empty() ? "–" : a.display_name());
    item.set("status", SentenceCase(v1::AccountStatus_Name(a.status())));
    accounts.push_back(item);
  }
  d.set("has_caseload", caseload.accounts_size() > 0);
  d.set("caseload", accounts);
  d.set("caseload_more", !caseload.next_page_token().empty());
  // Suspense waiting, and what is due by the end of this month.
  v1::ListSuspenseRequest su;
  su.set_parent(CouncilName(council));
  su.set_page_size(1000);
  v1::ListSuspenseResponse waiting;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Ledger/ListSuspense", su, &waiting);
      !st.ok()) {
    return CallFailed(st, s);
  }
  d.set("suspense",
        absl::StrCat(waiting.items_size(), waiting.next_page_token().empty() ? "" : "+"));
  v1::ListAuditsDueRequest due;
  due.set_council(CouncilName(council));
  due.set_page_size(1000);
  {
    Date today = TodayInLondon();
    if (absl::StatusOr<Date> d = Date::Parse(as_of); d.ok()) today = *d;
    due.set_as_of_date(today.ToString());
    due.set_within_days(std::max(1, DaysInMonth(today.year(), today.month()) - today.day()));
  }
  v1::ListAuditsDueResponse due_out;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Audits/ListAuditsDue", due, &due_out);
      !st.ok()) {
    return CallFailed(st, s);
  }
  int reviews = 0, audits = 0, overdue = 0;
  for (const v1::DueEntry& e : due_out.entries()) {
    (e.kind() == v1::REVIEW ? reviews : audits)++;
    if (e.days_overdue() > 0) ++overdue;
  }
  d.set("reviews_due", absl::StrCat(reviews, due_out.next_page_token().empty() ? "" : "+"));
  d.set("audits_due", absl::StrCat(audits, due_out.next_page_token().empty() ? "" : "+"));
  d.set("overdue", absl::StrCat(overdue));
  d.set("council", council);
  d.set("council_name", title);
  d.set("as_of_input", as_of);
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("evaluated", !counts.evaluated_as_of_date().empty());
  d.set("evaluated_as_of", LongDate(counts.evaluated_as_of_date()));
  d.set("has_tiles", !rows.empty());
  d.set("tiles", tiles);
  return Page(200, "Today", "today", d, &s);
}

HttpResponse WebApp::Flags(const HttpRequest& request, const SessionStore::Session& s,
                           const std::string& council, const FormError& error,
                           const std::string& done) const {
  v1::ListFlagsRequest in;
  in.set_council(CouncilName(council));
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  const std::string state = QueryValue(request, "state");
  const std::string kind = QueryValue(request, "kind");
  const std::string severity = QueryValue(request, "severity");
  const std::string account_filter =
      std::string(absl::StripAsciiWhitespace(QueryValue(request, "account")));
  if (!account_filter.empty()) {
    if (!ValidateId(account_filter).ok()) {
      return ErrorPage(400, "There is a problem with the filters",
                       absl::StrCat("Account: \"", account_filter, "\" is not an account id."), &s);
    }
    in.set_account(AccountName(council, account_filter));
  }
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
  const std::string as_of = QueryValue(request, "asOf");
  const bool mine = QueryValue(request, "officer") == "me";
  v1::ListFlagsResponse out;
  if (as_of.empty() && mine) {
    // The flags of the signed-in officer's caseload: each account's, most
    // severe then oldest first, 50 to a page.
    std::vector<v1::Flag> kept;
    v1::ListAccountsRequest la;
    la.set_parent(CouncilName(council));
    la.set_filter(absl::StrCat("officer = keys/", s.key_id));
    la.set_page_size(1000);
    for (;;) {
      v1::ListAccountsResponse accounts;
      if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/ListAccounts", la, &accounts);
          !st.ok()) {
        return CallFailed(st, s);
      }
      for (const v1::Account& a : accounts.accounts()) {
        v1::ListFlagsRequest one = in;
        one.set_account(a.name());
        one.set_page_size(1000);
        one.clear_page_token();
        v1::ListFlagsResponse flags;
        if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/ListFlags", one, &flags);
            !st.ok()) {
          return CallFailed(st, s);
        }
        for (v1::Flag& f : *flags.mutable_flags()) kept.push_back(std::move(f));
      }
      if (accounts.next_page_token().empty()) break;
      la.set_page_token(accounts.next_page_token());
    }
    PageOfFlags(std::move(kept), QueryValue(request, "page"), &out);
  } else if (as_of.empty()) {
    if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/ListFlags", in, &out);
        !st.ok()) {
      return CallFailed(st, s);
    }
  } else {
    // As of a past date: what the rules find then (not stored, so no state),
    // by the same filters, 50 to a page.
    std::vector<v1::Flag> found;
    grpc::Status st = FlagsAsOf(s, request, council, as_of, &found);
    if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      return DateRefused(st, s);
    }
    if (!st.ok()) return CallFailed(st, s);
    std::vector<v1::Flag> kept;
    for (v1::Flag& f : found) {
      if ((in.kind() == v1::FLAG_KIND_UNSPECIFIED || f.kind() == in.kind()) &&
          (in.severity() == v1::SEVERITY_UNSPECIFIED || f.severity() == in.severity()) &&
          (in.account().empty() || f.account() == in.account())) {
        kept.push_back(std::move(f));
      }
    }
    PageOfFlags(std::move(kept), QueryValue(request, "page"), &out);
  }
  mustache::data flags = mustache::data::type::list;
  int n = 0;
  for (const v1::Flag& f : out.flags()) {
    mustache::data item = FlagData(f);
    item.set("n", absl::StrCat(++n));
    item.set("selectable",
             as_of.empty() && (f.state() == v1::OPEN || f.state() == v1::ACKNOWLEDGED));
    item.set("subject_given", !f.subject().empty());
    // The flag's page, which names it: account, kind and subject.
    item.set("value", FlagHref(f));
    flags.push_back(item);
  }
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
  d.set("account_filter", account_filter);
  d.set("csrf", s.csrf);
  d.set("request_id", RandomToken());
  // The list to come back to after acting on some of it.
  const std::string self = absl::StrCat(
      "/councils/", council, "/flags?state=", UrlEncode(state), "&kind=", UrlEncode(kind),
      "&severity=", UrlEncode(severity), "&account=", UrlEncode(account_filter),
      mine ? "&officer=me" : "", AsOfQuery(as_of, '&'));
  d.set("mine", mine);
  d.set("as_of_input", as_of);
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("bulk_action", self);
  d.set("note", FormValue(error.values, "note"));
  if (!error.message.empty()) {
    d.set("error", error.message);
    d.set("error_href", error.field);
    if (error.field == "#bulk-note") d.set("note_error", error.message);
  }
  if (!done.empty()) d.set("done", done);
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat(self, "&page=", UrlEncode(out.next_page_token())));
  }
  return Page(error.message.empty() ? 200 : 400, error.message.empty() ? "Flags" : "Error: Flags",
              "flags", d, &s);
}

HttpResponse WebApp::AcknowledgeFlags(const HttpRequest& request, const SessionStore::Session& s,
                                      const std::string& council, const std::string& body) const {
  const Form form = ParseForm(body);
  const std::vector<std::string> chosen = web::FormValues(body, "flag");
  FormError error;
  error.values = form;
  const std::string note = std::string(absl::StripAsciiWhitespace(FormValue(form, "note")));
  if (chosen.empty()) {
    error.message = "Select the flags to acknowledge";
    error.field = "#select-1";
    return Flags(request, s, council, error, "");
  }
  if (note.empty()) {
    error.message = "Enter a note to acknowledge the flags";
    error.field = "#bulk-note";
    return Flags(request, s, council, error, "");
  }
  std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
  int acknowledged = 0;
  std::vector<std::string> refused;
  for (size_t i = 0; i < chosen.size(); ++i) {
    // "/councils/{c}/accounts/{a}/flags/{KIND}?subject=S", as the list wrote it.
    absl::string_view value = chosen[i];
    absl::string_view subject;
    if (size_t q = value.find("?subject="); q != absl::string_view::npos) {
      subject = value.substr(q + 9);
      value = value.substr(0, q);
    }
    std::vector<std::string> parts = absl::StrSplit(absl::StripPrefix(value, "/"), '/');
    v1::FlagKind kind;
    if (parts.size() != 6 || parts[0] != "councils" || parts[1] != council ||
        parts[2] != "accounts" || parts[4] != "flags" || !v1::FlagKind_Parse(parts[5], &kind)) {
      error.message = "The list has changed: reload it and select the flags again";
      error.field = "#select-1";
      return Flags(request, s, council, error, "");
    }
    v1::ActOnFlagRequest in;
    in.set_account(AccountName(parts[1], parts[3]));
    in.set_kind(kind);
    in.set_subject(web::FormDecode(subject));
    in.set_note(note);
    in.set_actor(who != nullptr ? who->key.display_name() : absl::StrCat("keys/", s.key_id));
    // One request id per flag: sending the form again acknowledges nothing twice.
    if (!FormValue(form, "request_id").empty()) {
      in.set_request_id(absl::StrCat(FormValue(form, "request_id"), "-", i));
    }
    v1::Flag out;
    grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/AcknowledgeFlag", in, &out);
    if (st.ok()) {
      ++acknowledged;
    } else if (st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
               st.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      return CallFailed(st, s);
    } else {
      refused.push_back(
          absl::StrCat(parts[3], " ", SentenceCase(parts[5]), ": ", st.error_message()));
    }
  }
  std::string done =
      absl::StrCat(acknowledged, acknowledged == 1 ? " flag" : " flags", " acknowledged.");
  if (!refused.empty()) {
    absl::StrAppend(&done, " Not acknowledged: ", absl::StrJoin(refused, "; "), ".");
  }
  return Flags(request, s, council, FormError{}, done);
}

HttpResponse WebApp::AuditsDue(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& council) const {
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  v1::ListAuditsDueRequest in;
  in.set_council(CouncilName(council));
  in.set_as_of_date(as_of);
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  v1::ListAuditsDueResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Audits/ListAuditsDue", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return DateRefused(st, s);
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
    if (!e.period_start().empty()) {
      item.set("pack_href", absl::StrCat("/", e.account(), "/audit-pack?start=", e.period_start(),
                                         "&end=", e.period_end()));
    }
    item.set("parts",
             absl::StrCat("flags ", e.risk().flags_points(), ", management ",
                          e.risk().management_points(), ", amount ", e.risk().amount_points(),
                          ", time since audit ", e.risk().audit_age_points()));
    entries.push_back(item);
  }
  d.set("council", council);
  d.set("council_name", TitleOf(c));
  d.set("self", absl::StrCat("/councils/", council, "/audits"));
  d.set("as_of", LongDate(out.as_of_date()));
  d.set("within", absl::StrCat(c.policy().due_soon_days()));
  d.set("has_entries", out.entries_size() > 0);
  d.set("entries", entries);
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council, "/audits?page=",
                               UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(200, "Audits and reviews due", "audits_due", d, &s);
}

HttpResponse WebApp::Find(const HttpRequest& request, const SessionStore::Session& s,
                          const std::string& council) const {
  std::string title;
  if (grpc::Status st = CouncilTitle(s, request, council, &title); !st.ok()) {
    return CallFailed(st, s);
  }
  const std::string query = QueryValue(request, "q");
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  const bool refused = d.get("as_of_error") != nullptr;
  d.set("council", council);
  d.set("council_name", title);
  d.set("q", query);
  d.set("searched", !query.empty() && !refused);
  if (query.empty() || refused) return Page(200, "Find an account", "find", d, &s);
  v1::SearchAccountsRequest in;
  in.set_parent(CouncilName(council));
  in.set_query(query);
  in.set_as_of_date(as_of);
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  v1::SearchAccountsResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/SearchAccounts", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    d.set("error", absl::StrCat("Enter an account id, a feed reference, a case id or a name (",
                                st.error_message(), ")"));
    d.set("searched", false);
    return Page(400, "Error: Find an account", "find", d, &s);
  }
  if (!st.ok()) return CallFailed(st, s);
  mustache::data rows = mustache::data::type::list;
  for (const v1::AccountMatch& m : out.matches()) {
    mustache::data r;
    r.set("account", LastNameSegment(m.account().name()));
    r.set("href", absl::StrCat("/", m.account().name(), AsOfQuery(as_of)));
    r.set("name", m.account().display_name().empty() ? "–" : m.account().display_name());
    r.set("person_ref", m.account().person_ref().empty() ? "–" : m.account().person_ref());
    r.set("status", SentenceCase(v1::AccountStatus_Name(m.account().status())));
    r.set("matched_on", SentenceCase(v1::MatchedOn_Name(m.matched_on())));
    rows.push_back(r);
  }
  d.set("has_matches", out.matches_size() > 0);
  d.set("matches", rows);
  d.set("count", absl::StrCat(out.matches_size()));
  d.set("status_as_of", as_of.empty() ? std::string("today") : "on " + LongDate(as_of));
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council, "/find?q=", UrlEncode(query),
                               "&page=", UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(200, "Find an account", "find", d, &s);
}

HttpResponse WebApp::Recoveries(const HttpRequest& request, const SessionStore::Session& s,
                                const std::string& council) const {
  const std::string as_of = QueryValue(request, "asOf");
  v1::ListRecoveriesRequest in;
  in.set_council(CouncilName(council));
  in.set_as_of_date(as_of);
  in.set_page_size(100);
  in.set_page_token(QueryValue(request, "page"));
  v1::ListRecoveriesResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/ListRecoveries", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return DateRefused(st, s);
  }
  if (!st.ok()) return CallFailed(st, s);
  std::string title;
  if (grpc::Status t = CouncilTitle(s, request, council, &title); !t.ok()) {
    return CallFailed(t, s);
  }
  // Surpluses: the stored SURPLUS flags still open or acknowledged.
  v1::ListFlagsRequest fl;
  fl.set_council(CouncilName(council));
  fl.set_kind(v1::SURPLUS);
  fl.set_page_size(100);
  fl.set_page_token(QueryValue(request, "surplusPage"));
  v1::ListFlagsResponse surplus;
  if (grpc::Status f = CallAs(s, request, "/dpmon.v1.Monitoring/ListFlags", fl, &surplus);
      !f.ok()) {
    return CallFailed(f, s);
  }
  mustache::data flags = mustache::data::type::list;
  for (const v1::Flag& f : surplus.flags()) flags.push_back(FlagData(f));
  mustache::data rows = mustache::data::type::list;
  for (const v1::AccountRecovery& ar : out.recoveries()) {
    const v1::Recovery& r = ar.recovery();
    mustache::data row;
    row.set("account", LastNameSegment(ar.account()));
    row.set("account_href", absl::StrCat("/", ar.account(), AsOfQuery(as_of)));
    row.set("id", r.id());
    row.set("method", SentenceCase(v1::RecoveryMethod_Name(r.method())));
    row.set("date", LongDate(r.date()));
    row.set("amount", Pounds(r.amount_pence()));
    row.set("recovered", Pounds(r.recovered_pence()));
    row.set("state", SentenceCase(v1::RecoveryState_Name(r.state())));
    rows.push_back(row);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("as_of", LongDate(out.as_of_date()));
  d.set("as_of_input", as_of);
  d.set("self", absl::StrCat("/councils/", council, "/recoveries"));
  d.set("has_surplus", surplus.flags_size() > 0);
  d.set("surplus", flags);
  d.set("has_recoveries", out.recoveries_size() > 0);
  d.set("recoveries", rows);
  d.set("in_progress", Pounds(out.in_progress_pence()));
  d.set("recovered", Pounds(out.recovered_pence()));
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council, "/recoveries?page=",
                               UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  if (!surplus.next_page_token().empty()) {
    d.set("next_surplus",
          absl::StrCat("/councils/", council, "/recoveries?surplusPage=",
                       UrlEncode(surplus.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(200, "Surplus and recoveries", "recoveries", d, &s);
}

HttpResponse WebApp::Suspense(const HttpRequest& request, const SessionStore::Session& s,
                              const std::string& council, const FormError& error) const {
  std::string title;
  if (grpc::Status st = CouncilTitle(s, request, council, &title); !st.ok()) {
    return CallFailed(st, s);
  }
  mustache::data d;
  const std::string as_of = SetAsOf(&d, QueryValue(request, "asOf"));
  v1::ListSuspenseRequest in;
  in.set_parent(CouncilName(council));
  in.set_page_size(100);
  in.set_page_token(QueryValue(request, "page"));
  in.set_as_of_date(as_of);
  v1::ListSuspenseResponse out;
  if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Ledger/ListSuspense", in, &out); !st.ok()) {
    return CallFailed(st, s);
  }
  // One row per (source, reference): what waits for it.
  struct Waiting {
    int64_t transactions = 0, statements = 0, net_pence = 0;
    std::string first, last;
    std::set<std::string> given_to;  // As of a past date: accounts that took them since.
    int64_t still_waiting = 0;
  };
  std::map<std::pair<std::string, std::string>, Waiting> by_ref;
  for (const v1::SuspenseItem& item : out.items()) {
    Waiting& w = by_ref[{item.source(), item.account_ref()}];
    std::string date;
    if (item.has_transaction()) {
      ++w.transactions;
      w.net_pence += item.transaction().amount_pence();  // |amount| <= £10^8: no overflow in 100
      date = item.transaction().booking_date();
    } else {
      ++w.statements;
      date = item.statement().date();
    }
    if (w.first.empty() || date < w.first) w.first = date;
    if (w.last.empty() || date > w.last) w.last = date;
    if (item.attached_account().empty()) {
      ++w.still_waiting;
    } else {
      w.given_to.insert(std::string(LastNameSegment(item.attached_account())));
    }
  }
  mustache::data rows = mustache::data::type::list;
  int n = 0;
  for (const auto& [key, w] : by_ref) {
    mustache::data row;
    row.set("n", absl::StrCat(++n));
    row.set("source", key.first);
    row.set("ref", key.second);
    row.set("transactions", absl::StrCat(w.transactions));
    row.set("statements", absl::StrCat(w.statements));
    row.set("net", Pounds(w.net_pence));
    row.set("from", LongDate(w.first));
    row.set("to", LongDate(w.last));
    if (!w.given_to.empty()) {
      row.set("given", absl::StrJoin(w.given_to, ", "));
      row.set("given_href", absl::StrCat("/councils/", council, "/accounts/", *w.given_to.begin(),
                                         AsOfQuery(as_of)));
    }
    row.set("may_attach", w.still_waiting > 0);
    const bool this_one = error.values.count("source") &&
                          FormValue(error.values, "source") == key.first &&
                          FormValue(error.values, "ref") == key.second;
    row.set("account_value", this_one ? FormValue(error.values, "account") : "");
    if (this_one && !error.message.empty()) row.set("error", error.message);
    rows.push_back(row);
  }
  d.set("council", council);
  d.set("council_name", title);
  d.set("csrf", s.csrf);
  d.set("action", absl::StrCat("/councils/", council, "/suspense"));
  d.set("as_of_view", !as_of.empty());
  d.set("as_of", LongDate(as_of));
  d.set("has_items", !by_ref.empty());
  d.set("refs", rows);
  if (!error.message.empty()) {
    d.set("error", error.message);
    d.set("error_href", error.field);  // The account field of the row that failed.
  }
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/councils/", council, "/suspense?page=",
                               UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(error.message.empty() ? 200 : 400,
              error.message.empty() ? "Suspense" : "Error: Suspense", "suspense", d, &s);
}

HttpResponse WebApp::AttachRef(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& council, const Form& form) const {
  FormError error;
  error.values = form;
  const std::string account = std::string(absl::StripAsciiWhitespace(FormValue(form, "account")));
  error.field = absl::StrCat("#account-", FormValue(form, "row"));
  if (account.empty()) {
    error.message = "Enter the account that holds this reference";
    return Suspense(request, s, council, error);
  }
  v1::AddExternalRefRequest in;
  in.set_account(AccountName(council, account));
  in.mutable_external_ref()->set_source(FormValue(form, "source"));
  in.mutable_external_ref()->set_ref(FormValue(form, "ref"));
  in.set_request_id(FormValue(form, "request_id"));
  v1::AddExternalRefResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Accounts/AddExternalRef", in, &out);
  if (st.error_code() == grpc::StatusCode::NOT_FOUND) {
    error.message = absl::StrCat("There is no account \"", account, "\" in this council");
  } else if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
             st.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    error.message = st.error_message();
  } else if (!st.ok()) {
    return CallFailed(st, s);
  }
  if (!error.message.empty()) return Suspense(request, s, council, error);
  return Redirect(absl::StrCat("/", out.account().name()));
}

grpc::Status WebApp::FlagsAsOf(const SessionStore::Session& s, const HttpRequest& request,
                               const std::string& council, const std::string& as_of,
                               std::vector<v1::Flag>* out) const {
  v1::ComputeFlagReportRequest in;
  in.set_council(CouncilName(council));
  in.set_as_of_date(as_of);
  in.set_page_size(1000);
  for (;;) {
    v1::ComputeFlagReportResponse page;
    grpc::Status st = CallAs(s, request, "/dpmon.v1.Monitoring/ComputeFlagReport", in, &page);
    if (!st.ok()) return st;
    for (v1::Flag& f : *page.mutable_flags()) out->push_back(std::move(f));
    if (page.next_page_token().empty()) return grpc::Status::OK;
    in.set_page_token(page.next_page_token());
  }
}

}  // namespace dpmon
