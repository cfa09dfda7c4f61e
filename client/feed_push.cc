#include "client/feed_push.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dpmon {

bool PushSummary::Clean() const {
  for (const char* bad : {"INVALID", "CONFLICT", "DENIED"}) {
    if (auto it = outcomes.find(bad); it != outcomes.end() && it->second > 0) return false;
  }
  return unsent == 0;
}

absl::Status PushFeed(Client& client, const std::string& council, const feeds::FeedResult& feed,
                      int batch_size, const std::function<void(int64_t, int64_t)>& progress,
                      PushSummary* summary) {
  for (const feeds::FeedProblem& p : feed.invalid) {
    ++summary->outcomes["INVALID"];
    summary->problems.push_back({p.where, "INVALID", p.field, p.reason});
  }
  for (const feeds::FeedProblem& p : feed.conflicts) {
    ++summary->outcomes["CONFLICT"];
    summary->problems.push_back({p.where, "CONFLICT", p.field, p.reason});
  }
  summary->outcomes["SKIPPED"] += static_cast<int64_t>(feed.skipped.size());
  const int64_t total = static_cast<int64_t>(feed.entries.size());
  if (total == 0) return absl::OkStatus();
  size_t next = 0;
  int64_t batch_id = 0;
  int64_t acknowledged = 0;
  std::map<int64_t, size_t> first_of_batch;  // batch_id -> index of its first entry
  absl::Status s = client.StreamIngest(
      [&](v1::IngestBatchRequest* batch) {
        if (next >= feed.entries.size()) return false;
        batch->set_parent(absl::StrCat("councils/", council));
        batch->set_batch_id(++batch_id);
        first_of_batch[batch_id] = next;
        const size_t end = std::min(feed.entries.size(), next + static_cast<size_t>(batch_size));
        for (; next < end; ++next) {
          const feeds::FeedEntry& e = feed.entries[next];
          v1::LedgerItem* item = batch->add_items();
          if (e.transaction) {
            *item->mutable_transaction() = *e.transaction;
          } else {
            *item->mutable_statement() = *e.statement;
          }
        }
        return true;
      },
      8,
      [&](const v1::IngestBatchResponse& ack) {
        const size_t first = first_of_batch[ack.batch_id()];
        for (const v1::ItemResult& r : ack.results()) {
          const std::string outcome = v1::ItemOutcome_Name(r.outcome());
          ++summary->outcomes[outcome];
          if (r.outcome() != v1::ACCEPTED && r.outcome() != v1::DUPLICATE &&
              r.outcome() != v1::SUSPENSE) {
            std::string field = r.field();
            if (size_t dot = field.find('.'); dot != std::string::npos)
              field = field.substr(dot + 1);
            summary->problems.push_back({feed.entries[first + static_cast<size_t>(r.index())].where,
                                         outcome, field, r.reason()});
          }
        }
        acknowledged += ack.results_size();
        if (progress) progress(acknowledged, total);
      });
  summary->unsent = total - acknowledged;
  return s;
}

}  // namespace dpmon
