#include "server/services.h"

#include <deque>
#include <mutex>

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

void LogCall(const ServiceContext& ctx, const grpc::ServerContextBase& context,
             absl::string_view method, const Principal* caller, const Target& target,
             const absl::Status& status, absl::Time start) {
  if (ctx.access_log == nullptr) return;
  const absl::Time end = absl::Now();
  v1::AccessLogEntry e = AccessEntry(caller, method, status);
  e.set_council(target.council.substr(0, target.council.find('\n')));
  e.set_account(target.account);
  e.set_peer(context.peer());
  e.set_duration_us(absl::ToInt64Microseconds(end - start));
  ctx.access_log->Record(std::move(e), end);
}

// ---------------------------------------------------------------------------
// Councils

grpc::ServerUnaryReactor* CouncilsService::CreateCouncil(grpc::CallbackServerContext* context,
                                                         const v1::CreateCouncilRequest* request,
                                                         v1::Council* response) {
  return Serve(ctx_, context, "/dpmon.v1.Councils/CreateCouncil", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 if (absl::Status s = ValidateId(request->council_id()); !s.ok()) {
                   return InvalidField("council_id", s.message());
                 }
                 if (absl::Status s = ValidateText(request->council().display_name()); !s.ok()) {
                   return InvalidField("council.display_name", s.message());
                 }
                 v1::Council council;
                 council.set_display_name(request->council().display_name());
                 *council.mutable_policy() = DefaultPolicy();
                 if (absl::Status s = MergePolicy(request->council().policy(), {}, "council.policy",
                                                  council.mutable_policy());
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<v1::Council> created = ctx_.store->CreateCouncil(
                     request->council_id(), council, KeyFor("CreateCouncil", *request));
                 if (!created.ok()) return created.status();
                 *response = *std::move(created);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::GetCouncil(grpc::CallbackServerContext* context,
                                                      const v1::GetCouncilRequest* request,
                                                      v1::Council* response) {
  return Serve(ctx_, context, "/dpmon.v1.Councils/GetCouncil", request,
               [this, request, response](const Principal&) -> absl::Status {
                 absl::StatusOr<std::string> id = ParseCouncilName(request->name(), "name");
                 if (!id.ok()) return id.status();
                 absl::StatusOr<v1::Council> council = ctx_.store->GetCouncil(*id);
                 if (!council.ok()) return council.status();
                 *response = *std::move(council);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::ListCouncils(grpc::CallbackServerContext* context,
                                                        const v1::ListCouncilsRequest* request,
                                                        v1::ListCouncilsResponse* response) {
  return Serve(ctx_, context, "/dpmon.v1.Councils/ListCouncils", request,
               [this, request, response](const Principal& caller) {
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 absl::StatusOr<std::string> after =
                     DecodePageToken(request->page_token(), "councils");
                 if (!after.ok()) return after.status();
                 // Only the councils the key holds: read on past the others.
                 std::string resume = *after;
                 for (;;) {
                   absl::StatusOr<Page<v1::Council>> page = ctx_.store->ListCouncils(resume, *size);
                   if (!page.ok()) return page.status();
                   for (v1::Council& c : page->items) {
                     if (response->councils_size() == *size) break;
                     if (!caller.HoldsCouncil(LastNameSegment(c.name()))) continue;
                     *response->add_councils() = std::move(c);
                   }
                   resume = page->next_key;
                   if (resume.empty() || response->councils_size() == *size) break;
                 }
                 if (response->councils_size() == *size && !response->councils().empty()) {
                   resume = std::string(LastNameSegment(response->councils().rbegin()->name()));
                 }
                 response->set_next_page_token(EncodePageToken("councils", resume));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::UpdatePolicy(grpc::CallbackServerContext* context,
                                                        const v1::UpdatePolicyRequest* request,
                                                        v1::Council* response) {
  return Serve(ctx_, context, "/dpmon.v1.Councils/UpdatePolicy", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<std::string> id = ParseCouncilName(request->council(), "council");
                 if (!id.ok()) return id.status();
                 // Validate against defaults first, so that bad input never reaches the writer.
                 v1::Policy probe = DefaultPolicy();
                 if (absl::Status s =
                         MergePolicy(request->policy(), request->update_mask(), "policy", &probe);
                     !s.ok() && s.code() == absl::StatusCode::kInvalidArgument &&
                     FieldOf(s).rfind("update_mask", 0) == 0) {
                   return s;
                 }
                 absl::StatusOr<v1::Council> updated = ctx_.store->UpdateCouncil(
                     *id,
                     [request](v1::Council* council) {
                       return MergePolicy(request->policy(), request->update_mask(), "policy",
                                          council->mutable_policy());
                     },
                     KeyFor("UpdatePolicy", *request));
                 if (!updated.ok()) return updated.status();
                 *response = *std::move(updated);
                 return absl::OkStatus();
               });
}

// ---------------------------------------------------------------------------
// Accounts

grpc::ServerUnaryReactor* AccountsService::CreateAccount(grpc::CallbackServerContext* context,
                                                         const v1::CreateAccountRequest* request,
                                                         v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/CreateAccount", request,
               [this, request, response](const Principal&) -> absl::Status {
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
                     *council, request->account_id(), account, KeyFor("CreateAccount", *request));
                 if (!created.ok()) return created.status();
                 *response = created->account();
                 return PresentAccount(ctx_.today(), response);
               });
}

grpc::ServerUnaryReactor* AccountsService::GetAccount(grpc::CallbackServerContext* context,
                                                      const v1::GetAccountRequest* request,
                                                      v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/GetAccount", request,
               [this, request, response](const Principal&) -> absl::Status {
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
      ctx_, context, "/dpmon.v1.Accounts/ListAccounts", request,
      [this, request, response](const Principal&) -> absl::Status {
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
      ctx_, context, "/dpmon.v1.Accounts/UpdateAccount", request,
      [this, request, response](const Principal&) -> absl::Status {
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
            KeyFor("UpdateAccount", *request));
        if (!updated.ok()) return updated.status();
        *response = *std::move(updated);
        return PresentAccount(ctx_.today(), response);
      });
}

grpc::ServerUnaryReactor* AccountsService::AddExternalRef(grpc::CallbackServerContext* context,
                                                          const v1::AddExternalRefRequest* request,
                                                          v1::AddExternalRefResponse* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/AddExternalRef", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
                 if (!name.ok()) return name.status();
                 if (absl::Status s = ValidateExternalRef(request->external_ref(), "external_ref");
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<v1::AddExternalRefResponse> r = ctx_.store->AddExternalRef(
                     name->council, name->account, request->external_ref(),
                     KeyFor("AddExternalRef", *request));
                 if (!r.ok()) return r.status();
                 *response = *std::move(r);
                 return PresentAccount(ctx_.today(), response->mutable_account());
               });
}

grpc::ServerUnaryReactor* AccountsService::ChangeAccountStatus(
    grpc::CallbackServerContext* context, const v1::ChangeAccountStatusRequest* request,
    v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/ChangeAccountStatus", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = ValidateStatusChange(request->change(), "change"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, "ChangeAccountStatus",
                     [request](v1::Account* a) { return ApplyStatusChange(request->change(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::CreatePlanVersion(
    grpc::CallbackServerContext* context, const v1::CreatePlanVersionRequest* request,
    v1::Account* response) {
  return Serve(
      ctx_, context, "/dpmon.v1.Accounts/CreatePlanVersion", request,
      [this, request, response](const Principal&) -> absl::Status {
        if (absl::Status s = ValidatePlanVersion(request->plan_version(), "plan_version");
            !s.ok()) {
          return s;
        }
        return MutateAccount(
            ctx_, *request, "CreatePlanVersion",
            [request](v1::Account* a) { return ApplyPlanVersion(request->plan_version(), a); },
            response);
      });
}

grpc::ServerUnaryReactor* AccountsService::UpsertEarmark(grpc::CallbackServerContext* context,
                                                         const v1::UpsertEarmarkRequest* request,
                                                         v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/UpsertEarmark", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = ValidateEarmark(request->earmark(), "earmark"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, "UpsertEarmark",
                     [request](v1::Account* a) { return ApplyEarmark(request->earmark(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordReview(grpc::CallbackServerContext* context,
                                                        const v1::RecordReviewRequest* request,
                                                        v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/RecordReview", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = ValidateReview(request->review(), "review"); !s.ok())
                   return s;
                 return MutateAccount(
                     ctx_, *request, "RecordReview",
                     [request](v1::Account* a) { return ApplyReview(request->review(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordAudit(grpc::CallbackServerContext* context,
                                                       const v1::RecordAuditRequest* request,
                                                       v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/RecordAudit", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = ValidateAudit(request->audit(), "audit"); !s.ok()) return s;
                 return MutateAccount(
                     ctx_, *request, "RecordAudit",
                     [request](v1::Account* a) { return ApplyAudit(request->audit(), a); },
                     response);
               });
}

grpc::ServerUnaryReactor* AccountsService::RecordRecovery(grpc::CallbackServerContext* context,
                                                          const v1::RecordRecoveryRequest* request,
                                                          v1::Account* response) {
  return Serve(ctx_, context, "/dpmon.v1.Accounts/RecordRecovery", request,
               [this, request, response](const Principal&) -> absl::Status {
                 if (absl::Status s = ValidateRecovery(request->recovery(), "recovery"); !s.ok()) {
                   return s;
                 }
                 return MutateAccount(
                     ctx_, *request, "RecordRecovery",
                     [request](v1::Account* a) { return ApplyRecovery(request->recovery(), a); },
                     response);
               });
}

// ---------------------------------------------------------------------------
// Ledger

absl::Status PrepareIngest(const v1::IngestBatchRequest& request, const Principal& caller,
                           std::string* council, std::vector<LedgerWrite>* writes,
                           v1::IngestBatchResponse* response, RequestKey* key) {
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return s;
  absl::StatusOr<std::string> c = ParseCouncilName(request.parent(), "parent");
  if (!c.ok()) return c.status();
  if (absl::Status s = Authorize(caller, *c); !s.ok()) return s;
  *council = *c;
  if (request.items_size() == 0) return InvalidField("items", "must hold at least one item");
  if (request.items_size() > limits::kIngestItemsMax) {
    return InvalidField("items", absl::StrFormat("holds %d items; the limit is %d",
                                                 request.items_size(), limits::kIngestItemsMax));
  }
  response->set_batch_id(request.batch_id());
  writes->reserve(request.items_size());
  for (int i = 0; i < request.items_size(); ++i) {
    const v1::LedgerItem& item = request.items(i);
    v1::ItemResult* result = response->add_results();
    result->set_index(i);
    LedgerWrite w;
    w.index = i;
    absl::Status s;
    if (item.has_transaction()) {
      s = ValidateTransactionInput(item.transaction(), absl::StrCat("items[", i, "].transaction"),
                                   &w.date);
      w.is_transaction = true;
      if (s.ok()) w.transaction = item.transaction();
    } else if (item.has_statement()) {
      s = ValidateStatementInput(item.statement(), absl::StrCat("items[", i, "].statement"),
                                 &w.date);
      w.is_transaction = false;
      if (s.ok()) w.statement = item.statement();
    } else {
      s = InvalidField(absl::StrCat("items[", i, "]"),
                       "holds neither a transaction nor a statement");
    }
    if (s.ok()) {
      const std::string& source = w.is_transaction ? w.transaction.source() : w.statement.source();
      if (!caller.HoldsSource(source)) {
        result->set_outcome(v1::DENIED);
        result->set_field(absl::StrCat("items[", i, "].",
                                       w.is_transaction ? "transaction" : "statement", ".source"));
        result->set_reason(absl::StrFormat("this key may not push source \"%s\"", source));
        continue;
      }
    }
    if (!s.ok()) {
      result->set_outcome(v1::INVALID);
      std::string field = FieldOf(s);
      absl::string_view reason = s.message();
      absl::ConsumePrefix(&reason, absl::StrCat(field, ": "));
      result->set_field(field);
      result->set_reason(std::string(reason));
      continue;
    }
    // Here, on the calling thread, rather than on the store's one writer.
    if (w.is_transaction) SerializeLedgerWrite(&w);
    writes->push_back(std::move(w));
  }
  *key = RequestKey{"IngestBatch", request.request_id(), {}};
  if (!request.request_id().empty()) {
    v1::IngestBatchRequest copy = request;
    copy.clear_request_id();
    copy.clear_batch_id();
    key->request_fingerprint = copy.SerializeAsString();
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LedgerService::IngestBatch(grpc::CallbackServerContext* context,
                                                     const v1::IngestBatchRequest* request,
                                                     v1::IngestBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  ctx_.executor->Submit([this, context, reactor, request, response, start] {
    absl::StatusOr<std::shared_ptr<const Principal>> identified = CallerOf(*ctx_.keys, *context);
    std::shared_ptr<const Principal> caller = identified.ok() ? *identified : nullptr;
    const Target target = TargetOf(*request);
    auto finish = [this, context, reactor, caller, target, start](const absl::Status& s) {
      LogCall(ctx_, *context, "/dpmon.v1.Ledger/IngestBatch", caller.get(), target, s, start);
      reactor->Finish(ToGrpc(s));
    };
    if (!identified.ok()) {
      finish(identified.status());
      return;
    }
    std::string council;
    std::vector<LedgerWrite> writes;
    v1::IngestBatchResponse prepared;
    RequestKey key;
    if (absl::Status s = PrepareIngest(*request, *caller, &council, &writes, &prepared, &key);
        !s.ok()) {
      finish(s);
      return;
    }
    ctx_.store->IngestAsync(council, std::move(writes), std::move(prepared), key,
                            [response, finish](absl::StatusOr<v1::IngestBatchResponse> r) {
                              if (r.ok()) *response = *std::move(r);
                              finish(r.status());
                            });
  });
  return reactor;
}

namespace {

// One ingest stream. Batches go to the store in the order they are read;
// acknowledgements come back in the same order (the writer is FIFO) and are
// written one at a time.
class IngestStream final
    : public grpc::ServerBidiReactor<v1::IngestBatchRequest, v1::IngestBatchResponse> {
 public:
  IngestStream(const ServiceContext& ctx, grpc::CallbackServerContext* context)
      : ctx_(ctx), context_(context), start_(absl::Now()) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    if (!error_.ok()) return;  // Finishing: read nothing more.
    std::string council;
    std::vector<LedgerWrite> writes;
    v1::IngestBatchResponse prepared;
    RequestKey key;
    // Checked on every batch: a key revoked or expired mid-stream stops it.
    absl::StatusOr<std::shared_ptr<const Principal>> caller = CallerOf(*ctx_.keys, *context_);
    if (caller_ == nullptr && caller.ok()) caller_ = *caller;
    if (target_.council.empty()) target_ = TargetOf(request_);
    absl::Status s = caller.ok()
                         ? PrepareIngest(request_, **caller, &council, &writes, &prepared, &key)
                         : caller.status();
    if (!s.ok()) {
      error_ = s;
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    ++in_store_;
    lock.unlock();
    ctx_.store->IngestAsync(
        council, std::move(writes), std::move(prepared), key,
        [this](absl::StatusOr<v1::IngestBatchResponse> r) { OnStored(std::move(r)); });
    lock.lock();
    if (in_store_ + static_cast<int>(to_write_.size()) < limits::kStreamBatchesInFlightMax) {
      StartRead(&request_);
    } else {
      read_paused_ = true;
    }
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    to_write_.pop_front();
    if (!ok) {
      error_ = absl::CancelledError("the client went away");
      reads_done_ = true;
    }
    WriteNextLocked();
    ResumeReadLocked();
    MaybeFinishLocked();
  }

  // Finish is only called once nothing is left in the store, so OnDone can
  // normally delete at once; the count guards the order of the two anyway.
  void OnDone() override {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      last = in_store_ == 0;
    }
    if (last) delete this;
  }

  void OnCancel() override {}

 private:
  void OnStored(absl::StatusOr<v1::IngestBatchResponse> r) {
    std::unique_lock<std::mutex> lock(mu_);
    --in_store_;
    if (done_) {
      if (in_store_ == 0) {
        lock.unlock();
        delete this;
      }
      return;
    }
    if (!r.ok()) {
      if (error_.ok()) error_ = r.status();
      reads_done_ = true;
    } else if (error_.ok()) {
      to_write_.push_back(*std::move(r));
      WriteNextLocked();
    }
    ResumeReadLocked();
    MaybeFinishLocked();
  }

  void WriteNextLocked() {
    if (writing_ || to_write_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&to_write_.front());
  }

  void ResumeReadLocked() {
    if (read_paused_ && !reads_done_ && error_.ok() &&
        in_store_ + static_cast<int>(to_write_.size()) < limits::kStreamBatchesInFlightMax) {
      read_paused_ = false;
      StartRead(&request_);
    }
  }

  void MaybeFinishLocked() {
    if (finished_ || !reads_done_ || in_store_ > 0 || writing_ || !to_write_.empty()) return;
    finished_ = true;
    LogCall(ctx_, *context_, "/dpmon.v1.Ledger/StreamIngest", caller_.get(), target_, error_,
            start_);
    Finish(ToGrpc(error_));
  }

  const ServiceContext& ctx_;
  grpc::CallbackServerContext* context_;
  const absl::Time start_;
  std::shared_ptr<const Principal> caller_;  // GUARDED_BY(mu_)
  Target target_;                            // GUARDED_BY(mu_): the first batch's council
  std::mutex mu_;
  v1::IngestBatchRequest request_;
  std::deque<v1::IngestBatchResponse> to_write_;  // GUARDED_BY(mu_)
  int in_store_ = 0;                              // GUARDED_BY(mu_)
  bool reads_done_ = false;                       // GUARDED_BY(mu_)
  bool read_paused_ = false;                      // GUARDED_BY(mu_)
  bool writing_ = false;                          // GUARDED_BY(mu_)
  bool finished_ = false;                         // GUARDED_BY(mu_)
  bool done_ = false;                             // GUARDED_BY(mu_)
  absl::Status error_;                            // GUARDED_BY(mu_)
};

}  // namespace

grpc::ServerBidiReactor<v1::IngestBatchRequest, v1::IngestBatchResponse>*
LedgerService::StreamIngest(grpc::CallbackServerContext* context) {
  return new IngestStream(ctx_, context);
}

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
      ctx_, context, "/dpmon.v1.Ledger/ListTransactions", request,
      [this, request, response](const Principal&) -> absl::Status {
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
        for (v1::Transaction& t : page->items) *response->add_transactions() = std::move(t);
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LedgerService::ListStatements(grpc::CallbackServerContext* context,
                                                        const v1::ListStatementsRequest* request,
                                                        v1::ListStatementsResponse* response) {
  return Serve(
      ctx_, context, "/dpmon.v1.Ledger/ListStatements", request,
      [this, request, response](const Principal&) -> absl::Status {
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
        for (v1::Statement& s : page->items) *response->add_statements() = std::move(s);
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LedgerService::ListSuspense(grpc::CallbackServerContext* context,
                                                      const v1::ListSuspenseRequest* request,
                                                      v1::ListSuspenseResponse* response) {
  return Serve(ctx_, context, "/dpmon.v1.Ledger/ListSuspense", request,
               [this, request, response](const Principal&) -> absl::Status {
                 absl::StatusOr<std::string> council =
                     ParseCouncilName(request->parent(), "parent");
                 if (!council.ok()) return council.status();
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 const std::string scope = absl::StrCat("suspense\n", request->parent());
                 absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
                 if (!after.ok()) return after.status();
                 if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;
                 absl::StatusOr<Page<v1::SuspenseItem>> page =
                     ctx_.store->ListSuspense(*council, *after, *size);
                 if (!page.ok()) return page.status();
                 for (v1::SuspenseItem& i : page->items) *response->add_items() = std::move(i);
                 response->set_next_page_token(EncodePageToken(scope, page->next_key));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* LedgerService::GetBalance(grpc::CallbackServerContext* context,
                                                    const v1::GetBalanceRequest* request,
                                                    v1::Balance* response) {
  return Serve(ctx_, context, "/dpmon.v1.Ledger/GetBalance", request,
               [this, request, response](const Principal&) -> absl::Status {
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
      ctx_, context, "/dpmon.v1.Ledger/GetCategoryTotals", request,
      [this, request, response](const Principal&) -> absl::Status {
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
  return Serve(ctx_, context, "/dpmon.v1.Ledger/RecategoriseTransaction", request,
               [this, request, response](const Principal&) -> absl::Status {
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
                     request->category(), change, KeyFor("RecategoriseTransaction", *request));
                 if (!t.ok()) return t.status();
                 *response = *std::move(t);
                 return absl::OkStatus();
               });
}

}  // namespace dpmon
