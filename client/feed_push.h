// Pushes what a feed parser read to the server over one StreamIngest call,
// and gathers what became of every entry, by its line or element.
//
// Thread-safety: one push at a time per Client call.
#ifndef DPMON_CLIENT_FEED_PUSH_H_
#define DPMON_CLIENT_FEED_PUSH_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
  int64_t unsent = 0;             // Entries the server never answered (the stream failed).
  bool Clean() const;             // Nothing invalid, conflicting, denied or unsent.
};

// `progress(done, total)` is called as acknowledgements arrive.
absl::Status PushFeed(Client& client, const std::string& council, const feeds::FeedResult& feed,
                      int batch_size, const std::function<void(int64_t, int64_t)>& progress,
                      PushSummary* summary);

}  // namespace dpmon

#endif  // DPMON_CLIENT_FEED_PUSH_H_
