// Store::Impl: the group commit. Mutations are queued; one writer thread
// gathers what is queued into a group and applies each mutation in memory
// (WriteContext over GroupWrites); a committer thread writes the group with
// one synced WAL write and then answers its requests, while the writer
// builds the next group. Also the idempotent-request wrapper every mutation
// runs in. Not for use outside storage/.
#ifndef DPMON_STORAGE_GROUP_COMMIT_H_
#define DPMON_STORAGE_GROUP_COMMIT_H_

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/histogram.h"
#include "common/limits.h"
#include "dpmon/v1/storage.pb.h"
#include "rocksdb/db.h"
#include "storage/db.h"
#include "storage/group_writes.h"
#include "storage/keys.h"
#include "storage/ledger_records.h"
#include "storage/store.h"
#include "storage/write_context.h"

namespace dpmon {

class Store::Impl {
 public:
  using Apply = std::function<absl::Status(WriteContext&)>;
  using Done = std::function<void(absl::Status)>;

  ~Impl();

  absl::Status Open(const StoreOptions& options);

  // Queues a mutation; `done` runs on the writer thread once the group that
  // holds it is durable (or failed).
  void Submit(Apply apply, Done done, int weight);

  absl::Status RunSync(Apply apply);

  // Runs `body` once per request_id: a repeat returns the recorded response.
  template <typename Resp>
  absl::StatusOr<Resp> RunIdempotent(const RequestKey& key,
                                     std::function<absl::Status(WriteContext&, Resp*)> body) {
    Resp response;
    absl::Status s =
        RunSync([&](WriteContext& ctx) { return ApplyIdempotent(ctx, key, body, &response); });
    if (!s.ok()) return s;
    return response;
  }

  template <typename Resp>
  static absl::Status ApplyIdempotent(WriteContext& ctx, const RequestKey& key,
                                      const std::function<absl::Status(WriteContext&, Resp*)>& body,
                                      Resp* response) {
    std::string request_key;
    if (!key.request_id.empty()) {
      request_key = keys::Request(key.method, key.request_id);
      storage::RequestRecord record;
      bool found;
      if (absl::Status s = ctx.GetMessage(kRequests, request_key, &record, &found); !s.ok()) {
        return s;
      }
      if (found) {
        if (record.request_fingerprint() != key.request_fingerprint) {
          return WithField(absl::InvalidArgumentError(absl::StrFormat(
                               "request_id \"%s\" was already used for a different %s request",
                               key.request_id, key.method)),
                           "request_id");
        }
        return ParseRecord(record.response(), response, "request");
      }
    }
    if (absl::Status s = body(ctx, response); !s.ok()) return s;
    if (!request_key.empty()) {
      storage::RequestRecord record;
      record.set_request_fingerprint(key.request_fingerprint);
      record.set_response(response->SerializeAsString());
      return ctx.PutMessage(kRequests, request_key, record);
    }
    return absl::OkStatus();
  }

  rocksdb::DB* db() { return db_.get(); }
  const ReversedMarkers& reversed() const { return reversed_; }
  const AccountWriteClock& write_clock() const { return write_clock_; }
  bool sync() const { return options_.sync; }
  // The next access log sequence number (auth_store.cc).
  std::atomic<uint64_t> access_seq{1};
  // What Store::GetStats reports of the writes (metrics).
  struct Counters {
    std::atomic<uint64_t> groups{0};
    std::atomic<uint64_t> items{0};
    std::atomic<uint64_t> synced_writes{0};
    std::atomic<uint64_t> failed_writes{0};
    Histogram commit_micros{Histogram::LatencyBoundsMicros()};
    Histogram group_items{{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000}};
  };
  Counters counters;
  // Requests waiting for the writer now.
  int64_t QueuedRequests() {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(queue_.size());
  }
  rocksdb::ColumnFamilyHandle* cf(Cf c) { return cfs_[c]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs() const { return cfs_; }

  // Store::KeepEvaluatorMemory, TakeEvaluatorMemory.
  void KeepEvaluatorMemory(std::string memory, uint64_t write_clock)
      ABSL_LOCKS_EXCLUDED(memory_mu_);
  std::optional<std::string> TakeEvaluatorMemory() ABSL_LOCKS_EXCLUDED(memory_mu_);

 private:
  // At Open, after any upgrade: takes the evaluator's memory if RocksDB's
  // sequence number is where writing it left it, and deletes it.
  absl::Status LoadEvaluatorMemory();
  // At close, once every write is done: the store's last write.
  void WriteEvaluatorMemory();
  struct Pending {
    Apply apply;
    Done done;
    int weight;
  };

  // A group built by the writer thread, written by the committer thread.
  struct Built {
    std::vector<Pending> group;
    std::vector<absl::Status> results;
    std::unique_ptr<GroupWrites> writes;
    absl::flat_hash_set<std::string> touched;
    absl::flat_hash_set<std::string> flags_touched;
    absl::flat_hash_set<std::string> councils_touched;
    uint64_t seq_before = 0;
    uint64_t seq_after = 0;  // next_sequence once the group is written
  };

  // The writer thread builds group N+1 while the committer thread writes
  // group N: N+1's mutations read N's writes from N's GroupWrites until
  // they are in RocksDB. N+1 is handed over only once N is durable; if N
  // failed, N+1 (built on it) fails too.
  void WriterLoop();

  // Waits until the committer has written what it was given; returns how
  // that went (and forgets it), and if it failed, the sequence number the
  // failed group started from.
  absl::Status AwaitCommitter(uint64_t* failed_seq_before);

  std::unique_ptr<Built> Build(std::vector<Pending> group, const GroupWrites* committing);

  // Prefix scans of these families are frequent while writing (reversals
  // of an original, suspense items of a reference, an account's flags).
  static const std::vector<bool>& ScannedFamilies();

  void CommitterLoop();

  // Invariant, checked before a group is written: sequence numbers only
  // grow, from where the last written group left them.
  absl::Status CheckSequences(const Built& built) const;

  absl::Status Commit(Built* built);

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  uint64_t next_seq_ = 1;  // Only the writer thread touches it after Open.
  // next_sequence as the last written group left it (committer thread only
  // after Open).
  uint64_t committed_seq_ = 1;
  // Every ReversedMarker key in `reversals`: loaded at Open, then added to
  // by the writer thread (read by FactsReaders too).
  ReversedMarkers reversed_;
  // Told of the accounts each durable write changed (committer thread).
  AccountWriteClock write_clock_;
  // domain::Totals rows as the groups built so far left them, for the writer's
  // reads (at most about kTotalsRowsCachedMax; writer thread only).
  static constexpr size_t kTotalsRowsCachedMax = 200'000;
  WriteContext::TotalsRows totals_rows_;
  uint64_t groups_built_ = 0;
  WriterCaches caches_;  // writer thread only
  std::thread writer_;
  std::thread committer_;

  absl::Mutex commit_mu_;
  absl::CondVar commit_cv_;
  Built* to_commit_ ABSL_GUARDED_BY(commit_mu_) = nullptr;
  std::unique_ptr<Built> to_free_ ABSL_GUARDED_BY(commit_mu_);
  absl::Status commit_status_ ABSL_GUARDED_BY(commit_mu_);
  uint64_t failed_seq_before_ ABSL_GUARDED_BY(commit_mu_) = 0;
  bool committer_stopping_ ABSL_GUARDED_BY(commit_mu_) = false;

  absl::Mutex memory_mu_;
  std::optional<std::string> memory_to_keep_ ABSL_GUARDED_BY(memory_mu_);
  uint64_t memory_clock_ ABSL_GUARDED_BY(memory_mu_) = 0;
  std::optional<std::string> memory_found_ ABSL_GUARDED_BY(memory_mu_);

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Sets impl->access_seq past the last stored access log entry (auth_store.cc).
absl::Status InitAccessSequence(Store::Impl* impl);

}  // namespace dpmon

#endif  // DPMON_STORAGE_GROUP_COMMIT_H_
