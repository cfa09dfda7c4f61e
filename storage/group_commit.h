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
#include <unordered_set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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

  ~Impl() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      cv_.SignalAll();
    }
    if (writer_.joinable()) writer_.join();  // writes every queued mutation
    {
      absl::MutexLock lock(&commit_mu_);
      committer_stopping_ = true;
      commit_cv_.SignalAll();
    }
    if (committer_.joinable()) committer_.join();
    if (db_ != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : cfs_) {
        if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
      }
      db_->Close();
    }
  }

  absl::Status Open(const StoreOptions& options) {
    options_ = options;
    if (absl::Status s = OpenDb(options.path, options.block_cache_bytes, &db_, &cfs_); !s.ok()) {
      return s;
    }
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], kMetaNextSeq, &value);
    if (s.ok()) {
      std::optional<uint64_t> seq = keys::DecodeU64(value);
      if (!seq) return absl::DataLossError("unreadable next_sequence");
      next_seq_ = *seq;
      committed_seq_ = *seq;
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "reading next_sequence");
    }
    {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), cfs_[kReversals]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key();
        if (k.size() > 0 && k[k.size() - 1] == keys::kReversedMarkerEnd)
          reversed_.insert(k.ToString());
      }
      if (!it->status().ok()) return FromRocks(it->status(), "loading reversal markers");
    }
    committer_ = std::thread([this] { CommitterLoop(); });
    writer_ = std::thread([this] { WriterLoop(); });
    return absl::OkStatus();
  }

  // Queues a mutation; `done` runs on the writer thread once the group that
  // holds it is durable (or failed).
  void Submit(Apply apply, Done done, int weight) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        done(absl::UnavailableError("the store is shutting down"));
        return;
      }
      if (static_cast<int>(queue_.size()) >= limits::kWriteQueueRequestsMax) {
        done(absl::UnavailableError("too many writes queued; retry with backoff"));
        return;
      }
      queue_.push_back({std::move(apply), std::move(done), weight});
      cv_.Signal();
    }
  }

  absl::Status RunSync(Apply apply) {
    absl::Notification n;
    absl::Status result;
    Submit(
        std::move(apply),
        [&](absl::Status s) {
          result = std::move(s);
          n.Notify();
        },
        1);
    n.WaitForNotification();
    return result;
  }

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
  bool sync() const { return options_.sync; }
  // The next access log sequence number (auth_store.cc).
  std::atomic<uint64_t> access_seq{1};
  rocksdb::ColumnFamilyHandle* cf(Cf c) { return cfs_[c]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs() const { return cfs_; }

 private:
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
    uint64_t seq_before = 0;
    uint64_t seq_after = 0;  // next_sequence once the group is written
  };

  // The writer thread builds group N+1 while the committer thread writes
  // group N: N+1's mutations read N's writes from N's GroupWrites until
  // they are in RocksDB. N+1 is handed over only once N is durable; if N
  // failed, N+1 (built on it) fails too.
  void WriterLoop() {
    pthread_setname_np(pthread_self(), "dpmon-writer");
    std::unique_ptr<Built> committing;
    for (;;) {
      std::vector<Pending> group;
      {
        absl::MutexLock lock(&mu_);
        while (!stopping_ && queue_.empty()) cv_.Wait(&mu_);
        if (queue_.empty()) break;  // stopping, and everything is built
        int weight = 0;
        while (!queue_.empty() &&
               (group.empty() || weight + queue_.front().weight <= limits::kGroupCommitItemsMax)) {
          weight += queue_.front().weight;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::unique_ptr<Built> built =
          Build(std::move(group), committing != nullptr ? committing->writes.get() : nullptr);
      if (options_.after_build_for_test) options_.after_build_for_test();
      uint64_t failed_seq_before = 0;
      absl::Status before = AwaitCommitter(&failed_seq_before);
      if (!before.ok()) {
        committing.reset();
        // Built on writes that never reached the disk: start again from
        // what RocksDB holds.
        next_seq_ = failed_seq_before;
        totals_rows_.clear();
        caches_.Clear();
        for (Pending& p : built->group) {
          p.done(absl::UnavailableError(
              absl::StrCat("not written: an earlier write failed: ", before.message())));
        }
        continue;
      }
      {
        absl::MutexLock lock(&commit_mu_);
        to_commit_ = built.get();
        // The committer frees the group before once it has written this
        // one: freeing a large group is not the writer's work.
        to_free_ = std::move(committing);
        commit_cv_.SignalAll();
      }
      committing = std::move(built);
    }
    // The last group's callbacks have its outcome.
    uint64_t unused;
    AwaitCommitter(&unused).IgnoreError();
  }

  // Waits until the committer has written what it was given; returns how
  // that went (and forgets it), and if it failed, the sequence number the
  // failed group started from.
  absl::Status AwaitCommitter(uint64_t* failed_seq_before) {
    absl::MutexLock lock(&commit_mu_);
    while (to_commit_ != nullptr) commit_cv_.Wait(&commit_mu_);
    *failed_seq_before = failed_seq_before_;
    absl::Status s = std::move(commit_status_);
    commit_status_ = absl::OkStatus();
    return s;
  }

  std::unique_ptr<Built> Build(std::vector<Pending> group, const GroupWrites* committing) {
    auto built = std::make_unique<Built>();
    built->group = std::move(group);
    built->seq_before = next_seq_;
    built->writes = std::make_unique<GroupWrites>(kCfCount, ScannedFamilies());
    WriteContext ctx(db_.get(), cfs_, built->writes.get(), committing, &next_seq_, &reversed_,
                     &totals_rows_, ++groups_built_, &caches_);
    built->results.reserve(built->group.size());
    for (Pending& p : built->group) {
      ctx.BeginMutation();
      absl::Status s = p.apply(ctx);
      ctx.EndMutation(s.ok());
      built->results.push_back(std::move(s));
    }
    ctx.WriteTotalsRows();
    built->seq_after = next_seq_;
    if (next_seq_ != built->seq_before) {
      std::string v;
      keys::AppendU64(&v, next_seq_);
      built->writes->Put(kMeta, kMetaNextSeq, v);
    }
    // The rows are only ever a shortcut to what RocksDB holds or the group
    // being written will hold. When there are too many, keep the ones this
    // group changed (the next one is likely to change its month and year
    // rows again) and forget the rest.
    if (totals_rows_.size() > kTotalsRowsCachedMax) {
      const uint64_t group = groups_built_;
      for (auto it = totals_rows_.begin(); it != totals_rows_.end();) {
        if (it->second.group != group) {
          totals_rows_.erase(it++);
        } else {
          ++it;
        }
      }
      if (totals_rows_.size() > kTotalsRowsCachedMax / 2) totals_rows_.clear();
    }
    built->touched = ctx.touched();
    return built;
  }

  // Prefix scans of these families are frequent while writing (reversals
  // of an original, suspense items of a reference, an account's flags).
  static const std::vector<bool>& ScannedFamilies() {
    static const std::vector<bool> scanned = [] {
      std::vector<bool> v(kCfCount, false);
      v[kReversals] = v[kSuspense] = v[kFlags] = true;
      return v;
    }();
    return scanned;
  }

  void CommitterLoop() {
    pthread_setname_np(pthread_self(), "dpmon-commit");
    for (;;) {
      Built* built;
      {
        absl::MutexLock lock(&commit_mu_);
        while (!committer_stopping_ && to_commit_ == nullptr) commit_cv_.Wait(&commit_mu_);
        if (to_commit_ == nullptr) return;
        built = to_commit_;
      }
      absl::Status status = Commit(built);
      std::unique_ptr<Built> to_free;
      {
        absl::MutexLock lock(&commit_mu_);
        to_free = std::move(to_free_);
      }
      to_free.reset();
      {
        absl::MutexLock lock(&commit_mu_);
        to_commit_ = nullptr;
        commit_status_ = status;
        if (!status.ok()) failed_seq_before_ = built->seq_before;
        commit_cv_.SignalAll();
      }
    }
  }

  // Invariant, checked before a group is written: sequence numbers only
  // grow, from where the last written group left them.
  absl::Status CheckSequences(const Built& built) const {
    if (built.seq_before >= committed_seq_ && built.seq_after >= built.seq_before) {
      return absl::OkStatus();
    }
    return absl::InternalError(absl::StrFormat(
        "invariant broken, nothing written: the group's sequence numbers run from %d to %d "
        "after %d was written",
        built.seq_before, built.seq_after, committed_seq_));
  }

  absl::Status Commit(Built* built) {
    absl::Status write_status = CheckSequences(*built);
    if (write_status.ok() && options_.before_write_for_test) {
      write_status = options_.before_write_for_test();
    }
    if (write_status.ok() && !built->writes->empty()) {
      rocksdb::WriteBatch batch;
      write_status = FromRocks(built->writes->Fill(cfs_, &batch), "batch");
      if (write_status.ok()) {
        rocksdb::WriteOptions wo;
        wo.sync = options_.sync;  // The WAL is synced before anyone is answered.
        write_status = FromRocks(db_->Write(wo, &batch), "write");
      }
    }
    if (write_status.ok()) committed_seq_ = built->seq_after;
    for (size_t i = 0; i < built->group.size(); ++i) {
      built->group[i].done(write_status.ok() ? std::move(built->results[i]) : write_status);
    }
    built->group.clear();  // the requests' items, freed here rather than by the writer
    if (write_status.ok() && options_.on_accounts_changed && !built->touched.empty()) {
      std::map<std::string, std::vector<std::string>> by_council;
      for (const std::string& k : built->touched) {
        size_t sep = k.find('\0');
        by_council[k.substr(0, sep)].push_back(k.substr(sep + 1));
      }
      for (auto& [council, accounts] : by_council) {
        std::sort(accounts.begin(), accounts.end());
        options_.on_accounts_changed(council, accounts);
      }
    }
    return write_status;
  }

  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  uint64_t next_seq_ = 1;  // Only the writer thread touches it after Open.
  // next_sequence as the last written group left it (committer thread only
  // after Open).
  uint64_t committed_seq_ = 1;
  // Every ReversedMarker key in `reversals`: loaded at Open, then kept by the
  // writer thread alone.
  std::unordered_set<std::string> reversed_;
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

  absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Sets impl->access_seq past the last stored access log entry (auth_store.cc).
absl::Status InitAccessSequence(Store::Impl* impl);

}  // namespace dpmon

#endif  // DPMON_STORAGE_GROUP_COMMIT_H_
