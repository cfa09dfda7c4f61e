#include "server/accounts_service.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"
#include "domain/search.h"
#include "server/auth.h"
#include "server/clock.h"
#include "server/due_index.h"
#include "server/service_util.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

AccountsService::AccountsService(ServiceContext ctx, DueIndex* due_index)
    : ctx_(std::move(ctx)), due_index_(due_index) {
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
  ReadUnary(this, &AccountsService::ListRecoveries, "ListRecoveries");
  ReadUnary(this, &AccountsService::AddCaseNote, "AddCaseNote");
  ReadUnary(this, &AccountsService::ListCaseNotes, "ListCaseNotes");
  ReadUnary(this, &AccountsService::SearchAccounts, "SearchAccounts");
}

namespace {

// Name-index entries a search reads at most (a one-letter query in a very
// large council): the matches past them are not found.
constexpr int kSearchScanMax = 20'000;

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

// The display name of the key `officer` names ("keys/{id}"), if it may hold
// a caseload in `council`: in force, an OFFICER key, holding the council.
absl::StatusOr<std::string> OfficerDisplayName(const ServiceContext& ctx,
                                               const std::string& council,
                                               absl::string_view officer, absl::string_view field) {
  absl::StatusOr<std::string> id = ParseOfficer(officer, field);
  if (!id.ok()) return id.status();
  std::shared_ptr<const Principal> key = ctx.keys->InForce(*id);
  if (key == nullptr) {
    return InvalidField(field, absl::StrFormat("%s is not a key in force", officer));
  }
  if (key->key.role() != v1::OFFICER) {
    return InvalidField(field, absl::StrFormat("%s is not an OFFICER key", officer));
  }
  if (!key->HoldsCouncil(council)) {
    return InvalidField(field,
                        absl::StrFormat("%s does not hold council \"%s\"", officer, council));
  }
  return key->key.display_name();
}

// Accounts whose page to show, read by id from the account index's hits.
absl::StatusOr<std::vector<v1::Account>> AccountsOfHits(const ServiceContext& ctx,
                                                        const std::string& council,
                                                        const std::vector<Store::IndexHit>& hits) {
  std::vector<std::string> ids;
  ids.reserve(hits.size());
  for (const Store::IndexHit& h : hits) ids.push_back(h.account_id);
  return ctx.store->GetAccounts(council, ids);
}

// Offsets into a list computed whole (SearchAccounts) as page tokens.
absl::StatusOr<size_t> DecodeOffset(const std::string& token, absl::string_view scope) {
  absl::StatusOr<std::string> after = DecodePageToken(token, scope);
  if (!after.ok()) return after.status();
  if (after->empty()) return 0;
  size_t offset = 0;
  if (!absl::SimpleAtoi(*after, &offset)) return InvalidField("page_token", "is not one of ours");
  return offset;
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
                 if (!account.assigned_officer().empty()) {
                   absl::StatusOr<std::string> officer = OfficerDisplayName(
                       ctx_, *council, account.assigned_officer(), "account.assigned_officer");
                   if (!officer.ok()) return officer.status();
                   account.set_assigned_officer_name(*officer);
                 }
                 // Output-only fields are ignored on input (AIP-203).
                 account.set_name(AccountName(*council, request->account_id()));
                 account.clear_status();
                 account.clear_status_history();
                 account.clear_plan_versions();
                 account.clear_earmarks();
                 account.clear_reviews();
                 account.clear_audits();
                 absl::StatusOr<storage::AttachOutcome> created = ctx_.store->CreateAccount(
                     *council, request->account_id(), account, KeyFor(call.rpc, *request),
                     absl::ToUnixMicros(absl::Now()));
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
      [this, request, response](const Call& call) -> absl::Status {
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
        auto keep = [&](const v1::Account& a) {
          if (filter->holding && a.holding() != *filter->holding) return false;
          if (filter->officer && LastNameSegment(a.assigned_officer()) != *filter->officer &&
              !(filter->officer->empty() && a.assigned_officer().empty())) {
            return false;
          }
          if (!filter->status) return true;
          absl::StatusOr<domain::AccountStatus> status = StatusAtOf(a, as_of);
          if (!status.ok()) unreadable.Update(status.status());
          return status.ok() && ToProto(*status) == *filter->status;
        };
        Page<v1::Account> page;
        if (filter->officer && !filter->officer->empty()) {
          // A caseload: from the index, a page of the officer's accounts.
          absl::StatusOr<Page<Store::IndexHit>> hits = ctx_.store->FindAccounts(
              *council, Store::IndexKind::kOfficer, *filter->officer, false, *after, *size);
          if (!hits.ok()) return hits.status();
          absl::StatusOr<std::vector<v1::Account>> accounts =
              AccountsOfHits(ctx_, *council, hits->items);
          if (!accounts.ok()) return accounts.status();
          for (v1::Account& a : *accounts) {
            if (keep(a)) page.items.push_back(std::move(a));
          }
          page.next_key = hits->next_key;
        } else {
          absl::StatusOr<Page<v1::Account>> scanned =
              ctx_.store->ListAccounts(*council, *after, *size, keep);
          if (!scanned.ok()) return scanned.status();
          page = *std::move(scanned);
        }
        if (!unreadable.ok()) return unreadable;
        for (v1::Account& a : page.items) {
          if (absl::Status s = PresentAccount(as_of, &a); !s.ok()) return s;
          call.Show(LastNameSegment(a.name()));
          *response->add_accounts() = std::move(a);
        }
        response->set_next_page_token(EncodePageToken(scope, page.next_key));
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
        std::string officer_name;
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
          } else if (path == "person_ref") {
            if (absl::Status s = ValidatePersonRef(in.person_ref(), "account.person_ref"); !s.ok())
              return s;
          } else if (path == "display_name") {
            if (absl::Status s = ValidateDisplayName(in.display_name(), "account.display_name");
                !s.ok()) {
              return s;
            }
          } else if (path == "assigned_officer") {
            if (!in.assigned_officer().empty()) {
              absl::StatusOr<std::string> officer = OfficerDisplayName(
                  ctx_, name->council, in.assigned_officer(), "account.assigned_officer");
              if (!officer.ok()) return officer.status();
              officer_name = *officer;
            }
          } else {
            return InvalidField(field,
                                absl::StrFormat("\"%s\" cannot be updated here "
                                                "(care_plan_review_date, management, recipient, "
                                                "category_rules, person_ref, display_name, "
                                                "assigned_officer)",
                                                path));
          }
        }
        absl::StatusOr<v1::Account> updated = ctx_.store->UpdateAccount(
            name->council, name->account,
            [request, &officer_name](v1::Account* a) {
              for (const std::string& path : request->update_mask().paths()) {
                if (path == "care_plan_review_date") {
                  a->set_care_plan_review_date(request->account().care_plan_review_date());
                } else if (path == "management") {
                  a->set_management(request->account().management());
                } else if (path == "recipient") {
                  a->set_recipient(request->account().recipient());
                } else if (path == "category_rules") {
                  *a->mutable_category_rules() = request->account().category_rules();
                } else if (path == "person_ref") {
                  a->set_person_ref(request->account().person_ref());
                } else if (path == "display_name") {
                  a->set_display_name(request->account().display_name());
                } else if (path == "assigned_officer") {
                  a->set_assigned_officer(request->account().assigned_officer());
                  a->set_assigned_officer_name(officer_name);
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
                 absl::StatusOr<storage::AttachOutcome> r = ctx_.store->AddExternalRef(
                     name->council, name->account, request->external_ref(),
                     KeyFor(call.rpc, *request), absl::ToUnixMicros(absl::Now()));
                 if (!r.ok()) return r.status();
                 response->mutable_account()->Swap(r->mutable_account());
                 response->set_attached_transactions(r->attached_transactions());
                 response->set_attached_statements(r->attached_statements());
                 response->set_conflicting_statements(r->conflicting_statements());
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

grpc::ServerUnaryReactor* AccountsService::ListRecoveries(grpc::CallbackServerContext* context,
                                                          const v1::ListRecoveriesRequest* request,
                                                          v1::ListRecoveriesResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call& call) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        if (!v1::RecoveryState_IsValid(request->state())) {
          return InvalidField("state", "must be IN_PROGRESS or COMPLETED (or unset for both)");
        }
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        const std::string scope = absl::StrCat("recoveries\n", request->council(), "\n",
                                               as_of->ToString(), "\n", request->state());
        absl::StatusOr<std::optional<RecoveryKey>> after =
            DecodePosition<RecoveryKey>(request->page_token(), scope, &ParseRecoveryKey);
        if (!after.ok()) return after.status();
        std::optional<RecoveryKey> next;
        if (absl::Status s = due_index_->ListRecoveries(*council, *as_of, request->state(), *after,
                                                        *size, response, &next);
            !s.ok()) {
          return s;
        }
        for (const v1::AccountRecovery& r : response->recoveries()) {
          call.Show(LastNameSegment(r.account()));
        }
        response->set_as_of_date(as_of->ToString());
        if (next) response->set_next_page_token(EncodePageToken(scope, RecoveryKeyText(*next)));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AccountsService::AddCaseNote(grpc::CallbackServerContext* context,
                                                       const v1::AddCaseNoteRequest* request,
                                                       v1::CaseNote* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call& call) -> absl::Status {
        if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
        absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
        if (!name.ok()) return name.status();
        if (absl::Status s = ValidateCaseNoteText(request->case_note().text(), "case_note.text");
            !s.ok()) {
          return s;
        }
        v1::CaseNote note;
        note.set_text(request->case_note().text());
        note.set_author(call.caller.key_id.empty() ? "" : call.caller.name());
        note.set_author_name(call.caller.key.display_name());
        note.set_create_time(NowRfc3339());
        absl::StatusOr<v1::CaseNote> added = ctx_.store->AddCaseNote(
            name->council, name->account, std::move(note), KeyFor(call.rpc, *request));
        if (!added.ok()) return added.status();
        *response = *std::move(added);
        response->set_name(absl::StrCat(request->account(), "/notes/", response->name()));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AccountsService::ListCaseNotes(grpc::CallbackServerContext* context,
                                                         const v1::ListCaseNotesRequest* request,
                                                         v1::ListCaseNotesResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Accounts>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->parent(), "parent");
                 if (!name.ok()) return name.status();
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 const std::string scope = absl::StrCat("notes\n", request->parent());
                 absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
                 if (!after.ok()) return after.status();
                 if (absl::Status s = ctx_.store->GetAccount(name->council, name->account).status();
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<Page<v1::CaseNote>> page =
                     ctx_.store->ListCaseNotes(name->council, name->account, *after, *size);
                 if (!page.ok()) return page.status();
                 for (v1::CaseNote& n : page->items) {
                   n.set_name(absl::StrCat(request->parent(), "/notes/", n.name()));
                   *response->add_case_notes() = std::move(n);
                 }
                 response->set_next_page_token(EncodePageToken(scope, page->next_key));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* AccountsService::SearchAccounts(grpc::CallbackServerContext* context,
                                                          const v1::SearchAccountsRequest* request,
                                                          v1::SearchAccountsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Accounts>(__func__), request,
      [this, request, response](const Call& call) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->parent(), "parent");
        if (!council.ok()) return council.status();
        const std::string query(absl::StripAsciiWhitespace(request->query()));
        if (query.empty()) return InvalidField("query", "is required");
        if (query.size() > limits::kSearchQueryBytesMax) {
          return InvalidField("query", absl::StrFormat("is %d bytes long; the limit is %d",
                                                       query.size(), limits::kSearchQueryBytesMax));
        }
        if (absl::Status s = ValidateText(query); !s.ok())
          return InvalidField("query", s.message());
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        const std::string scope = absl::StrCat("search\n", request->parent(), "\n", query);
        absl::StatusOr<size_t> offset = DecodeOffset(request->page_token(), scope);
        if (!offset.ok()) return offset.status();
        if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;

        // Exact matches first (account id, feed reference, person_ref), then names.
        std::vector<std::pair<std::string, v1::MatchedOn>> found;
        absl::flat_hash_set<std::string> seen;
        auto add = [&](const std::string& id, v1::MatchedOn on) {
          if (found.size() < static_cast<size_t>(limits::kSearchMatchesMax) &&
              seen.insert(id).second) {
            found.emplace_back(id, on);
          }
        };
        if (ValidateId(query).ok()) {
          absl::StatusOr<std::vector<v1::Account>> a = ctx_.store->GetAccounts(*council, {query});
          if (!a.ok()) return a.status();
          if (!a->empty()) add(query, v1::ACCOUNT_ID);
        }
        for (auto [kind, on] : {std::pair{Store::IndexKind::kExternalRef, v1::EXTERNAL_REF},
                                std::pair{Store::IndexKind::kPersonRef, v1::PERSON_REF}}) {
          absl::StatusOr<Page<Store::IndexHit>> hits =
              ctx_.store->FindAccounts(*council, kind, query, false, "", limits::kSearchMatchesMax);
          if (!hits.ok()) return hits.status();
          for (const Store::IndexHit& h : hits->items) add(h.account_id, on);
        }
        // Names: candidates from the index by the query's longest word, then
        // each checked against every word of the query, in name order.
        const std::vector<std::string> words = domain::NameWords(query);
        if (!words.empty()) {
          const std::string& longest = *std::max_element(
              words.begin(), words.end(),
              [](const std::string& x, const std::string& y) { return x.size() < y.size(); });
          // Each entry holds the whole name: candidates are checked and
          // ordered without reading their records.
          std::vector<std::pair<std::string, std::string>> named;  // (lower-case name, id)
          absl::flat_hash_set<std::string> candidate_set;
          std::string after;
          int scanned = 0;
          do {
            absl::StatusOr<Page<Store::IndexHit>> hits = ctx_.store->FindAccounts(
                *council, Store::IndexKind::kNameWord, longest, true, after, 1000);
            if (!hits.ok()) return hits.status();
            for (Store::IndexHit& h : hits->items) {
              if (seen.contains(h.account_id) || !candidate_set.insert(h.account_id).second ||
                  !domain::NameMatches(domain::NameWords(h.stored), query)) {
                continue;
              }
              named.emplace_back(absl::AsciiStrToLower(h.stored), std::move(h.account_id));
            }
            scanned += static_cast<int>(hits->items.size());
            after = hits->next_key;
          } while (!after.empty() && scanned < kSearchScanMax);
          std::sort(named.begin(), named.end());
          for (const auto& [unused, id] : named) add(id, v1::DISPLAY_NAME);
        }

        const size_t end = std::min(found.size(), *offset + static_cast<size_t>(*size));
        std::vector<std::string> ids;
        for (size_t i = std::min(*offset, found.size()); i < end; ++i)
          ids.push_back(found[i].first);
        absl::StatusOr<std::vector<v1::Account>> page = ctx_.store->GetAccounts(*council, ids);
        if (!page.ok()) return page.status();
        absl::flat_hash_map<std::string, v1::MatchedOn> on_of(found.begin(), found.end());
        for (v1::Account& a : *page) {
          if (absl::Status s = PresentAccount(*as_of, &a); !s.ok()) return s;
          const std::string id = LastNameSegment(a.name());
          call.Show(id);
          v1::AccountMatch* m = response->add_matches();
          m->set_matched_on(on_of[id]);
          *m->mutable_account() = std::move(a);
        }
        if (end < found.size())
          response->set_next_page_token(EncodePageToken(scope, absl::StrCat(end)));
        return absl::OkStatus();
      });
}

}  // namespace dpmon
