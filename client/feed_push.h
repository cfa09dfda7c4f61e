// Pushes what a feed parser read to the server over one StreamIngest call,
// and gathers what became of every entry, by its line or element.
//
// Thread-safety: one push at a time per Client call.
#ifndef DPMON_CLIENT_FEED_PUSH_H_
#define DPMON_CLIENT_FEED_PUSH_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/client.h"
#include "client/feeds/feed.h"

namespace dpmon {

struct PushSummary {
  // By outcome: ACCEPTED, DUPLICATE, CONFLICT, SUSPENSE, INVALID, DENIED,
  // and SKIPPED (not pushed on purpose).
  std::map<std::string, int64_t> outcomes;
  struct Problem {
    std::string where, outcome, field, reason;
  };
  std::vector<Problem> problems;  // Everything that was not ACCEPTED, DUPLICATE or SUSPENSE.
  int64_t unsent = 0;             // Entries never answered: the stream failed first.
  int64_t taken = 0;              // Entries taken for sending (sent or refused here).
  bool Clean() const;             // Nothing invalid, conflicting, denied or unsent.
};

// Why the server would refuse an entry: the field (as the API names it) and
// the reason, from the same checks the server makes on identifiers, dates,
// amounts and text (well-formed UTF-8 within the limits).
struct ItemProblem {
  std::string field, reason;
};
std::optional<ItemProblem> CheckFeedEntry(const feeds::FeedEntry& e);

// `progress(done, total)` is called as acknowledgements arrive.
absl::Status PushFeed(Client& client, const std::string& council, const feeds::FeedResult& feed,
                      int batch_size, const std::function<void(int64_t, int64_t)>& progress,
                      PushSummary* summary);

// The streaming form: entries come from `next` (false at the end) as a
// parser reads them; `progress(done)` as acknowledgements arrive. Count the
// parser's problems with CountProblems once it has finished.
absl::Status PushEntries(Client& client, const std::string& council,
                         const std::function<bool(feeds::FeedEntry*)>& next, int batch_size,
                         const std::function<void(int64_t)>& progress, PushSummary* summary);
void CountProblems(const feeds::FeedResult& problems, PushSummary* summary);

// Entries from a parser on one thread to PushEntries on another, at most
// `capacity` waiting.
class EntryQueue {
 public:
  explicit EntryQueue(size_t capacity) : capacity_(capacity) {}
  // Blocks while full; drops the entry once the consumer has stopped.
  void Push(feeds::FeedEntry e);
  void Close();                   // The producer is done.
  void Abandon();                 // The consumer is done: Push no longer blocks.
  bool Pop(feeds::FeedEntry* e);  // False once closed and empty.

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<feeds::FeedEntry> items_ ABSL_GUARDED_BY(mu_);
  const size_t capacity_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dpmon

#endif  // DPMON_CLIENT_FEED_PUSH_H_
