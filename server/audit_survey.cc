#include "server/audit_survey.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"
#include "server/account_view.h"
#include "storage/proto_domain.h"

namespace dpmon {
namespace {

// Accounts listed from the store at a time while building.
constexpr int kAccountsPage = 2000;

}  // namespace

std::string DueKeyText(const DueKey& k) {
  return absl::StrCat(k.due.ToString(), "\n", k.score, "\n", k.account_id, "\n", k.kind);
}

std::optional<DueKey> ParseDueKey(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '\n');
  if (parts.size() != 4) return std::nullopt;
  DueKey k;
  absl::StatusOr<Date> due = Date::Parse(parts[0]);
  if (!due.ok() || !absl::SimpleAtoi(parts[1], &k.score) || !absl::SimpleAtoi(parts[3], &k.kind)) {
    return std::nullopt;
  }
  k.due = *due;
  k.account_id = std::move(parts[2]);
  return k;
}

std::string RiskKeyText(const RiskKey& k) { return absl::StrCat(k.score, "\n", k.account_id); }

std::optional<RiskKey> ParseRiskKey(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '\n');
  RiskKey k;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &k.score)) return std::nullopt;
  k.account_id = std::move(parts[1]);
  return k;
}

void Survey::Remove(const std::string& account_id, const SurveyRow& row) {
  risks_.erase(RiskKey{row.risk.score, account_id});
  for (const domain::Due& d : row.due) {
    due_.erase(DueKey{d.due, row.risk.score, account_id, ToProto(d.kind)});
  }
}

void Survey::Put(const std::string& account_id, std::optional<SurveyRow> row) {
  auto it = rows_.find(account_id);
  if (it != rows_.end()) {
    Remove(account_id, it->second);
    if (!row) {
      rows_.erase(it);
      return;
    }
    it->second = *std::move(row);
  } else {
    if (!row) return;
    it = rows_.emplace(account_id, *std::move(row)).first;
  }
  const SurveyRow& r = it->second;
  risks_.insert(RiskKey{r.risk.score, account_id});
  for (const domain::Due& d : r.due) {
    due_.insert(DueKey{d.due, r.risk.score, account_id, ToProto(d.kind)});
  }
}

void Survey::PageDue(int within_days, const std::optional<DueKey>& after, int size,
                     google::protobuf::RepeatedPtrField<v1::DueEntry>* out,
                     std::optional<DueKey>* next) const {
  next->reset();
  const Date horizon = as_of_.AddDays(within_days);
  int given = 0;
  for (auto it = after ? due_.upper_bound(*after) : due_.begin();
       it != due_.end() && it->due <= horizon; ++it, ++given) {
    if (given == size) {
      *next = *std::prev(it);
      return;
    }
    const SurveyRow& row = rows_.at(it->account_id);
    const domain::Due* due = nullptr;
    for (const domain::Due& d : row.due) {
      if (ToProto(d.kind) == it->kind) due = &d;
    }
    v1::DueEntry* e = out->Add();
    e->set_account(AccountName(council_id_, it->account_id));
    e->set_kind(static_cast<v1::DueKind>(it->kind));
    e->set_due_date(it->due.ToString());
    e->set_days_overdue(as_of_ - it->due);
    *e->mutable_risk() = RiskToProto(row.risk);
    if (due != nullptr && due->period_start) e->set_period_start(due->period_start->ToString());
    if (due != nullptr && due->period_end) e->set_period_end(due->period_end->ToString());
  }
}

void Survey::PageRisks(const std::optional<RiskKey>& after, int size,
                       google::protobuf::RepeatedPtrField<v1::AccountRisk>* out,
                       std::optional<RiskKey>* next) const {
  next->reset();
  int given = 0;
  for (auto it = after ? risks_.upper_bound(*after) : risks_.begin(); it != risks_.end();
       ++it, ++given) {
    if (given == size) {
      *next = *std::prev(it);
      return;
    }
    const SurveyRow& row = rows_.at(it->account_id);
    v1::AccountRisk* r = out->Add();
    r->set_account(AccountName(council_id_, it->account_id));
    *r->mutable_risk() = RiskToProto(row.risk);
    r->set_management(row.management);
    r->set_balance_pence(row.balance_pence);
    if (row.last_audit_period_end) {
      r->set_last_audit_period_end(row.last_audit_period_end->ToString());
    }
  }
}

absl::Status ComputeSurveyRows(Store* store, const std::string& council_id,
                               const v1::Policy& policy, const std::vector<v1::Account>& accounts,
                               Date as_of, int threads, std::vector<SurveyRow>* rows) {
  rows->assign(accounts.size(), SurveyRow());
  const AccountView view(store, policy);
  std::atomic<size_t> next{0};
  threads = std::max(1, std::min<int>(threads, static_cast<int>(accounts.size())));
  std::vector<absl::Status> errors(static_cast<size_t>(threads));
  auto work = [&](int worker) {
    std::unique_ptr<Store::FactsReader> reader = store->NewFactsReader();
    std::vector<v1::Flag> flags;
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= accounts.size()) return;
      AccountAsOf a;
      absl::Status s = view.ReadBalance(reader.get(), council_id, accounts[i], as_of, &a);
      flags.clear();
      if (s.ok()) s = reader->ReadFlags(council_id, a.account_id, &flags);
      if (!s.ok()) {
        errors[static_cast<size_t>(worker)] = s;
        next.store(accounts.size());
        return;
      }
      SurveyRow& row = (*rows)[i];
      row.risk = AccountView::RiskOf(a.model, a.facts.balance_pence, flags, as_of);
      row.management = accounts[i].management();
      row.balance_pence = a.facts.balance_pence;
      row.last_audit_period_end = a.model.LastAuditPeriodEnd(as_of);
      row.due = domain::DueBy(a.model, view.policy(), as_of, limits::kWithinDaysMax);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Survey>> BuildSurvey(Store* store, const std::string& council_id,
                                                    const v1::Policy& policy, Date as_of,
                                                    int threads) {
  auto survey = std::make_unique<Survey>(council_id, as_of);
  std::string after;
  std::vector<SurveyRow> rows;
  for (;;) {
    absl::StatusOr<Page<v1::Account>> page = store->ListAccounts(
        council_id, after, kAccountsPage, [](const v1::Account&) { return true; });
    if (!page.ok()) return page.status();
    if (absl::Status s =
            ComputeSurveyRows(store, council_id, policy, page->items, as_of, threads, &rows);
        !s.ok()) {
      return s;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      survey->Put(LastNameSegment(page->items[i].name()), std::move(rows[i]));
    }
    after = page->next_key;
    if (after.empty()) break;
  }
  return survey;
}

}  // namespace dpmon
