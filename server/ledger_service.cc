#include "server/ledger_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

namespace {

struct DateRange {
  Date from = Date::FromDays(-30000);  // Before any permitted date.
  Date to = Date::FromDays(90000);     // After any permitted date.
};

absl::StatusOr<DateRange> ParseRange(const std::string& start, const std::string& end) {
  DateRange r;
  if (!start.empty()) {
    absl::StatusOr<Date> d = ParseDateField(start, "start_date");
    if (!d.ok()) return d.status();
    r.from = *d;
  }
  if (!end.empty()) {
    absl::StatusOr<Date> d = ParseDateField(end, "end_date");
    if (!d.ok()) return d.status();
    r.to = *d;
  }
  if (r.to < r.from) return InvalidField("end_date", "is before start_date");
  return r;
}

}  // namespace

grpc::ServerUnaryReactor* LedgerService::ListTransactions(
    grpc::CallbackServerContext* context, const v1::ListTransactionsRequest* request,
    v1::ListTransactionsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Ledger>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<AccountRef> name = ParseAccountName(request->parent(), "parent");
        if (!name.ok()) return name.status();
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<DateRange> range = ParseRange(request->start_date(), request->end_date());
        if (!range.ok()) return range.status();
        const std::string scope = absl::StrCat("txns\n", request->parent(), "\n",
                                               request->start_date(), "\n", request->end_date());
        absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
        if (!after.ok()) return after.status();
        if (absl::Status s = ctx_.store->GetAccount(name->council, name->account).status();
            !s.ok()) {
          return s;
        }
        absl::StatusOr<Page<v1::Transaction>> page = ctx_.store->ListTransactions(
            name->council, name->account, range->from, range->to, *after, *size);
        if (!page.ok()) return page.status();
        const std::string account = AccountName(name->council, name->account);
        for (v1::Transaction& t : page->items) {
          t.set_account(account);
          *response->add_transactions() = std::move(t);
        }
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LedgerService::ListStatements(grpc::CallbackServerContext* context,
                                                        const v1::ListStatementsRequest* request,
                                                        v1::ListStatementsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Ledger>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<AccountRef> name = ParseAccountName(request->parent(), "parent");
        if (!name.ok()) return name.status();
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<DateRange> range = ParseRange(request->start_date(), request->end_date());
        if (!range.ok()) return range.status();
        const std::string scope = absl::StrCat("statements\n", request->parent(), "\n",
                                               request->start_date(), "\n", request->end_date());
        absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
        if (!after.ok()) return after.status();
        if (absl::Status s = ctx_.store->GetAccount(name->council, name->account).status();
            !s.ok()) {
          return s;
        }
        absl::StatusOr<Page<v1::Statement>> page = ctx_.store->ListStatements(
            name->council, name->account, range->from, range->to, *after, *size);
        if (!page.ok()) return page.status();
        const std::string account = AccountName(name->council, name->account);
        for (v1::Statement& s : page->items) {
          s.set_account(account);
          *response->add_statements() = std::move(s);
        }
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LedgerService::ListSuspense(grpc::CallbackServerContext* context,
                                                      const v1::ListSuspenseRequest* request,
                                                      v1::ListSuspenseResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Ledger>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<std::string> council =
                     ParseCouncilName(request->parent(), "parent");
                 if (!council.ok()) return council.status();
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 std::optional<Store::SuspenseAsOf> as_of;
                 if (!request->as_of_date().empty()) {
                   absl::StatusOr<Date> d = ParseDateField(request->as_of_date(), "as_of_date");
                   if (!d.ok()) return d.status();
                   as_of = Store::SuspenseAsOf{*d, absl::ToUnixMicros(EndOfDayInLondon(*d))};
                 }
                 const std::string scope =
                     absl::StrCat("suspense\n", request->parent(), "\n", request->as_of_date());
                 absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
                 if (!after.ok()) return after.status();
                 if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;
                 absl::StatusOr<Page<v1::SuspenseItem>> page =
                     ctx_.store->ListSuspense(*council, *after, *size, as_of);
                 if (!page.ok()) return page.status();
                 for (v1::SuspenseItem& i : page->items) {
                   if (!i.attached_account().empty()) {
                     i.set_attached_account(AccountName(*council, i.attached_account()));
                   }
                   *response->add_items() = std::move(i);
                 }
                 response->set_next_page_token(EncodePageToken(scope, page->next_key));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* LedgerService::GetBalance(grpc::CallbackServerContext* context,
                                                    const v1::GetBalanceRequest* request,
                                                    v1::Balance* response) {
  return Serve(ctx_, context, RpcOf<v1::Ledger>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
                 if (!name.ok()) return name.status();
                 absl::StatusOr<Date> as_of = ParseDateField(request->as_of_date(), "as_of_date");
                 if (!as_of.ok()) return as_of.status();
                 if (absl::Status s = ctx_.store->GetAccount(name->council, name->account).status();
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<domain::Totals> totals =
                     ctx_.store->SumThrough(name->council, name->account, *as_of);
                 if (!totals.ok()) return totals.status();
                 int64_t balance;
                 if (absl::Status s = totals->NetPence(&balance); !s.ok()) return s;
                 response->set_account(request->account());
                 response->set_as_of_date(as_of->ToString());
                 response->set_balance_pence(balance);
                 response->set_transaction_count(totals->TransactionCount());
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* LedgerService::GetCategoryTotals(
    grpc::CallbackServerContext* context, const v1::GetCategoryTotalsRequest* request,
    v1::CategoryTotals* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Ledger>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
        if (!name.ok()) return name.status();
        absl::StatusOr<Date> from = ParseDateField(request->start_date(), "start_date");
        if (!from.ok()) return from.status();
        absl::StatusOr<Date> to = ParseDateField(request->end_date(), "end_date");
        if (!to.ok()) return to.status();
        if (*to < *from) return InvalidField("end_date", "is before start_date");
        if (absl::Status s = ctx_.store->GetAccount(name->council, name->account).status();
            !s.ok()) {
          return s;
        }
        absl::StatusOr<domain::Totals> totals =
            ctx_.store->SumRange(name->council, name->account, *from, *to);
        if (!totals.ok()) return totals.status();
        response->set_account(request->account());
        response->set_start_date(from->ToString());
        response->set_end_date(to->ToString());
        // By category, then direction (credit before debit).
        for (int category = 1; category <= v1::Category_MAX; ++category) {
          for (v1::Direction direction : {v1::CREDIT, v1::DEBIT}) {
            if (category != v1::UNCATEGORISED &&
                direction !=
                    ToProto(domain::DirectionOf(static_cast<domain::Category>(category), 0))) {
              continue;
            }
            int slot = domain::SlotOf(static_cast<domain::Category>(category), ToDomain(direction));
            if (totals->count[slot] == 0 && totals->net_pence[slot] == 0) continue;
            v1::CategoryTotal* t = response->add_totals();
            t->set_category(static_cast<v1::Category>(category));
            t->set_direction(direction);
            t->set_net_pence(totals->net_pence[slot]);
            t->set_transaction_count(totals->count[slot]);
          }
        }
        int64_t net;
        if (absl::Status s = totals->NetPence(&net); !s.ok()) return s;
        response->set_net_pence(net);
        response->set_transaction_count(totals->TransactionCount());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LedgerService::RecategoriseTransaction(
    grpc::CallbackServerContext* context, const v1::RecategoriseTransactionRequest* request,
    v1::Transaction* response) {
  return Serve(ctx_, context, RpcOf<v1::Ledger>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
                 if (!name.ok()) return name.status();
                 if (absl::Status s = ValidateFeedId(request->source()); !s.ok()) {
                   return InvalidField("source", s.message());
                 }
                 if (absl::Status s = ValidateFeedId(request->external_id()); !s.ok()) {
                   return InvalidField("external_id", s.message());
                 }
                 if (request->category() == v1::CATEGORY_UNSPECIFIED ||
                     !v1::Category_IsValid(request->category())) {
                   return InvalidField("category", "is required: a category such as PA_WAGES");
                 }
                 for (const auto& [text, field] : {std::pair{&request->note(), "note"},
                                                   std::pair{&request->actor(), "actor"}}) {
                   if (text->empty()) return InvalidField(field, "is required");
                   if (absl::Status s = ValidateText(*text); !s.ok())
                     return InvalidField(field, s.message());
                 }
                 v1::CategoryChange change;
                 change.set_actor(request->actor());
                 change.set_note(request->note());
                 change.set_at(NowRfc3339());
                 absl::StatusOr<v1::Transaction> t = ctx_.store->RecategoriseTransaction(
                     name->council, name->account, request->source(), request->external_id(),
                     request->category(), change, KeyFor(call.rpc, *request));
                 if (!t.ok()) return t.status();
                 *response = *std::move(t);
                 response->set_account(AccountName(name->council, name->account));
                 return absl::OkStatus();
               });
}

}  // namespace dpmon
