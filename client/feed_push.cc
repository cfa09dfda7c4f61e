#include "client/feed_push.h"

#include <algorithm>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/civil_date.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"

namespace dpmon {

std::optional<ItemProblem> CheckFeedEntry(const feeds::FeedEntry& e) {
  auto id = [](absl::string_view v, const char* field) -> std::optional<ItemProblem> {
    if (absl::Status s = ValidateFeedId(v); !s.ok()) {
      return ItemProblem{field, std::string(s.message())};
    }
    return std::nullopt;
  };
  auto date = [](const std::string& v, const char* field) -> std::optional<ItemProblem> {
    if (absl::StatusOr<Date> d = Date::Parse(v); !d.ok()) {
      return ItemProblem{field, std::string(d.status().message())};
    }
    return std::nullopt;
  };
  auto text = [](bool present, const std::string& v,
                 const char* field) -> std::optional<ItemProblem> {
    if (!present) return std::nullopt;
    if (absl::Status s = ValidateText(v); !s.ok())
      return ItemProblem{field, std::string(s.message())};
    return std::nullopt;
  };
  auto amount = [](int64_t pence, const char* field,
                   bool zero_allowed) -> std::optional<ItemProblem> {
    if (pence == 0 && !zero_allowed) return ItemProblem{field, "must not be zero"};
    if (pence > limits::kAmountPenceMax || pence < -limits::kAmountPenceMax) {
      return ItemProblem{field, absl::StrCat(pence, " is beyond the limit of ±",
                                             limits::kAmountPenceMax, " pence")};
    }
    return std::nullopt;
  };
  std::optional<ItemProblem> p;
  if (e.transaction) {
    const v1::TransactionInput& t = *e.transaction;
    if ((p = id(t.source(), "source")) || (p = id(t.external_id(), "external_id")) ||
        (!t.account_ref().empty() && (p = id(t.account_ref(), "account_ref"))) ||
        (p = date(t.booking_date(), "booking_date")) ||
        (p = amount(t.amount_pence(), "amount_pence", false)) ||
        (p = text(t.has_counterparty(), t.counterparty(), "counterparty")) ||
        (p = text(t.has_description(), t.description(), "description")) ||
        (t.has_reverses() && (p = id(t.reverses(), "reverses")))) {
      return p;
    }
  } else if (e.statement) {
    const v1::StatementInput& st = *e.statement;
    if ((p = id(st.source(), "source")) ||
        (!st.account_ref().empty() && (p = id(st.account_ref(), "account_ref"))) ||
        (p = date(st.date(), "date")) ||
        (p = amount(st.closing_balance_pence(), "closing_balance_pence", true))) {
      return p;
    }
  } else {
    return ItemProblem{"", "neither a transaction nor a statement"};
  }
  return std::nullopt;
}

bool PushSummary::Clean() const {
  for (const char* bad : {"INVALID", "CONFLICT", "DENIED"}) {
    if (auto it = outcomes.find(bad); it != outcomes.end() && it->second > 0) return false;
  }
  return unsent == 0;
}

void EntryQueue::Push(feeds::FeedEntry e) {
  absl::MutexLock lock(&mu_);
  while (items_.size() >= capacity_ && !abandoned_) cv_.Wait(&mu_);
  if (abandoned_) return;
  items_.push_back(std::move(e));
  cv_.SignalAll();
}

void EntryQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  cv_.SignalAll();
}

void EntryQueue::Abandon() {
  absl::MutexLock lock(&mu_);
  abandoned_ = true;
  items_.clear();
  cv_.SignalAll();
}

bool EntryQueue::Pop(feeds::FeedEntry* e) {
  absl::MutexLock lock(&mu_);
  while (items_.empty() && !closed_ && !abandoned_) cv_.Wait(&mu_);
  if (items_.empty()) return false;
  *e = std::move(items_.front());
  items_.pop_front();
  cv_.SignalAll();
  return true;
}

void CountProblems(const feeds::FeedResult& problems, PushSummary* summary) {
  for (const feeds::FeedProblem& p : problems.invalid) {
    ++summary->outcomes["INVALID"];
    summary->problems.push_back({p.where, "INVALID", p.field, p.reason});
  }
  for (const feeds::FeedProblem& p : problems.conflicts) {
    ++summary->outcomes["CONFLICT"];
    summary->problems.push_back({p.where, "CONFLICT", p.field, p.reason});
  }
  summary->outcomes["SKIPPED"] += static_cast<int64_t>(problems.skipped.size());
}

absl::Status PushEntries(Client& client, const std::string& council,
                         const std::function<bool(feeds::FeedEntry*)>& next, int batch_size,
                         const std::function<void(int64_t)>& progress, PushSummary* summary) {
  int64_t batch_id = 0;
  int64_t sent = 0;
  int64_t acknowledged = 0;
  bool ended = false;
  // Where each unacknowledged batch's entries came from, by batch_id:
  // written by the stream's writer thread, read by this one.
  struct Wheres {
    absl::Mutex mu;
    std::map<int64_t, std::vector<std::string>> by_batch ABSL_GUARDED_BY(mu);
  } wheres;
  absl::Status s = client.StreamIngest(
      [&](v1::IngestBatchRequest* batch) {
        if (ended) return false;
        std::vector<std::string> batch_wheres;
        feeds::FeedEntry e;
        while (static_cast<int>(batch_wheres.size()) < batch_size) {
          if (!next(&e)) {
            ended = true;
            break;
          }
          ++summary->taken;
          // What the server would refuse is refused here, on its own: a
          // batch the server cannot read would be refused whole.
          if (std::optional<ItemProblem> bad = CheckFeedEntry(e)) {
            ++summary->outcomes["INVALID"];
            summary->problems.push_back({e.where, "INVALID", bad->field, bad->reason});
            e = feeds::FeedEntry();
            continue;
          }
          v1::LedgerItem* item = batch->add_items();
          if (e.transaction) {
            *item->mutable_transaction() = std::move(*e.transaction);
          } else {
            *item->mutable_statement() = std::move(*e.statement);
          }
          batch_wheres.push_back(std::move(e.where));
          e = feeds::FeedEntry();
        }
        if (batch_wheres.empty()) return false;
        batch->set_parent(CouncilName(council));
        batch->set_batch_id(++batch_id);
        sent += static_cast<int64_t>(batch_wheres.size());
        absl::MutexLock lock(&wheres.mu);
        wheres.by_batch[batch_id] = std::move(batch_wheres);
        return true;
      },
      limits::kStreamBatchesInFlightMax,
      [&](const v1::IngestBatchResponse& ack) {
        std::vector<std::string> batch_wheres;
        {
          absl::MutexLock lock(&wheres.mu);
          auto it = wheres.by_batch.find(ack.batch_id());
          if (it != wheres.by_batch.end()) {
            batch_wheres = std::move(it->second);
            wheres.by_batch.erase(it);
          }
        }
        for (const v1::ItemResult& r : ack.results()) {
          const std::string outcome = v1::ItemOutcome_Name(r.outcome());
          ++summary->outcomes[outcome];
          if (r.outcome() != v1::ACCEPTED && r.outcome() != v1::DUPLICATE &&
              r.outcome() != v1::SUSPENSE) {
            std::string field = r.field();
            if (size_t dot = field.find('.'); dot != std::string::npos)
              field = field.substr(dot + 1);
            const size_t i = static_cast<size_t>(r.index());
            summary->problems.push_back(
                {i < batch_wheres.size() ? batch_wheres[i] : "?", outcome, field, r.reason()});
          }
        }
        acknowledged += ack.results_size();
        if (progress) progress(acknowledged);
      });
  summary->unsent += sent - acknowledged;
  return s;
}

absl::Status PushFeed(Client& client, const std::string& council, const feeds::FeedResult& feed,
                      int batch_size, const std::function<void(int64_t, int64_t)>& progress,
                      PushSummary* summary) {
  CountProblems(feed, summary);
  const int64_t total = static_cast<int64_t>(feed.entries.size());
  size_t next = 0;
  absl::Status s = PushEntries(
      client, council,
      [&](feeds::FeedEntry* e) {
        if (next >= feed.entries.size()) return false;
        *e = feed.entries[next++];
        return true;
      },
      batch_size,
      [&](int64_t done) {
        if (progress) progress(done, total);
      },
      summary);
  // Entries never taken because the stream failed first.
  summary->unsent += total - static_cast<int64_t>(next);
  return s;
}

}  // namespace dpmon
