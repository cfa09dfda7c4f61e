#include "server/audit_service.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/money.h"
#include "domain/audit.h"
#include "server/account_view.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

AuditsService::AuditsService(ServiceContext ctx, DueIndex* due_index)
    : ctx_(std::move(ctx)), due_index_(due_index) {
  ReadUnary(this, &AuditsService::ListAuditsDue, "ListAuditsDue");
  ReadUnary(this, &AuditsService::ListAccountRisks, "ListAccountRisks");
  ReadUnary(this, &AuditsService::GetAuditPack, "GetAuditPack");
}
namespace {

struct Loaded {
  v1::Council council;
  v1::Account account;
  domain::AccountModel model;
};

absl::StatusOr<Loaded> Load(Store* store, const AccountRef& name) {
  Loaded l;
  absl::StatusOr<v1::Council> council = store->GetCouncil(name.council);
  if (!council.ok()) return council.status();
  l.council = *std::move(council);
  absl::StatusOr<v1::Account> account = store->GetAccount(name.council, name.account);
  if (!account.ok()) return account.status();
  l.account = *std::move(account);
  if (absl::Status s = AccountModelFromProto(l.account, &l.model); !s.ok()) return s;
  return l;
}

absl::StatusOr<int64_t> Net(const domain::Totals& t) {
  int64_t n = 0;
  if (absl::Status s = t.NetPence(&n); !s.ok()) return s;
  return n;
}

absl::Status Planned(const domain::AccountModel& m, Date from, Date to, bool contribution,
                     int64_t* out) {
  *out = 0;
  from = std::max(from, m.start_date);
  if (to < from) return absl::OkStatus();
  return domain::PlannedOver(m, from, to, contribution, out);
}

bool InPeriod(const std::string& date, Date from, Date to) {
  absl::StatusOr<Date> d = Date::Parse(date);
  return d.ok() && *d >= from && *d <= to;
}

absl::Status BuildAuditPack(Store* store, const AccountRef& name, Date from, Date to,
                            const Loaded& l, v1::AuditPack* pack) {
  const AccountView view(store, l.council.policy());
  const domain::Policy& policy = view.policy();
  const domain::AccountModel& m = l.model;
  pack->set_start_date(from.ToString());
  pack->set_end_date(to.ToString());
  pack->set_management(l.account.management());

  // Balances and the period's sums, from the aggregates.
  absl::StatusOr<domain::Totals> before =
      store->SumThrough(name.council, name.account, from.AddDays(-1));
  if (!before.ok()) return before.status();
  absl::StatusOr<domain::Totals> through = store->SumThrough(name.council, name.account, to);
  if (!through.ok()) return through.status();
  // The period's sums: through the end less through the day before.
  absl::StatusOr<domain::Totals> period = *through;
  if (absl::Status s = period->Subtract(*before); !s.ok()) return s;
  absl::StatusOr<int64_t> opening = Net(*before);
  if (!opening.ok()) return opening.status();
  absl::StatusOr<int64_t> closing = Net(*through);
  if (!closing.ok()) return closing.status();
  pack->set_opening_balance_pence(*opening);
  pack->set_closing_balance_pence(*closing);
  int64_t credits = 0, debits = 0;
  for (int slot = 0; slot < domain::kSlotCount; ++slot) {
    const int64_t net = period->net_pence[slot];
    if (net == 0 && period->count[slot] == 0) continue;
    absl::StatusOr<int64_t> sum = domain::SlotDirection(slot) == domain::CREDIT
                                      ? AddPence(credits, net)
                                      : AddPence(debits, net);
    if (!sum.ok()) return sum.status();
    (domain::SlotDirection(slot) == domain::CREDIT ? credits : debits) = *sum;
    v1::CategoryTotal* t = pack->add_totals();
    t->set_category(ToProto(domain::SlotCategory(slot)));
    t->set_direction(ToProto(domain::SlotDirection(slot)));
    t->set_net_pence(net);
    t->set_transaction_count(period->count[slot]);
  }
  std::sort(pack->mutable_totals()->begin(), pack->mutable_totals()->end(),
            [](const v1::CategoryTotal& a, const v1::CategoryTotal& b) {
              return std::make_tuple(a.category(), a.direction()) <
                     std::make_tuple(b.category(), b.direction());
            });
  pack->set_credits_pence(credits);
  pack->set_debits_pence(debits);
  pack->set_transaction_count(period->TransactionCount());

  // Planned against actual: every line of a version in force on some day of
  // the period, then debit categories with spend and no line.
  std::vector<domain::Category> categories;
  for (size_t i = 0; i < m.plan_versions.size(); ++i) {
    const domain::AccountModel::PlanVersion& v = m.plan_versions[i];
    const bool next_starts_by_from =
        i + 1 < m.plan_versions.size() && m.plan_versions[i + 1].effective_from <= from;
    if (v.effective_from > to || next_starts_by_from) continue;
    for (domain::Category c : v.line_categories) {
      if (std::find(categories.begin(), categories.end(), c) == categories.end()) {
        categories.push_back(c);
      }
    }
  }
  for (int slot = 0; slot < domain::kSlotCount; ++slot) {
    const domain::Category c = domain::SlotCategory(slot);
    if (domain::SlotDirection(slot) != domain::DEBIT || c == domain::CATEGORY_UNSPECIFIED ||
        period->net_pence[slot] == 0 ||
        std::find(categories.begin(), categories.end(), c) != categories.end()) {
      continue;
    }
    categories.push_back(c);
  }
  const Date plan_from = std::max(from, m.start_date);
  for (domain::Category c : categories) {
    v1::PlanLineActual* line = pack->add_lines();
    line->set_category(ToProto(c));
    int64_t planned = 0;
    if (to >= plan_from) {
      if (absl::Status s = domain::PlannedLineOver(m, c, plan_from, to, &planned); !s.ok()) {
        return s;
      }
    }
    line->set_planned_pence(planned);
    line->set_actual_pence(-period->net_pence[domain::SlotOf(c, domain::DEBIT)]);
  }
  int64_t planned = 0, expected = 0, spend = 0;
  if (absl::Status s = Planned(m, from, to, false, &planned); !s.ok()) return s;
  if (absl::Status s = Planned(m, from, to, true, &expected); !s.ok()) return s;
  if (absl::Status s = domain::SpendOf(*period, &spend); !s.ok()) return s;
  pack->set_planned_pence(planned);
  pack->set_spend_pence(spend);
  pack->set_contributions_expected_pence(expected);
  pack->set_contributions_received_pence(
      period->net_pence[domain::SlotOf(domain::CLIENT_CONTRIBUTION, domain::CREDIT)]);

  // Restricted and evidence-required transactions booked in the period: the
  // latest stored occurrence of each.
  absl::StatusOr<std::vector<v1::Flag>> flags = store->GetAccountFlags(name.council, name.account);
  if (!flags.ok()) return flags.status();
  std::map<std::pair<int, std::string>, v1::Flag> latest;
  for (const v1::Flag& f : *flags) {
    if (!domain::IsPerTransaction(ToDomain(f.kind())) || !InPeriod(f.date(), from, to)) continue;
    v1::Flag& slot = latest[{f.kind(), f.subject()}];
    if (f.occurrence() >= slot.occurrence()) slot = f;
  }
  std::vector<v1::Flag> flagged;
  for (auto& [k, f] : latest) flagged.push_back(std::move(f));
  std::sort(flagged.begin(), flagged.end(), [](const v1::Flag& a, const v1::Flag& b) {
    return std::make_tuple(a.date(), a.subject(), a.kind()) <
           std::make_tuple(b.date(), b.subject(), b.kind());
  });
  for (v1::Flag& f : flagged) *pack->add_flagged_transactions() = std::move(f);

  for (const v1::Earmark& e : l.account.earmarks()) {
    absl::StatusOr<Date> ef = Date::Parse(e.from());
    absl::StatusOr<Date> eu = Date::Parse(e.until());
    if (ef.ok() && eu.ok() && *ef <= to && *eu >= from) *pack->add_earmarks() = e;
  }
  for (const v1::Review& r : l.account.reviews()) {
    if (InPeriod(r.date(), from, to)) *pack->add_reviews() = r;
  }
  for (const v1::Audit& a : l.account.audits()) {
    if (InPeriod(a.date(), from, to)) *pack->add_audits() = a;
  }

  // Statements dated in the period, each against the ledger on its date.
  std::string after;
  do {
    absl::StatusOr<Page<v1::Statement>> page =
        store->ListStatements(name.council, name.account, from, to, after, 1000);
    if (!page.ok()) return page.status();
    for (const v1::Statement& st : page->items) {
      absl::StatusOr<Date> d = Date::Parse(st.input().date());
      if (!d.ok()) return absl::DataLossError("a stored statement has an unreadable date");
      absl::StatusOr<domain::Totals> at = store->SumThrough(name.council, name.account, *d);
      if (!at.ok()) return at.status();
      absl::StatusOr<int64_t> ledger = Net(*at);
      if (!ledger.ok()) return ledger.status();
      v1::StatementCheck* c = pack->add_statements();
      c->set_date(st.input().date());
      c->set_source(st.input().source());
      c->set_closing_balance_pence(st.input().closing_balance_pence());
      c->set_ledger_balance_pence(*ledger);
      c->set_reconciles(*ledger == st.input().closing_balance_pence());
    }
    after = page->next_key;
  } while (!after.empty());

  // Rule 3 on the last day, and the recoveries.
  int64_t earmarked = 0;
  if (absl::Status s = domain::EarmarkedAt(m, to, &earmarked); !s.ok()) return s;
  absl::StatusOr<int64_t> available = SubPence(*closing, earmarked);
  if (!available.ok()) return available.status();
  pack->set_earmarked_pence(earmarked);
  pack->set_available_pence(*available);
  const domain::AccountModel::PlanVersion* plan = m.PlanAt(to);
  const int64_t weekly = plan != nullptr ? plan->weekly_dp_pence : 0;
  absl::StatusOr<int64_t> threshold = MulPence(policy.surplus_threshold_weeks, weekly);
  if (!threshold.ok()) return threshold.status();
  absl::StatusOr<int64_t> retain = MulPence(policy.surplus_retain_weeks, weekly);
  if (!retain.ok()) return retain.status();
  pack->set_surplus_threshold_pence(*threshold);
  if (to >= m.start_date && plan != nullptr && *available > *threshold) {
    absl::StatusOr<int64_t> reclaim = SubPence(*available, *retain);
    if (!reclaim.ok()) return reclaim.status();
    pack->set_reclaimable_pence(*reclaim);
  }
  *pack->mutable_recoveries() = l.account.recoveries();
  if (absl::Status s =
          view.RecoveryProgress(name.council, name.account, m, to, pack->mutable_recoveries());
      !s.ok()) {
    return s;
  }
  *pack->mutable_risk() = RiskToProto(AccountView::RiskOf(m, *closing, *flags, to));
  *pack->mutable_account() = l.account;
  pack->mutable_account()->set_status(ToProto(m.StatusAt(to)));
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* AuditsService::ListAuditsDue(grpc::CallbackServerContext* context,
                                                       const v1::ListAuditsDueRequest* request,
                                                       v1::ListAuditsDueResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Audits>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        if (request->within_days() < 0 || request->within_days() > limits::kWithinDaysMax) {
          return InvalidField("within_days", absl::StrCat("must be 0..", limits::kWithinDaysMax));
        }
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        int within = request->within_days();
        if (within == 0) {
          absl::StatusOr<v1::Council> c = ctx_.store->GetCouncil(*council);
          if (!c.ok()) return c.status();
          within = c->policy().due_soon_days();
        }
        const std::string scope =
            absl::StrCat("due\n", *council, "\n", as_of->ToString(), "\n", within);
        absl::StatusOr<std::optional<DueKey>> after =
            DecodePosition<DueKey>(request->page_token(), scope, &ParseDueKey);
        if (!after.ok()) return after.status();
        std::optional<DueKey> next;
        if (absl::Status s = due_index_->ListDue(*council, *as_of, within, *after, *size,
                                                 response->mutable_entries(), &next);
            !s.ok()) {
          return s;
        }
        response->set_as_of_date(as_of->ToString());
        if (next) response->set_next_page_token(EncodePageToken(scope, DueKeyText(*next)));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AuditsService::ListAccountRisks(
    grpc::CallbackServerContext* context, const v1::ListAccountRisksRequest* request,
    v1::ListAccountRisksResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Audits>(__func__), request,
      [this, request, response](const Call&) -> absl::Status {
        absl::StatusOr<std::string> council = ParseCouncilName(request->council(), "council");
        if (!council.ok()) return council.status();
        absl::StatusOr<Date> as_of = AsOfOrToday(ctx_, request->as_of_date(), "as_of_date");
        if (!as_of.ok()) return as_of.status();
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        const std::string scope = absl::StrCat("risks\n", *council, "\n", as_of->ToString());
        absl::StatusOr<std::optional<RiskKey>> after =
            DecodePosition<RiskKey>(request->page_token(), scope, &ParseRiskKey);
        if (!after.ok()) return after.status();
        std::optional<RiskKey> next;
        if (absl::Status s = due_index_->ListRisks(*council, *as_of, *after, *size,
                                                   response->mutable_accounts(), &next);
            !s.ok()) {
          return s;
        }
        if (next) response->set_next_page_token(EncodePageToken(scope, RiskKeyText(*next)));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AuditsService::GetAuditPack(grpc::CallbackServerContext* context,
                                                      const v1::GetAuditPackRequest* request,
                                                      v1::AuditPack* response) {
  return Serve(ctx_, context, RpcOf<v1::Audits>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<AccountRef> name = ParseAccountName(request->account(), "account");
                 if (!name.ok()) return name.status();
                 absl::StatusOr<Date> from = ParseDateField(request->start_date(), "start_date");
                 if (!from.ok()) return from.status();
                 absl::StatusOr<Date> to = ParseDateField(request->end_date(), "end_date");
                 if (!to.ok()) return to.status();
                 if (*to < *from) return InvalidField("end_date", "is before start_date");
                 if (*to - *from > limits::kPackDaysMax) {
                   return InvalidField("end_date",
                                       absl::StrCat("is more than ", limits::kPackDaysMax,
                                                    " days after start_date"));
                 }
                 absl::StatusOr<Loaded> l = Load(ctx_.store, *name);
                 if (!l.ok()) return l.status();
                 return BuildAuditPack(ctx_.store, *name, *from, *to, *l, response);
               });
}

}  // namespace dpmon
