#include "server/due_index.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"

namespace dpmon {
namespace {

// A past date's survey answers the later pages of its listing for this long.
constexpr absl::Duration kPastSurveyTtl = absl::Seconds(60);

}  // namespace

DueIndex::DueIndex(Store* store, std::function<Date()> today, int threads)
    : store_(store), today_(std::move(today)), threads_(std::max(1, threads)) {}

void DueIndex::OnWritten(const WrittenKeys& written) {
  absl::MutexLock lock(&mu_);
  for (const std::string& council : written.councils) {
    today_surveys_.erase(council);
    for (auto it = past_.begin(); it != past_.end();) {
      it = it->first.first == council ? past_.erase(it) : std::next(it);
    }
  }
  for (const auto* list : {&written.accounts, &written.flag_accounts}) {
    for (const auto& [council, account] : *list) {
      auto it = today_surveys_.find(council);
      if (it != today_surveys_.end()) it->second.dirty[account] = ++generation_;
    }
  }
}

absl::Mutex* DueIndex::BuildLock(const std::string& council_id) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<absl::Mutex>& m = build_locks_[council_id];
  if (m == nullptr) m = std::make_unique<absl::Mutex>();
  return m.get();
}

absl::Status DueIndex::Refresh(const std::string& council_id, Date today) {
  absl::MutexLock build_lock(BuildLock(council_id));
  // The entry's generation when created: a council change that drops it
  // while it is built or brought up to date is noticed on install.
  uint64_t epoch = 0;
  bool build = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = today_surveys_.find(council_id);
    if (it == today_surveys_.end() || it->second.date != today) {
      // Writes from here on mark their accounts; the build below reads
      // after this, so nothing between is missed.
      Today& t = today_surveys_[council_id];
      t = Today();
      t.date = today;
      t.epoch = ++generation_;
      build = true;
    } else if (it->second.survey == nullptr) {
      build = true;  // A build before this one failed.
    }
    epoch = today_surveys_[council_id].epoch;
  }
  auto current = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> Today* {
    auto it = today_surveys_.find(council_id);
    return it != today_surveys_.end() && it->second.epoch == epoch ? &it->second : nullptr;
  };
  if (build) {
    absl::StatusOr<v1::Council> council = store_->GetCouncil(council_id);
    if (!council.ok()) return council.status();
    absl::StatusOr<std::unique_ptr<Survey>> built =
        BuildSurvey(store_, council_id, council->policy(), today, threads_);
    if (!built.ok()) return built.status();
    absl::MutexLock lock(&mu_);
    ++stats_.builds;
    Today* t = current();
    if (t == nullptr) return absl::AbortedError("the council changed while it was surveyed");
    t->policy = council->policy();
    t->survey = *std::move(built);
  }
  // Recompute the rows of the accounts changed since.
  std::vector<std::pair<std::string, uint64_t>> dirty;
  v1::Policy policy;
  {
    absl::MutexLock lock(&mu_);
    Today* t = current();
    if (t == nullptr) return absl::AbortedError("the council changed while it was surveyed");
    dirty.assign(t->dirty.begin(), t->dirty.end());
    policy = t->policy;
  }
  if (dirty.empty()) return absl::OkStatus();
  // One snapshot read of every changed account; one no longer there leaves.
  std::vector<std::string> ids;
  for (const auto& [id, unused] : dirty) ids.push_back(id);
  absl::StatusOr<std::vector<v1::Account>> accounts = store_->GetAccounts(council_id, ids);
  if (!accounts.ok()) return accounts.status();
  std::vector<std::string> found;  // (*accounts)[i]'s id
  for (const v1::Account& a : *accounts) found.push_back(LastNameSegment(a.name()));
  std::vector<SurveyRow> rows;
  if (absl::Status s =
          ComputeSurveyRows(store_, council_id, policy, *accounts, today, threads_, &rows);
      !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&mu_);
  Today* t = current();
  if (t == nullptr) return absl::AbortedError("the council changed while it was surveyed");
  stats_.recomputed += static_cast<int64_t>(dirty.size());
  // Each row was read after its account was marked, so it is at least as
  // new as the mark: install it, and forget the mark unless a later write
  // has marked the account again.
  absl::flat_hash_set<std::string> present(found.begin(), found.end());
  for (size_t i = 0; i < found.size(); ++i) t->survey->Put(found[i], std::move(rows[i]));
  for (size_t i = 0; i < dirty.size(); ++i) {
    if (!present.contains(dirty[i].first)) t->survey->Put(dirty[i].first, std::nullopt);
    auto it = t->dirty.find(dirty[i].first);
    if (it != t->dirty.end() && it->second == dirty[i].second) t->dirty.erase(it);
  }
  return absl::OkStatus();
}

absl::Status DueIndex::WithSurvey(const std::string& council_id, Date as_of, bool first_page,
                                  const std::function<void(const Survey&)>& read) {
  if (as_of == today_()) {
    // A council change between bringing the survey up to date and reading
    // it drops it: try again.
    absl::Status last;
    for (int attempt = 0; attempt < 3; ++attempt) {
      last = Refresh(council_id, as_of);
      if (absl::IsAborted(last)) continue;
      if (!last.ok()) return last;
      absl::MutexLock lock(&mu_);
      auto it = today_surveys_.find(council_id);
      if (it != today_surveys_.end() && it->second.date == as_of && it->second.survey != nullptr) {
        read(*it->second.survey);
        return absl::OkStatus();
      }
    }
    return absl::UnavailableError(
        absl::StrCat("council ", council_id, " kept changing while it was surveyed: try again"));
  }
  const std::pair<std::string, Date> key{council_id, as_of};
  const absl::Time now = absl::Now();
  if (!first_page) {
    absl::MutexLock lock(&mu_);
    auto it = past_.find(key);
    if (it != past_.end() && now - it->second.at < kPastSurveyTtl) {
      read(*it->second.survey);
      return absl::OkStatus();
    }
  }
  absl::StatusOr<v1::Council> council = store_->GetCouncil(council_id);
  if (!council.ok()) return council.status();
  absl::StatusOr<std::unique_ptr<Survey>> built =
      BuildSurvey(store_, council_id, council->policy(), as_of, threads_);
  if (!built.ok()) return built.status();
  std::shared_ptr<const Survey> survey = *std::move(built);
  absl::MutexLock lock(&mu_);
  ++stats_.builds;
  for (auto it = past_.begin(); it != past_.end();) {
    it = now - it->second.at >= kPastSurveyTtl ? past_.erase(it) : std::next(it);
  }
  past_[key] = Past{now, survey};
  read(*survey);
  return absl::OkStatus();
}

absl::Status DueIndex::ListDue(const std::string& council_id, Date as_of, int within_days,
                               const std::optional<DueKey>& after, int size,
                               google::protobuf::RepeatedPtrField<v1::DueEntry>* out,
                               std::optional<DueKey>* next) {
  return WithSurvey(council_id, as_of, !after.has_value(),
                    [&](const Survey& s) { s.PageDue(within_days, after, size, out, next); });
}

absl::Status DueIndex::ListRisks(const std::string& council_id, Date as_of,
                                 const std::optional<RiskKey>& after, int size,
                                 google::protobuf::RepeatedPtrField<v1::AccountRisk>* out,
                                 std::optional<RiskKey>* next) {
  return WithSurvey(council_id, as_of, !after.has_value(),
                    [&](const Survey& s) { s.PageRisks(after, size, out, next); });
}

absl::Status DueIndex::ListRecoveries(const std::string& council_id, Date as_of,
                                      v1::RecoveryState state,
                                      const std::optional<RecoveryKey>& after, int size,
                                      v1::ListRecoveriesResponse* out,
                                      std::optional<RecoveryKey>* next) {
  bool built_today = false;
  if (as_of == today_()) {
    absl::MutexLock lock(&mu_);
    auto it = today_surveys_.find(council_id);
    built_today =
        it != today_surveys_.end() && it->second.date == as_of && it->second.survey != nullptr;
  }
  if (built_today) {
    // Kept up to date like the rest of today's survey. (Dropped since by a
    // council change: WithSurvey builds it again.)
    absl::Status paged;
    if (absl::Status s = WithSurvey(council_id, as_of, !after.has_value(),
                                    [&](const Survey& survey) {
                                      paged =
                                          survey.recoveries().Page(state, after, size, out, next);
                                    });
        !s.ok()) {
      return s;
    }
    return paged;
  }
  absl::StatusOr<v1::Council> council = store_->GetCouncil(council_id);
  if (!council.ok()) return council.status();
  absl::StatusOr<std::unique_ptr<RecoveryBook>> book =
      BuildRecoveryBook(store_, council_id, council->policy(), as_of);
  if (!book.ok()) return book.status();
  {
    absl::MutexLock lock(&mu_);
    ++stats_.recovery_books;
  }
  return (*book)->Page(state, after, size, out, next);
}

absl::Status DueIndex::Warm(const std::string& council_id) {
  absl::Status s = Refresh(council_id, today_());
  return absl::IsAborted(s) ? Refresh(council_id, today_()) : s;
}

DueIndex::Stats DueIndex::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace dpmon
