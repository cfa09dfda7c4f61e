#include "server/accounts_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/limits.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

AccountsService::AccountsService(ServiceContext ctx) : ctx_(std::move(ctx)) {
  ReadUnary(this, &AccountsService::CreateAccount, "CreateAccount");
  ReadUnary(this, &AccountsService::GetAccount, "GetAccount");
  ReadUnary(this, &AccountsService::ListAccounts, "ListAccounts");
  ReadUnary(this, &AccountsService::UpdateAccount, "UpdateAccount");
  ReadUnary(this, &AccountsService::AddExternalRef, "AddExternalRef");
  ReadUnary(this, &AccountsService::ChangeAccountStatus, "ChangeAccountStatus");
  ReadUnary(this, &AccountsService::CreatePlanVersion, "CreatePlanVersion");
  ReadUnary(this, &AccountsService::UpsertEarmark, "UpsertEarmark");
  ReadUnary(this, &AccountsService::RecordReview, "RecordReview");
  ReadUnary(this, &AccountsService::RecordAudit, "RecordAudit");
  ReadUnary(this, &AccountsService::RecordRecovery, "RecordRecovery");
}

namespace {

// Sets the account's status as of today (output only).
absl::Status PresentAccount(Date today, v1::Account* account) {
  absl::StatusOr<domain::AccountStatus> status = StatusAtOf(*account, today);
  if (!status.ok()) return status.status();
  account->set_status(ToProto(*status));
  return absl::OkStatus();
}

// Read, change with `mutate`, write: the shared shape of the account mutations.
template <typename Req>
absl::Status MutateAccount(const ServiceContext& ctx, const Req& request, absl::string_view method,
                           const std::function<absl::Status(v1::Account*)>& mutate,
                           v1::Account* response) {
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return s;
  absl::StatusOr<AccountRef> name = ParseAccountName(request.account(), "account");
  if (!name.ok()) return name.status();
  absl::StatusOr<v1::Account> updated =
      ctx.store->UpdateAccount(name->council, name->account, mutate, KeyFor(method, request));
  if (!updated.ok()) return updated.status();
  *response = *std::move(updated);
  return PresentAccount(ctx.today(), response);
}

}  // namespace

grpc::ServerUnaryReactor* AccountsService::CreateAccount(grpc::CallbackServerContext* context,
                                                         const v1::CreateAccountRequest* request,
                                                         v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<std::string> council =
                     ParseCouncilName(request->parent(), "parent");
                 if (!council.ok()) return council.status();
                 if (absl::Status s = ValidateId(request->account_id()); !s.ok()) {
                   return InvalidField("account_id", s.message());
                 }
                 if (absl::Status s = ValidateNewAccount(request->account(), "account"); !s.ok())
                   return s;
                 v1::Account account = request->account();
                 // Output-only fields are ignored on input (AIP-203).
                 account.clear_name();
                 account.clear_status();
                 account.clear_status_history();
                 account.clear_plan_versions();
                 account.clear_earmarks();
                 account.clear_reviews();
                 account.clear_audits();
                 absl::StatusOr<v1::AddExternalRefResponse> created = ctx_.store->CreateAccount(
                     *council, request->account_id(), account, KeyFor(call.rpc, *request));
                 if (!created.ok()) return created.status();
                 *response = created->account();
                 return PresentAccount(ctx_.today(), response);
               });
}

grpc::ServerUnaryReactor* AccountsService::GetAccount(grpc::CallbackServerContext* context,
                                                      const v1::GetAccountRequest* request,
                                                      v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->name(), "name");
                 if (!name.ok()) return name.status();
                 absl::StatusOr<v1::Account> account =
                     ctx_.store->GetAccount(name->council, name->account);
                 if (!account.ok()) return account.status();
                 *response = *std::move(account);
                 return PresentAccount(ctx_.today(), response);
               });
}

grpc::ServerUnaryReactor* AccountsService::ListAccounts(grpc::CallbackServerContext* context,
                                                        const v1::ListAccountsRequest* request,
                                                        v1::ListAccountsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->parent(), "parent");
        if (!council.ok()) return council.status();
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<AccountFilter> filter = ParseAccountFilter(request->filter());
        if (!filter.ok()) return filter.status();
        Date as_of = ctx_.today();
        if (!request->as_of_date().empty()) {
          absl::StatusOr<Date> d = ParseDateField(request->as_of_date(), "as_of_date");
          if (!d.ok()) return d.status();
          as_of = *d;
        }
        const std::string scope = absl::StrCat("accounts\n", request->parent(), "\n",
                                               request->filter(), "\n", request->as_of_date());
        absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
        if (!after.ok()) return after.status();
        if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;
        absl::Status unreadable;
        absl::StatusOr<Page<v1::Account>> page =
            ctx_.store->ListAccounts(*council, *after, *size, [&](const v1::Account& a) {
              if (filter->holding && a.holding() != *filter->holding) return false;
              if (!filter->status) return true;
              absl::StatusOr<domain::AccountStatus> status = StatusAtOf(a, as_of);
              if (!status.ok()) unreadable.Update(status.status());
              return status.ok() && ToProto(*status) == *filter->status;
            });
        if (!page.ok()) return page.status();
        if (!unreadable.ok()) return unreadable;
        for (v1::Account& a : page->items) {
          if (absl::Status s = PresentAccount(as_of, &a); !s.ok()) return s;
          *response->add_accounts() = std::move(a);
        }
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AccountsService::UpdateAccount(grpc::CallbackServerContext* context,
                                                         const v1::UpdateAccountRequest* request,
                                                         v1::Account* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call& call) -> absl::Status {
        if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
        absl::StatusOr<AccountRef> name =
            ParseAccountName(request->account().name(), "account.name");
        if (!name.ok()) return name.status();
        const v1::Account& in = request->account();
        if (request->update_mask().paths_size() == 0) {
          return InvalidField("update_mask", "name the fields to update");
        }
        for (int i = 0; i < request->update_mask().paths_size(); ++i) {
          const std::string& path = request->update_mask().paths(i);
          const std::string field = absl::StrCat("update_mask.paths[", i, "]");
          if (path == "care_plan_review_date") {
            if (!in.care_plan_review_date().empty()) {
              if (absl::Status s =
                      ParseDateField(in.care_plan_review_date(), "account.care_plan_review_date")
                          .status();
                  !s.ok()) {
                return s;
              }
            }
          } else if (path == "management") {
            if (in.management() == v1::MANAGEMENT_UNSPECIFIED ||
                !v1::Management_IsValid(in.management())) {
              return InvalidField("account.management", "must be a management type");
            }
          } else if (path == "recipient") {
            if (in.recipient() == v1::RECIPIENT_UNSPECIFIED ||
                !v1::Recipient_IsValid(in.recipient())) {
              return InvalidField("account.recipient", "must be SERVICE_USER or CARER");
            }
          } else if (path == "category_rules") {
            if (absl::Status s =
                    ValidateCategoryRules(in.category_rules(), "account.category_rules");
                !s.ok()) {
              return s;
            }
          } else {
            return InvalidField(field, absl::StrFormat("\"%s\" cannot be updated here "
                                                       "(care_plan_review_date, management, "
                                                       "recipient, category_rules)",
                                                       path));
          }
        }
        absl::StatusOr<v1::Account> updated = ctx_.store->UpdateAccount(
            name->council, name->account,
            [request](v1::Account* a) {
              for (const std::string& path : request->update_mask().paths()) {
                if (path == "care_plan_review_date") {
                  a->set_care_plan_review_date(request->account().care_plan_review_date());
                } else if (path == "management") {
                  a->set_management(request->account().management());
                } else if (path == "recipient") {
                  a->set_recipient(request->account().recipient());
                } else if (path == "category_rules") {
                  *a->mutable_category_rules() = request->account().category_rules();
                }
              }
              return absl::OkStatus();
            },
            KeyFor(call.rpc, *request));
        if (!updated.ok()) return updated.status();
        *response = *std::move(updated);
        return PresentAccount(ctx_.today(), response);
      });
}

grpc::ServerUnaryReactor* AccountsService::AddExternalRef(grpc::CallbackServerContext* context,
                                                          const v1::AddExternalRefRequest* request,
                                                          v1::AddExternalRefResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
                 if (!name.ok()) return name.status();
                 if (absl::Status s = ValidateExternalRef(request->external_ref(), "external_ref");
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<v1::AddExternalRefResponse> r = ctx_.store->AddExternalRef(
                     name->council, name->account, request->external_ref(),
                     KeyFor(call.rpc, *request));
                 if (!r.ok()) return r.status();
                 *response = *std::move(r);
                 return PresentAccount(ctx_.today(), response->mutable_account());
               });
}

grpc::ServerUnaryReactor* AccountsService::ChangeAccountStatus(
    grpc::CallbackServerContext* context, const v1::ChangeAccountStatusRequest* request,
    v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = ValidateStatusChange(request->change(), "change"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, call.rpc,
                     [request](v1::Account* a) { return ApplyStatusChange(request->change(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::CreatePlanVersion(
    grpc::CallbackServerContext* context, const v1::CreatePlanVersionRequest* request,
    v1::Account* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call& call) -> absl::Status {
        if (absl::Status s = ValidatePlanVersion(request->plan_version(), "plan_version");
            !s.ok()) {
          return s;
        }
        return MutateAccount(
            ctx_, *request, call.rpc,
            [request](v1::Account* a) { return ApplyPlanVersion(request->plan_version(), a); },
            response);
      });
}

grpc::ServerUnaryReactor* AccountsService::UpsertEarmark(grpc::CallbackServerContext* context,
                                                         const v1::UpsertEarmarkRequest* request,
                                                         v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = ValidateEarmark(request->earmark(), "earmark"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, call.rpc,
                     [request](v1::Account* a) { return ApplyEarmark(request->earmark(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordReview(grpc::CallbackServerContext* context,
                                                        const v1::RecordReviewRequest* request,
                                                        v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = ValidateReview(request->review(), "review"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, call.rpc,
                     [request](v1::Account* a) { return ApplyReview(request->review(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordAudit(grpc::CallbackServerContext* context,
                                                       const v1::RecordAuditRequest* request,
                                                       v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = ValidateAudit(request->audit(), "audit"); !s.ok()) return s;
                 return MutateAccount(
                     ctx_, *request, call.rpc,
                     [request](v1::Account* a) { return ApplyAudit(request->audit(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordRecovery(grpc::CallbackServerContext* context,
                                                          const v1::RecordRecoveryRequest* request,
                                                          v1::Account* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = ValidateRecovery(request->recovery(), "recovery"); !s.ok()) {
                   return s;
                 }
                 return MutateAccount(
                     ctx_, *request, call.rpc,
                     [request](v1::Account* a) { return ApplyRecovery(request->recovery(), a); },
                     response);
               });
}

}  // namespace dpmon
