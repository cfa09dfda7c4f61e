// The dashboard's pages of an account's ledger: its transactions (and putting
// one in another category) and its audit pack, as a page and as CSV.
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
using web::EnumOptions;
using web::Form;
using web::FormValue;
using web::QueryValue;
using web::Redirect;

HttpResponse WebApp::Transactions(const HttpRequest& request, const SessionStore::Session& s,
                                  const std::string& council, const std::string& account_id) const {
  const std::string as_of = QueryValue(request, "asOf");
  v1::ListTransactionsRequest in;
  in.set_parent(AccountName(council, account_id));
  in.set_end_date(as_of);
  in.set_page_size(50);
  in.set_page_token(QueryValue(request, "page"));
  v1::ListTransactionsResponse out;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Ledger/ListTransactions", in, &out);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return DateRefused(st, s);
  }
  if (!st.ok()) return CallFailed(st, s);
  std::string title;
  if (grpc::Status t = CouncilTitle(s, request, council, &title); !t.ok()) {
    return CallFailed(t, s);
  }
  std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
  const bool may_recategorise =
      who != nullptr && Permit(*who, "/dpmon.v1.Ledger/RecategoriseTransaction").ok();
  mustache::data rows = mustache::data::type::list;
  for (const v1::Transaction& t : out.transactions()) {
    const v1::TransactionInput& i = t.input();
    mustache::data row;
    row.set("date", LongDate(i.booking_date()));
    row.set("who", i.has_counterparty() ? i.counterparty() : std::string("–"));
    row.set("description", i.has_description() ? i.description() : std::string("–"));
    row.set("category", SentenceCase(v1::Category_Name(t.effective_category())));
    row.set("amount", Pounds(i.amount_pence()));
    row.set("id", absl::StrCat(i.source(), ": ", i.external_id()));
    if (may_recategorise && !t.reversal_linked()) {
      row.set("recategorise_href",
              absl::StrCat("/", in.parent(), "/recategorise?source=", UrlEncode(i.source()),
                           "&id=", UrlEncode(i.external_id()), "&date=", i.booking_date()));
    }
    if (t.category_history_size() > 0) {
      const v1::CategoryChange& c = t.category_history(t.category_history_size() - 1);
      row.set("changed", absl::StrCat("Recategorised by ", c.actor(), ": ", c.note()));
    }
    rows.push_back(row);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("account_id", account_id);
  d.set("account_href", absl::StrCat("/", in.parent(), AsOfQuery(as_of)));
  d.set("as_of", as_of.empty() ? std::string("today") : LongDate(as_of));
  d.set("has_transactions", out.transactions_size() > 0);
  d.set("transactions", rows);
  if (!out.next_page_token().empty()) {
    d.set("next", absl::StrCat("/", in.parent(), "/transactions?page=",
                               UrlEncode(out.next_page_token()), AsOfQuery(as_of, '&')));
  }
  return Page(200, absl::StrCat("Transactions of account ", account_id), "transactions", d, &s);
}

HttpResponse WebApp::AuditPack(const HttpRequest& request, const SessionStore::Session& s,
                               const std::string& council, const std::string& account_id,
                               const std::string& csv) const {
  const std::string start = std::string(absl::StripAsciiWhitespace(QueryValue(request, "start")));
  const std::string end = std::string(absl::StripAsciiWhitespace(QueryValue(request, "end")));
  std::string title;
  if (grpc::Status t = CouncilTitle(s, request, council, &title); !t.ok()) {
    return CallFailed(t, s);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("account_id", account_id);
  d.set("account_href", absl::StrCat("/", AccountName(council, account_id)));
  d.set("self", absl::StrCat("/", AccountName(council, account_id), "/audit-pack"));
  d.set("start", start);
  d.set("end", end);
  auto problem = [&](const std::string& field, const std::string& message) {
    d.set("error", message);
    d.set("error_href", "#" + field);
    d.set(field == "start" ? "start_error" : "end_error", message);
    return Page(400, absl::StrCat("Error: Audit pack for account ", account_id), "audit_pack", d,
                &s);
  };
  if (start.empty() && end.empty() && csv.empty()) {
    // Nothing chosen yet: the form alone.
    return Page(200, absl::StrCat("Audit pack for account ", account_id), "audit_pack", d, &s);
  }
  if (start.empty()) return problem("start", "Enter the first day of the period");
  if (end.empty()) return problem("end", "Enter the last day of the period");
  v1::GetAuditPackRequest in;
  in.set_account(AccountName(council, account_id));
  in.set_start_date(start);
  in.set_end_date(end);
  v1::AuditPack pack;
  grpc::Status st = CallAs(s, request, "/dpmon.v1.Audits/GetAuditPack", in, &pack);
  if (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return problem(absl::StrContains(st.error_message(), "start") ? "start" : "end",
                   absl::StrCat("Enter dates as YYYY-MM-DD, the first on or before the last (",
                                st.error_message(), ")"));
  }
  if (!st.ok()) return CallFailed(st, s);
  const std::vector<AuditPackTable> tables = AuditPackTables(pack);
  if (!csv.empty()) {
    for (const AuditPackTable& t : tables) {
      if (t.file != csv + ".csv") continue;
      HttpResponse r;
      r.content_type = "text/csv; charset=utf-8";
      r.body = AuditPackCsv(t);
      r.headers.emplace_back("Content-Disposition",
                             absl::StrCat("attachment; filename=\"", account_id, "-", start, "-",
                                          end, "-", t.file, "\""));
      return r;
    }
    return ErrorPage(404, "Page not found", "There is no such part of an audit pack.", &s);
  }
  mustache::data list = mustache::data::type::list;
  for (const AuditPackTable& t : tables) {
    mustache::data table;
    table.set("title", t.title);
    table.set("csv",
              absl::StrCat("/", in.account(), "/audit-pack/", absl::StripSuffix(t.file, ".csv"),
                           "?start=", UrlEncode(start), "&end=", UrlEncode(end)));
    mustache::data header = mustache::data::type::list;
    const bool summary = t.file == "summary.csv";
    auto money = [&](size_t i) {
      return std::find(t.money_columns.begin(), t.money_columns.end(), i) != t.money_columns.end();
    };
    for (size_t i = 0; i < t.header.size(); ++i) {
      if (summary && i == 2) continue;  // Pounds are shown from the pence column.
      mustache::data h;
      // Money columns show pounds: "amount_pence" is "Amount"; the summary's "pence" too.
      std::string name(absl::StripSuffix(t.header[i], "_pence"));
      if (name == "pence") name = "amount";
      h.set("text", SentenceCase(absl::AsciiStrToUpper(name)));
      h.set("numeric", money(i));
      header.push_back(h);
    }
    mustache::data rows = mustache::data::type::list;
    for (const std::vector<std::string>& r : t.rows) {
      mustache::data cells = mustache::data::type::list;
      for (size_t i = 0; i < r.size(); ++i) {
        if (summary && i == 2) continue;
        mustache::data c;
        int64_t pence = 0;
        const bool is_money = money(i) && absl::SimpleAtoi(r[i], &pence);
        c.set("text", is_money            ? Pounds(pence)
                      : summary && i == 0 ? SentenceCase(absl::AsciiStrToUpper(r[i]))
                                          : r[i]);
        c.set("numeric", is_money);
        cells.push_back(c);
      }
      mustache::data row;
      row.set("cells", cells);
      rows.push_back(row);
    }
    table.set("header", header);
    table.set("rows", rows);
    table.set("empty", t.rows.empty());
    list.push_back(table);
  }
  d.set("pack", true);
  d.set("period", absl::StrCat(LongDate(pack.start_date()), " to ", LongDate(pack.end_date())));
  d.set("management", SentenceCase(v1::Management_Name(pack.management())));
  d.set("risk",
        absl::StrCat(pack.risk().score(), " (flags ", pack.risk().flags_points(), ", management ",
                     pack.risk().management_points(), ", amount ", pack.risk().amount_points(),
                     ", time since audit ", pack.risk().audit_age_points(), ")"));
  d.set("tables", list);
  return Page(200, absl::StrCat("Audit pack for account ", account_id), "audit_pack", d, &s);
}

HttpResponse WebApp::Recategorise(const HttpRequest& request, const SessionStore::Session& s,
                                  const std::string& council, const std::string& account_id,
                                  const Form* form) const {
  const std::string account = AccountName(council, account_id);
  const std::string source = QueryValue(request, "source");
  const std::string external_id = QueryValue(request, "id");
  FormError error;
  if (form != nullptr) {
    error.values = *form;
    v1::RecategoriseTransactionRequest in;
    in.set_account(account);
    in.set_source(source);
    in.set_external_id(external_id);
    v1::Category category = v1::CATEGORY_UNSPECIFIED;
    const std::string note(absl::StripAsciiWhitespace(FormValue(*form, "note")));
    if (!v1::Category_Parse(FormValue(*form, "category"), &category) ||
        category == v1::CATEGORY_UNSPECIFIED) {
      error.field = "#category";
      error.message = "Choose the category it belongs in";
    } else if (note.empty()) {
      error.field = "#note";
      error.message = "Enter why it belongs there";
    } else {
      in.set_category(category);
      in.set_note(note);
      std::shared_ptr<const Principal> who = keys_->InForce(s.key_id);
      in.set_actor(who != nullptr ? who->key.display_name() : absl::StrCat("keys/", s.key_id));
      in.set_request_id(FormValue(*form, "request_id"));
      v1::Transaction out;
      grpc::Status st = CallAs(s, request, "/dpmon.v1.Ledger/RecategoriseTransaction", in, &out);
      if (st.ok()) return Redirect(absl::StrCat("/", account, "/transactions"));
      if (st.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
          st.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
        return CallFailed(st, s);
      }
      error.field = absl::StrContains(st.error_message(), "note") ? "#note" : "#category";
      error.message = st.error_message();
    }
  }
  // The transaction: from the account's transactions on its day (?date=),
  // else from all of them.
  std::optional<v1::Transaction> found;
  v1::ListTransactionsRequest lt;
  lt.set_parent(account);
  lt.set_start_date(QueryValue(request, "date"));
  lt.set_end_date(QueryValue(request, "date"));
  lt.set_page_size(1000);
  for (int pages = 0; pages < 1000 && !found.has_value(); ++pages) {
    v1::ListTransactionsResponse page;
    if (grpc::Status st = CallAs(s, request, "/dpmon.v1.Ledger/ListTransactions", lt, &page);
        !st.ok()) {
      return CallFailed(st, s);
    }
    for (const v1::Transaction& t : page.transactions()) {
      if (t.input().source() == source && t.input().external_id() == external_id) found = t;
    }
    if (page.next_page_token().empty()) break;
    lt.set_page_token(page.next_page_token());
  }
  if (!found.has_value()) {
    return ErrorPage(404, "Page not found", "The account has no such transaction.", &s);
  }
  std::string title;
  if (grpc::Status t = CouncilTitle(s, request, council, &title); !t.ok()) {
    return CallFailed(t, s);
  }
  mustache::data d;
  d.set("council", council);
  d.set("council_name", title);
  d.set("account_id", account_id);
  d.set("back", absl::StrCat("/", account, "/transactions"));
  d.set("action", absl::StrCat("/", account, "/recategorise?source=", UrlEncode(source),
                               "&id=", UrlEncode(external_id),
                               "&date=", UrlEncode(QueryValue(request, "date"))));
  d.set("date", LongDate(found->input().booking_date()));
  d.set("amount", Pounds(found->input().amount_pence()));
  d.set("who", found->input().has_counterparty() ? found->input().counterparty() : "–");
  d.set("now", SentenceCase(v1::Category_Name(found->effective_category())));
  d.set("categories",
        EnumOptions(v1::Category_descriptor(), FormValue(error.values, "category"), "Choose"));
  d.set("note", FormValue(error.values, "note"));
  d.set("csrf", s.csrf);
  d.set("request_id", RandomToken());
  if (!error.message.empty()) {
    d.set("error", error.message);
    d.set("error_href", error.field);
    d.set(error.field == "#note" ? "note_error" : "category_error", error.message);
  }
  return Page(error.message.empty() ? 200 : 400,
              absl::StrCat(error.message.empty() ? "" : "Error: ", "Recategorise a transaction"),
              "recategorise", d, &s);
}

}  // namespace dpmon
