#include "server/monitoring_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/money.h"
#include "server/account_view.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

MonitoringService::MonitoringService(ServiceContext ctx, Evaluator* evaluator)
    : ctx_(std::move(ctx)), evaluator_(evaluator) {
  ReadUnary(this, &MonitoringService::EvaluateCouncil, "EvaluateCouncil");
  ReadUnary(this, &MonitoringService::ComputeFlagReport, "ComputeFlagReport");
  ReadUnary(this, &MonitoringService::ListFlags, "ListFlags");
  ReadUnary(this, &MonitoringService::CountFlags, "CountFlags");
  ReadUnary(this, &MonitoringService::AcknowledgeFlag, "AcknowledgeFlag");
  ReadUnary(this, &MonitoringService::ResolveFlag, "ResolveFlag");
  ReadUnary(this, &MonitoringService::GetAccountOverview, "GetAccountOverview");
}
namespace {

absl::Status CheckKind(v1::FlagKind kind, absl::string_view field) {
  if (kind == v1::FLAG_KIND_UNSPECIFIED || !v1::FlagKind_IsValid(kind)) {
    return InvalidField(field, "is required: a FlagKind such as SURPLUS or RESTRICTED_SPEND");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* MonitoringService::EvaluateCouncil(
    grpc::CallbackServerContext* context, const v1::EvaluateCouncilRequest* request,
    v1::EvaluateCouncilResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        absl::StatusOr<v1::EvaluateCouncilResponse> r =
            evaluator_->EvaluateCouncil(*council, *as_of);
        if (!r.ok()) return r.status();
        *response = *std::move(r);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* MonitoringService::ComputeFlagReport(
    grpc::CallbackServerContext* context, const v1::ComputeFlagReportRequest* request,
    v1::ComputeFlagReportResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<std::string> council =
                     ParseCouncilName(request->council(), "council");
                 if (!council.ok()) return council.status();
                 absl::StatusOr<Date> as_of = ParseDateField(request->as_of_date(), "as_of_date");
                 if (!as_of.ok()) return as_of.status();
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 const std::string scope =
                     absl::StrCat("report\n", request->council(), "\n", request->as_of_date());
                 absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
                 if (!after.ok()) return after.status();
                 absl::StatusOr<v1::Council> c = ctx_.store->GetCouncil(*council);
                 if (!c.ok()) return c.status();
                 absl::StatusOr<Page<v1::Account>> page = ctx_.store->ListAccounts(
                     *council, *after, *size, [](const v1::Account&) { return true; });
                 if (!page.ok()) return page.status();
                 std::vector<AccountResult> results;
                 if (absl::Status s =
                         evaluator_->Compute(*council, c->policy(), page->items, *as_of, &results);
                     !s.ok()) {
                   return s;
                 }
                 for (const AccountResult& r : results) {
                   for (const domain::RuleFlag& f : r.flags) {
                     *response->add_flags() = FlagToProto(*council, r.account_id, f);
                   }
                 }
                 response->set_next_page_token(EncodePageToken(scope, page->next_key));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* MonitoringService::ListFlags(grpc::CallbackServerContext* context,
                                                       const v1::ListFlagsRequest* request,
                                                       v1::ListFlagsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        Store::FlagQuery q;
        q.groups.clear();
        bool want[5] = {false, false, false, false, false};
        for (int i = 0; i < request->states_size(); ++i) {
          const v1::FlagState st = request->states(i);
          if (st == v1::FLAG_STATE_UNSPECIFIED || !v1::FlagState_IsValid(st)) {
            return InvalidField(absl::StrCat("states[", i, "]"),
                                "must be OPEN, ACKNOWLEDGED, RESOLVED or CLEARED");
          }
          want[st] = true;
          q.states.push_back(st);
        }
        if (q.states.empty()) {
          want[v1::OPEN] = want[v1::ACKNOWLEDGED] = true;
          q.states = {v1::OPEN, v1::ACKNOWLEDGED};
        }
        if (want[v1::OPEN] || want[v1::ACKNOWLEDGED]) q.groups += 'A';
        if (want[v1::RESOLVED]) q.groups += 'R';
        if (want[v1::CLEARED]) q.groups += 'X';
        if (request->kind() != v1::FLAG_KIND_UNSPECIFIED) {
          if (absl::Status s = CheckKind(request->kind(), "kind"); !s.ok()) return s;
          q.kind = request->kind();
        }
        if (!v1::Severity_IsValid(request->severity())) {
          return InvalidField("severity", "must be INFO, WARNING or CRITICAL");
        }
        q.severity = request->severity();
        if (!request->account().empty()) {
          absl::StatusOr<AccountRef> a = ParseAccountName(request->account(), "account");
          if (!a.ok()) return a.status();
          if (a->council != *council) {
            return InvalidField("account", "belongs to another council than `council`");
          }
          q.account_id = a->account;
        }
        v1::ListFlagsRequest scope_req = *request;
        scope_req.clear_page_token();
        scope_req.clear_page_size();
        const std::string scope = absl::StrCat("flags\n", scope_req.SerializeAsString());
        absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
        if (!after.ok()) return after.status();
        if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;
        absl::StatusOr<Page<v1::Flag>> page = ctx_.store->ListFlags(*council, q, *after, *size);
        if (!page.ok()) return page.status();
        for (v1::Flag& f : page->items) *response->add_flags() = std::move(f);
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* MonitoringService::CountFlags(grpc::CallbackServerContext* context,
                                                        const v1::CountFlagsRequest* request,
                                                        v1::CountFlagsResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        if (absl::Status s = ctx_.store->GetCouncil(*council).status(); !s.ok()) return s;
        absl::StatusOr<storage::FlagCountsRecord> counts = ctx_.store->CountFlags(*council);
        if (!counts.ok()) return counts.status();
        std::map<std::pair<int, int>, int64_t> sorted;
        for (const auto& [key, n] : counts->counts()) {
          const size_t slash = key.find('/');
          v1::FlagKind kind;
          v1::FlagState state = v1::FLAG_STATE_UNSPECIFIED;
          if (slash == std::string::npos || !v1::FlagKind_Parse(key.substr(0, slash), &kind) ||
              !v1::FlagState_Parse(key.substr(slash + 1), &state)) {
            return absl::DataLossError(absl::StrCat("unreadable flag count key \"", key, "\""));
          }
          sorted[{kind, state}] = n;
        }
        for (const auto& [ks, n] : sorted) {
          v1::FlagCount* c = response->add_counts();
          c->set_kind(static_cast<v1::FlagKind>(ks.first));
          c->set_severity(ToProto(domain::SeverityOf(ToDomain(c->kind()))));
          c->set_state(static_cast<v1::FlagState>(ks.second));
          c->set_count(n);
        }
        absl::StatusOr<storage::EvaluationRecord> eval = ctx_.store->GetCouncilEvaluation(*council);
        if (!eval.ok()) return eval.status();
        response->set_evaluated_as_of_date(eval->as_of());
        response->set_evaluated_at(eval->finished_at());
        return absl::OkStatus();
      });
}

absl::Status MonitoringService::ActOnFlag(const v1::ActOnFlagRequest& request, v1::FlagState state,
                                          absl::string_view method, v1::Flag* response) {
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return s;
  absl::StatusOr<AccountRef> a = ParseAccountName(request.account(), "account");
  if (!a.ok()) return a.status();
  if (absl::Status s = CheckKind(request.kind(), "kind"); !s.ok()) return s;
  if (request.subject().size() > limits::kTextBytesMax) {
    return InvalidField("subject", "is longer than 1024 bytes");
  }
  if (request.note().empty()) return InvalidField("note", "is required");
  if (absl::Status s = ValidateText(request.note()); !s.ok()) return AtField(s, "note");
  if (request.actor().empty()) return InvalidField("actor", "is required");
  if (absl::Status s = ValidateText(request.actor()); !s.ok()) return AtField(s, "actor");
  v1::FlagAction action;
  action.set_state(state);
  action.set_note(request.note());
  action.set_actor(request.actor());
  action.set_at(NowRfc3339());
  // The timestamp is the server's, so it is not part of what a retry repeats.
  absl::StatusOr<v1::Flag> f = ctx_.store->ActOnFlag(
      a->council, a->account, request.kind(), request.subject(), action, KeyFor(method, request));
  if (!f.ok()) return f.status();
  *response = *std::move(f);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MonitoringService::AcknowledgeFlag(grpc::CallbackServerContext* context,
                                                             const v1::ActOnFlagRequest* request,
                                                             v1::Flag* response) {
  return Serve(ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
               [this, request, response](const Call&) {
                 return ActOnFlag(*request, v1::ACKNOWLEDGED, "AcknowledgeFlag", response);
               });
}

grpc::ServerUnaryReactor* MonitoringService::ResolveFlag(grpc::CallbackServerContext* context,
                                                         const v1::ActOnFlagRequest* request,
                                                         v1::Flag* response) {
  return Serve(ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
               [this, request, response](const Call&) {
                 return ActOnFlag(*request, v1::RESOLVED, "ResolveFlag", response);
               });
}

grpc::ServerUnaryReactor* MonitoringService::GetAccountOverview(
    grpc::CallbackServerContext* context, const v1::GetAccountOverviewRequest* request,
    v1::AccountOverview* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Monitoring>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
        if (!name.ok()) return name.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        absl::StatusOr<v1::Council> council = ctx_.store->GetCouncil(name->council);
        if (!council.ok()) return council.status();
        absl::StatusOr<v1::Account> account = ctx_.store->GetAccount(name->council, name->account);
        if (!account.ok()) return account.status();
        const AccountView view(ctx_.store, council->policy());
        const domain::Policy& policy = view.policy();
        AccountAsOf a;
        if (absl::Status s =
                view.Read(ctx_.store->NewFactsReader().get(), name->council, *account, *as_of, &a);
            !s.ok()) {
          return s;
        }
        const domain::AccountModel& model = a.model;
        const domain::Window& w = a.window;
        const domain::LedgerFacts& facts = a.facts;
        std::vector<domain::RuleFlag> flags;
        if (absl::Status s = domain::EvaluateAccount(model, policy, *as_of, facts, &flags);
            !s.ok()) {
          return s;
        }
        if (absl::Status s = view.RecoveryProgress(name->council, name->account, model, *as_of,
                                                   account->mutable_recoveries());
            !s.ok()) {
          return s;
        }
        response->set_as_of_date(as_of->ToString());
        response->set_status(ToProto(model.StatusAt(*as_of)));
        account->set_status(response->status());
        response->set_balance_pence(facts.balance_pence);
        int64_t earmarked = 0;
        if (absl::Status s = domain::EarmarkedAt(model, *as_of, &earmarked); !s.ok()) return s;
        absl::StatusOr<int64_t> available = SubPence(facts.balance_pence, earmarked);
        if (!available.ok()) return available.status();
        response->set_earmarked_pence(earmarked);
        response->set_available_pence(*available);
        if (*as_of >= model.start_date) {
          response->set_window_start(w.start.ToString());
          int64_t planned = 0;
          if (absl::Status s = domain::PlannedOver(model, w.start, w.end, false, &planned);
              !s.ok()) {
            return s;
          }
          response->set_planned_pence(planned);
          int64_t spend = 0;
          if (absl::Status s = domain::SpendOf(facts.window, &spend); !s.ok()) return s;
          response->set_spend_pence(spend);
          // Every plan line, then the debit categories with spend and no line.
          std::vector<domain::Category> categories;
          if (const domain::AccountModel::PlanVersion* plan = model.PlanAt(*as_of)) {
            categories = plan->line_categories;
          }
          for (int slot = 0; slot < domain::kSlotCount; ++slot) {
            const domain::Category cat = domain::SlotCategory(slot);
            if (domain::SlotDirection(slot) != domain::DEBIT ||
                cat == domain::CATEGORY_UNSPECIFIED || facts.window.net_pence[slot] == 0) {
              continue;
            }
            if (std::find(categories.begin(), categories.end(), cat) == categories.end()) {
              categories.push_back(cat);
            }
          }
          for (domain::Category cat : categories) {
            v1::PlanLineActual* line = response->add_lines();
            line->set_category(ToProto(cat));
            int64_t line_planned = 0;
            if (absl::Status s = domain::PlannedLineOver(model, cat, w.start, w.end, &line_planned);
                !s.ok()) {
              return s;
            }
            line->set_planned_pence(line_planned);
            line->set_actual_pence(-facts.window.net_pence[domain::SlotOf(cat, domain::DEBIT)]);
          }
          response->set_next_review_due(domain::ReviewDue(model, policy, *as_of).ToString());
          if (std::optional<Date> due = domain::AuditDue(model, policy, *as_of)) {
            response->set_next_audit_due(due->ToString());
          }
        }
        if (std::optional<Date> feed = facts.LastFeedDate(*as_of))
          response->set_last_feed_date(feed->ToString());
        if (facts.last_statement) {
          v1::Statement* st = response->mutable_last_statement();
          st->set_account(request->account());
          st->mutable_input()->set_date(facts.last_statement->date.ToString());
          st->mutable_input()->set_closing_balance_pence(
              facts.last_statement->closing_balance_pence);
          response->set_last_statement_ledger_pence(facts.last_statement->ledger_balance_pence);
          response->set_last_statement_reconciles(facts.last_statement->closing_balance_pence ==
                                                  facts.last_statement->ledger_balance_pence);
        }
        // The flags as of the date, with their stored lifecycle where it exists.
        absl::StatusOr<std::vector<v1::Flag>> stored =
            ctx_.store->GetAccountFlags(name->council, name->account);
        if (!stored.ok()) return stored.status();
        for (const domain::RuleFlag& f : flags) {
          v1::Flag out = FlagToProto(name->council, name->account, f);
          for (const v1::Flag& s : *stored) {
            if (s.kind() != out.kind() || s.subject() != f.subject || s.state() == v1::CLEARED)
              continue;
            out.set_state(s.state());
            out.set_occurrence(s.occurrence());
            out.set_raised_on(s.raised_on());
            out.set_raised_at(s.raised_at());
            *out.mutable_actions() = s.actions();
          }
          *response->add_flags() = std::move(out);
        }
        *response->mutable_account() = *std::move(account);
        return absl::OkStatus();
      });
}

}  // namespace dpmon
