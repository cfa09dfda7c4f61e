#include "server/audit_survey.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/money.h"
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

std::string RecoveryKeyText(const RecoveryKey& k) {
  return absl::StrCat(k.in_progress ? "p" : "c", "\n", k.date.ToString(), "\n", k.account_id, "\n",
                      k.id);
}

std::optional<RecoveryKey> ParseRecoveryKey(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '\n');
  if (parts.size() != 4 || (parts[0] != "p" && parts[0] != "c")) return std::nullopt;
  absl::StatusOr<Date> date = Date::Parse(parts[1]);
  if (!date.ok()) return std::nullopt;
  return RecoveryKey{parts[0] == "p", *date, std::move(parts[2]), std::move(parts[3])};
}

namespace {

RecoveryKey KeyOf(const std::string& account_id, const v1::Recovery& r) {
  absl::StatusOr<Date> date = Date::Parse(r.date());
  return RecoveryKey{r.state() == v1::IN_PROGRESS, date.ok() ? *date : Date(), account_id, r.id()};
}

}  // namespace

void RecoveryBook::Insert(const std::string& account_id,
                          const std::vector<v1::Recovery>& recoveries) {
  for (const v1::Recovery& r : recoveries) entries_.insert_or_assign(KeyOf(account_id, r), r);
}

void RecoveryBook::Erase(const std::string& account_id,
                         const std::vector<v1::Recovery>& recoveries) {
  for (const v1::Recovery& r : recoveries) entries_.erase(KeyOf(account_id, r));
}

absl::Status RecoveryBook::Page(v1::RecoveryState state, const std::optional<RecoveryKey>& after,
                                int size, v1::ListRecoveriesResponse* out,
                                std::optional<RecoveryKey>* next) const {
  next->reset();
  size = std::max(size, 1);
  int64_t outstanding = 0, recovered = 0;
  int given = 0;
  bool more = false;
  const RecoveryKey* last = nullptr;
  for (const auto& [key, r] : entries_) {
    if (state != v1::RECOVERY_STATE_UNSPECIFIED && r.state() != state) continue;
    absl::StatusOr<int64_t> back = AddPence(recovered, r.recovered_pence());
    if (!back.ok()) return back.status();
    recovered = *back;
    if (key.in_progress) {
      absl::StatusOr<int64_t> left = SubPence(r.amount_pence(), r.recovered_pence());
      if (!left.ok()) return left.status();
      absl::StatusOr<int64_t> sum = AddPence(outstanding, *left);
      if (!sum.ok()) return sum.status();
      outstanding = *sum;
    }
    if (after && !(*after < key)) continue;
    if (given == size) {
      more = true;
      continue;
    }
    ++given;
    last = &key;
    v1::AccountRecovery* e = out->add_recoveries();
    e->set_account(AccountName(council_id_, key.account_id));
    *e->mutable_recovery() = r;
  }
  if (more) *next = *last;
  out->set_in_progress_pence(outstanding);
  out->set_recovered_pence(recovered);
  return absl::OkStatus();
}

void Survey::Remove(const std::string& account_id, const SurveyRow& row) {
  recoveries_.Erase(account_id, row.recoveries);
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
  recoveries_.Insert(account_id, r.recoveries);
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
      if (!accounts[i].recoveries().empty()) {
        if (s = view.RecoveriesInForce(council_id, accounts[i], a.model, as_of, &row.recoveries);
            !s.ok()) {
          errors[static_cast<size_t>(worker)] = s;
          next.store(accounts.size());
          return;
        }
      }
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

absl::StatusOr<std::unique_ptr<RecoveryBook>> BuildRecoveryBook(Store* store,
                                                                const std::string& council_id,
                                                                const v1::Policy& policy,
                                                                Date as_of) {
  auto book = std::make_unique<RecoveryBook>(council_id);
  const AccountView view(store, policy);
  std::vector<v1::Recovery> in_force;
  std::string after;
  do {
    absl::StatusOr<Page<Store::IndexHit>> hits =
        store->FindAccounts(council_id, Store::IndexKind::kRecoveries, "", false, after, 1000);
    if (!hits.ok()) return hits.status();
    std::vector<std::string> ids;
    ids.reserve(hits->items.size());
    for (const Store::IndexHit& h : hits->items) ids.push_back(h.account_id);
    absl::StatusOr<std::vector<v1::Account>> accounts = store->GetAccounts(council_id, ids);
    if (!accounts.ok()) return accounts.status();
    for (const v1::Account& a : *accounts) {
      domain::AccountModel model;
      if (absl::Status s = AccountModelFromProto(a, &model); !s.ok()) return s;
      if (absl::Status s = view.RecoveriesInForce(council_id, a, model, as_of, &in_force);
          !s.ok()) {
        return s;
      }
      book->Insert(LastNameSegment(a.name()), in_force);
    }
    after = hits->next_key;
  } while (!after.empty());
  return book;
}

}  // namespace dpmon
