#include "server/evaluator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/version.h"
#include "server/account_view.h"
#include "server/clock.h"
#include "server/server_log.h"

namespace dpmon {
namespace {

// Accounts read, evaluated and stored together.
constexpr int kPageAccounts = 2000;
// Accounts a worker takes at a time.
constexpr size_t kRunAccounts = 50;

}  // namespace

Evaluator::Evaluator(Store* store, int threads) : store_(store), threads_(std::max(1, threads)) {
  Recall();
}

Evaluator::~Evaluator() { Stop(); }

void Evaluator::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (background_.joinable()) background_.join();
}

void Evaluator::StopAndKeep() {
  Stop();
  const std::string build = BuildId();
  if (build.empty()) return;  // another program could not tell it is not its own
  absl::MutexLock storing_lock(&storing_mu_);
  // Read first: a write after it voids what is kept (the store checks).
  const uint64_t clock = store_->WriteClock();
  storage::EvaluatorMemory memory;
  memory.set_build_id(build);
  {
    absl::ReaderMutexLock lock(&standing_mu_);
    for (const auto& [council_id, c] : standing_) {
      storage::CouncilStanding* out = memory.add_councils();
      out->set_council_id(council_id);
      out->set_policy(c.policy);
      for (const auto& [account, st] : c.accounts) {
        if (store_->AccountWrittenAt(council_id, account) > st.read_at) continue;  // no longer
        out->add_account_ids(account);
        out->add_as_of(st.as_of.days());
        out->add_until(st.until.days());
      }
    }
  }
  store_->KeepEvaluatorMemory(memory.SerializeAsString(), clock);
}

void Evaluator::Recall() {
  std::optional<std::string> bytes = store_->TakeEvaluatorMemory();
  storage::EvaluatorMemory memory;
  // Another program's rules may answer otherwise.
  if (!bytes || !memory.ParseFromString(*bytes) || memory.build_id().empty() ||
      memory.build_id() != BuildId()) {
    return;
  }
  absl::MutexLock lock(&standing_mu_);
  for (const storage::CouncilStanding& in : memory.councils()) {
    const int n = in.account_ids_size();
    if (in.as_of_size() != n || in.until_size() != n) continue;
    CouncilStanding& c = standing_[in.council_id()];
    c.policy = in.policy();
    for (int i = 0; i < n; ++i) {
      // read_at 0: a write to the account since the store opened voids it.
      c.accounts[in.account_ids(i)] =
          Standing{Date::FromDays(in.as_of(i)), Date::FromDays(in.until(i)), 0};
    }
    recalled_ += n;
  }
}

absl::Status Evaluator::Compute(const std::string& council_id, const v1::Policy& policy,
                                const std::vector<v1::Account>& accounts, Date as_of,
                                std::vector<AccountResult>* out) {
  return ComputeEach(council_id, policy, accounts, as_of, out, nullptr);
}

absl::Status Evaluator::ComputeEach(
    const std::string& council_id, const v1::Policy& policy,
    const std::vector<v1::Account>& accounts, Date as_of, std::vector<AccountResult>* out,
    const std::function<absl::Status(AccountResult&, const std::vector<v1::Flag>& stored)>& each,
    const std::function<bool(const std::string& account_id)>& skip) {
  out->assign(accounts.size(), AccountResult());
  const AccountView view(store_, policy);
  std::atomic<size_t> next{0};
  std::vector<absl::Status> errors(threads_);
  auto work = [&](int worker) {
    std::unique_ptr<Store::FactsReader> reader = store_->NewFactsReader();
    std::vector<v1::Flag> stored;  // reused from account to account
    // Runs of neighbouring accounts, so that each worker's iterators move
    // to the next account's rows, which are mostly in the block they are on.
    size_t i = 0, run_end = 0;
    for (;; ++i) {
      if (i == run_end) {
        i = next.fetch_add(kRunAccounts);
        run_end = std::min(i + kRunAccounts, accounts.size());
      }
      if (i >= accounts.size()) return;
      AccountResult& r = (*out)[i];
      if (skip) {
        r.account_id = std::string(LastNameSegment(accounts[i].name()));
        if (skip(r.account_id)) {
          r.unchanged = true;
          continue;
        }
      }
      AccountAsOf a;
      absl::Status s = view.Read(reader.get(), council_id, accounts[i], as_of, &a);
      r.account_id = a.account_id;
      if (s.ok() && as_of >= a.model.start_date) s = view.Flags(a, accounts[i], &r.flags);
      if (s.ok() && each) r.stands_until = view.FlagsStandUntil(a, accounts[i]);
      if (s.ok() && each) s = reader->ReadFlags(council_id, r.account_id, &stored);
      if (s.ok() && each) s = each(r, stored);
      if (!s.ok()) {
        errors[worker] = absl::Status(
            s.code(), absl::StrCat("evaluating account ", r.account_id, ": ", s.message()));
        next.store(accounts.size());
        return;
      }
    }
  };
  const int n = static_cast<int>(std::min<size_t>(threads_, accounts.size()));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work, t);
  if (n > 0) work(0);
  for (std::thread& t : pool) t.join();
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  return absl::OkStatus();
}

absl::StatusOr<Evaluator::Found> Evaluator::Changes(const std::string& council_id,
                                                    const v1::Policy& policy,
                                                    const std::vector<v1::Account>& accounts,
                                                    Date as_of, const std::string& policy_bytes) {
  std::vector<AccountResult> results;
  // Each thread works out whether its accounts' flags change, so that only
  // those are gathered and handed to the store (most do not, day to day):
  // told from the rules' flags as they are, and only an account whose flags
  // change has them made into v1::Flags.
  auto plan = [&](AccountResult& r, const std::vector<v1::Flag>& stored) -> absl::Status {
    absl::StatusOr<bool> changes = Store::FlagsChange(stored, r.flags);
    if (!changes.ok()) return changes.status();
    if (!*changes) return absl::OkStatus();
    Store::AccountEvaluation e;
    e.account_id = r.account_id;
    for (const domain::RuleFlag& f : r.flags) {
      e.flags.push_back(FlagToProto(council_id, r.account_id, f));
    }
    e.changes = true;
    r.to_store = std::move(e);
    return absl::OkStatus();
  };
  // An account whose last stored evaluation still stands is not read.
  auto skip = [&](const std::string& account_id) {
    return Stands(council_id, policy_bytes, account_id, as_of);
  };
  if (absl::Status s = ComputeEach(council_id, policy, accounts, as_of, &results, plan, skip);
      !s.ok()) {
    return s;
  }
  Found found;
  for (AccountResult& r : results) {
    if (r.unchanged) ++found.unchanged;
    if (r.stands_until) found.stand.emplace_back(r.account_id, *r.stands_until);
    if (r.to_store) found.changed.push_back(*std::move(r.to_store));
  }
  return found;
}

bool Evaluator::Stands(const std::string& council_id, const std::string& policy,
                       const std::string& account, Date as_of) {
  uint64_t read_at = 0;
  {
    absl::ReaderMutexLock lock(&standing_mu_);
    auto c = standing_.find(council_id);
    if (c == standing_.end() || c->second.policy != policy) return false;
    auto a = c->second.accounts.find(account);
    if (a == c->second.accounts.end()) return false;
    const Standing& st = a->second;
    if (as_of < st.as_of || !(as_of < st.until)) return false;
    read_at = st.read_at;
  }
  return store_->AccountWrittenAt(council_id, account) <= read_at;
}

void Evaluator::Record(const std::string& council_id, const std::string& policy, Date as_of,
                       uint64_t read_at, const std::vector<std::pair<std::string, Date>>& stand) {
  absl::MutexLock lock(&standing_mu_);
  CouncilStanding& c = standing_[council_id];
  if (c.policy != policy) {  // what was found under another policy no longer holds
    c.policy = policy;
    c.accounts.clear();
  }
  for (const auto& [account, until] : stand) {
    c.accounts[account] = Standing{as_of, until, read_at};
  }
}

absl::StatusOr<Store::EvaluationCounts> Evaluator::EvaluateAndStore(
    const std::string& council_id, const v1::Policy& policy,
    const std::vector<v1::Account>& accounts, Date as_of, const std::string& now,
    uint64_t read_at) {
  const std::string policy_bytes = policy.SerializeAsString();
  absl::StatusOr<Found> found = Changes(council_id, policy, accounts, as_of, policy_bytes);
  if (!found.ok()) return found.status();
  // The store reads the flags of these again on its writer and plans from
  // what it sees, so a change made since the read above is never lost.
  absl::StatusOr<Store::EvaluationCounts> counts =
      store_->ApplyEvaluation(council_id, as_of, now, std::move(found->changed));
  if (counts.ok()) Record(council_id, policy_bytes, as_of, read_at, found->stand);
  return counts;
}

absl::StatusOr<v1::EvaluateCouncilResponse> Evaluator::EvaluateCouncil(
    const std::string& council_id, Date as_of) {
  absl::MutexLock storing_lock(&storing_mu_);
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<v1::Council> council = store_->GetCouncil(council_id);
  if (!council.ok()) return council.status();
  const std::string policy_bytes = council->policy().SerializeAsString();
  const std::string now = NowRfc3339();
  v1::EvaluateCouncilResponse response;
  response.set_as_of_date(as_of.ToString());
  // A page of accounts, and the store's write clock before it was read.
  struct Listed {
    uint64_t read_at = 0;
    absl::StatusOr<Page<v1::Account>> page;
  };
  auto list = [this, &council_id](std::string after) {
    Listed l;
    l.read_at = store_->WriteClock();
    l.page = store_->ListAccounts(council_id, after, kPageAccounts,
                                  [](const v1::Account&) { return true; });
    return l;
  };
  auto add = [&response](absl::StatusOr<Store::EvaluationCounts> counts) -> absl::Status {
    if (!counts.ok()) return counts.status();
    response.set_raised(response.raised() + counts->raised);
    response.set_cleared(response.cleared() + counts->cleared);
    response.set_updated(response.updated() + counts->updated);
    return absl::OkStatus();
  };
  // Declared after what it refers to: destroyed (waited for) first.
  std::future<absl::StatusOr<Store::EvaluationCounts>> storing;
  Listed listed = list("");
  for (;;) {
    if (!listed.page.ok()) return listed.page.status();
    const Page<v1::Account>& page = *listed.page;
    // Read the next page while this one is evaluated.
    std::future<Listed> next;
    if (!page.next_key.empty()) next = std::async(std::launch::async, list, page.next_key);
    absl::StatusOr<Found> found =
        Changes(council_id, council->policy(), page.items, as_of, policy_bytes);
    // The page before is stored while this one was evaluated; this one is
    // stored while the next is.
    absl::Status stored = found.status();
    if (storing.valid()) {
      absl::Status s = add(storing.get());
      if (stored.ok()) stored = s;
    }
    if (!stored.ok()) {
      if (next.valid()) next.wait();
      return stored;
    }
    response.set_unchanged(response.unchanged() + found->unchanged);
    // Once stored, what each account's flags were found to stand until is
    // recorded with the write clock read before the page was.
    storing =
        std::async(std::launch::async, [this, &council_id, &policy_bytes, as_of, &now,
                                        read_at = listed.read_at, f = *std::move(found)]() mutable {
          absl::StatusOr<Store::EvaluationCounts> counts =
              store_->ApplyEvaluation(council_id, as_of, now, std::move(f.changed));
          if (counts.ok()) Record(council_id, policy_bytes, as_of, read_at, f.stand);
          return counts;
        });
    response.set_accounts(response.accounts() + static_cast<int64_t>(page.items.size()));
    if (!next.valid()) break;
    listed = next.get();
    if (Stopping()) {
      return absl::CancelledError(absl::StrCat("evaluation of council ", council_id,
                                               " stopped: the server is shutting down"));
    }
  }
  if (storing.valid()) {
    if (absl::Status s = add(storing.get()); !s.ok()) return s;
  }
  response.set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count());
  storage::EvaluationRecord record;
  record.set_as_of(response.as_of_date());
  record.set_finished_at(NowRfc3339());
  record.set_accounts(response.accounts());
  record.set_raised(response.raised());
  record.set_cleared(response.cleared());
  record.set_duration_ms(response.duration_ms());
  if (absl::Status s = store_->RecordCouncilEvaluation(council_id, record); !s.ok()) return s;
  return response;
}

absl::Status Evaluator::EvaluateAccounts(const std::string& council_id,
                                         const std::vector<std::string>& account_ids, Date as_of) {
  absl::MutexLock storing_lock(&storing_mu_);
  const uint64_t read_at = store_->WriteClock();
  absl::StatusOr<v1::Council> council = store_->GetCouncil(council_id);
  if (!council.ok()) return council.status();
  std::vector<v1::Account> accounts;
  for (const std::string& id : account_ids) {
    absl::StatusOr<v1::Account> a = store_->GetAccount(council_id, id);
    if (absl::IsNotFound(a.status())) continue;
    if (!a.ok()) return a.status();
    accounts.push_back(*std::move(a));
  }
  return EvaluateAndStore(council_id, council->policy(), accounts, as_of, NowRfc3339(), read_at)
      .status();
}

bool Evaluator::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void Evaluator::MarkChanged(const std::string& council_id,
                            const std::vector<std::string>& account_ids) {
  absl::MutexLock lock(&mu_);
  std::set<std::string>& set = dirty_[council_id];
  set.insert(account_ids.begin(), account_ids.end());
  cv_.SignalAll();
}

void Evaluator::WaitIdle() {
  absl::MutexLock lock(&mu_);
  while (!stopping_ && (!dirty_.empty() || busy_)) cv_.Wait(&mu_);
}

void Evaluator::StartBackground(int daily_minute, int dirty_delay_ms,
                                std::function<void(const std::string&)> after_daily) {
  background_ = std::thread([this, daily_minute, dirty_delay_ms, after_daily] {
    BackgroundLoop(daily_minute, dirty_delay_ms, after_daily);
  });
}

void Evaluator::BackgroundLoop(int daily_minute, int dirty_delay_ms,
                               const std::function<void(const std::string&)>& after_daily) {
  // The day whose scheduled run is done; a server started after the daily
  // time runs it at once.
  Date done_day;
  bool done_any = false;
  bool first = true;
  for (;;) {
    std::map<std::string, std::set<std::string>> batch;
    bool daily = false;
    // At start, when the daily run is not due now, after_daily is still
    // called for each council (today's indexes built before anyone asks).
    const bool starting = first;
    {
      absl::MutexLock lock(&mu_);
      // Wake for changes, or each 20 s for the daily schedule; then let
      // changes gather for a moment so that a stream's batches share a run.
      if (!first) {
        const absl::Time deadline = absl::Now() + absl::Seconds(20);
        while (!stopping_ && dirty_.empty() && !cv_.WaitWithDeadline(&mu_, deadline)) {
        }
      }
      first = false;
      if (!dirty_.empty()) {
        const absl::Time deadline = absl::Now() + absl::Milliseconds(dirty_delay_ms);
        while (!stopping_ && !cv_.WaitWithDeadline(&mu_, deadline)) {
        }
      }
      if (stopping_) return;
      const Date today = TodayInLondon();
      if (daily_minute >= 0 && MinuteOfDayInLondon() >= daily_minute &&
          (!done_any || done_day != today)) {
        daily = true;
        done_day = today;
        done_any = true;
      }
      batch.swap(dirty_);
      busy_ = !batch.empty() || daily;
    }
    const Date today = TodayInLondon();
    for (const auto& [council, ids] : batch) {
      absl::Status s =
          EvaluateAccounts(council, std::vector<std::string>(ids.begin(), ids.end()), today);
      if (!s.ok()) {
        LogEvent("error", absl::StrCat("re-evaluating ", ids.size(), " accounts of council ",
                                       council, " failed: ", s.ToString()));
      }
    }
    if (daily || (starting && after_daily)) {
      std::string after;
      for (;;) {
        absl::StatusOr<Page<v1::Council>> councils = store_->ListCouncils(after, 100);
        if (!councils.ok()) {
          LogEvent("error", absl::StrCat(daily ? "daily evaluation: " : "listing councils: ",
                                         councils.status().ToString()));
          break;
        }
        for (const v1::Council& c : councils->items) {
          if (Stopping()) break;
          const std::string id = LastNameSegment(c.name());
          if (!daily) {
            after_daily(id);
            continue;
          }
          // Already evaluated today (a restart later in the day): nothing to do.
          absl::StatusOr<storage::EvaluationRecord> last = store_->GetCouncilEvaluation(id);
          if (last.ok() && last->as_of() == today.ToString()) {
            if (after_daily) after_daily(id);
            continue;
          }
          absl::StatusOr<v1::EvaluateCouncilResponse> r = EvaluateCouncil(id, today);
          if (r.ok()) {
            LogEvent("info", absl::StrCat("daily evaluation of ", id, " as of ", today.ToString(),
                                          ": ", r->accounts(), " accounts (", r->unchanged(),
                                          " unchanged, not read), ", r->raised(), " raised, ",
                                          r->cleared(), " cleared, ", r->duration_ms(), " ms"));
          } else {
            LogEvent("error",
                     absl::StrCat("daily evaluation of ", id, " failed: ", r.status().ToString()));
          }
          if (after_daily) after_daily(id);
        }
        if (councils->next_key.empty()) break;
        after = councils->next_key;
      }
    }
    absl::MutexLock lock(&mu_);
    busy_ = false;
    cv_.SignalAll();
  }
}

}  // namespace dpmon
