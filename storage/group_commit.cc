#include "storage/group_commit.h"

#include "storage/account_index.h"
#include "storage/flag_index.h"

namespace dpmon {

Store::Impl::~Impl() {
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
  if (db_ != nullptr) WriteEvaluatorMemory();
  if (db_ != nullptr) {
    for (rocksdb::ColumnFamilyHandle* h : cfs_) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
    }
    db_->Close();
  }
}

absl::Status Store::Impl::Open(const StoreOptions& options) {
  options_ = options;
  int upgrade_from = 0;
  if (absl::Status s = OpenDb(options.path, options.block_cache_bytes, &db_, &cfs_, &upgrade_from);
      !s.ok()) {
    return s;
  }
  if (upgrade_from != 0) {
    if (UpgradeBuildsAccountIndex(upgrade_from)) {
      if (absl::Status s = BuildAccountIndex(db_.get(), cfs_); !s.ok()) return s;
    }
    if (UpgradeRebuildsFlagIndex(upgrade_from)) {
      if (absl::Status s = RebuildFlagIndex(db_.get(), cfs_); !s.ok()) return s;
    }
    if (absl::Status s = WriteSchemaVersion(db_.get(), cfs_[kMeta]); !s.ok()) return s;
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
        reversed_.Insert(k.ToString());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "loading reversal markers");
  }
  if (absl::Status s = LoadEvaluatorMemory(); !s.ok()) return s;
  committer_ = std::thread([this] { CommitterLoop(); });
  writer_ = std::thread([this] { WriterLoop(); });
  return absl::OkStatus();
}

void Store::Impl::KeepEvaluatorMemory(std::string memory, uint64_t write_clock) {
  absl::MutexLock lock(&memory_mu_);
  memory_to_keep_ = std::move(memory);
  memory_clock_ = write_clock;
}

std::optional<std::string> Store::Impl::TakeEvaluatorMemory() {
  absl::MutexLock lock(&memory_mu_);
  std::optional<std::string> out = std::move(memory_found_);
  memory_found_.reset();
  return out;
}

absl::Status Store::Impl::LoadEvaluatorMemory() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cfs_[kMeta], kMetaEvaluatorMemory, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  if (!s.ok()) return FromRocks(s, "reading evaluator_memory");
  std::optional<uint64_t> written_at =
      value.size() >= 8 ? keys::DecodeU64(absl::string_view(value).substr(0, 8)) : std::nullopt;
  // Anything written after it (another program, an upgrade) may have
  // changed what it says of an account: it is then void.
  if (written_at && *written_at == db_->GetLatestSequenceNumber()) {
    absl::MutexLock lock(&memory_mu_);
    memory_found_ = value.substr(8);
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Delete(wo, cfs_[kMeta], kMetaEvaluatorMemory), "deleting evaluator_memory");
}

void Store::Impl::WriteEvaluatorMemory() {
  absl::MutexLock lock(&memory_mu_);
  // An account written after the memory was made: what it says may be wrong.
  if (!memory_to_keep_ || write_clock_.Now() != memory_clock_) return;
  const uint64_t expected = db_->GetLatestSequenceNumber() + 1;  // one Put
  std::string value;
  keys::AppendU64(&value, expected);
  value.append(*memory_to_keep_);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (!db_->Put(wo, cfs_[kMeta], kMetaEvaluatorMemory, value).ok()) return;
  // Something else wrote at the same moment: it would never be taken.
  if (db_->GetLatestSequenceNumber() != expected) {
    db_->Delete(wo, cfs_[kMeta], kMetaEvaluatorMemory);
  }
}

void Store::Impl::Submit(Apply apply, Done done, int weight) {
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

absl::Status Store::Impl::RunSync(Apply apply) {
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

void Store::Impl::WriterLoop() {
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

absl::Status Store::Impl::AwaitCommitter(uint64_t* failed_seq_before) {
  absl::MutexLock lock(&commit_mu_);
  while (to_commit_ != nullptr) commit_cv_.Wait(&commit_mu_);
  *failed_seq_before = failed_seq_before_;
  absl::Status s = std::move(commit_status_);
  commit_status_ = absl::OkStatus();
  return s;
}

std::unique_ptr<Store::Impl::Built> Store::Impl::Build(std::vector<Pending> group,
                                                       const GroupWrites* committing) {
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
  built->flags_touched = ctx.flags_touched();
  built->councils_touched = ctx.councils_touched();
  return built;
}

const std::vector<bool>& Store::Impl::ScannedFamilies() {
  static const std::vector<bool> scanned = [] {
    std::vector<bool> v(kCfCount, false);
    v[kReversals] = v[kSuspense] = v[kFlags] = true;
    return v;
  }();
  return scanned;
}

void Store::Impl::CommitterLoop() {
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

absl::Status Store::Impl::CheckSequences(const Built& built) const {
  if (built.seq_before >= committed_seq_ && built.seq_after >= built.seq_before) {
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrFormat(
      "invariant broken, nothing written: the group's sequence numbers run from %d to %d "
      "after %d was written",
      built.seq_before, built.seq_after, committed_seq_));
}

absl::Status Store::Impl::Commit(Built* built) {
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
      const absl::Time start = absl::Now();
      write_status = FromRocks(db_->Write(wo, &batch), "write");
      counters.commit_micros.Observe(absl::ToInt64Microseconds(absl::Now() - start));
      if (options_.sync) counters.synced_writes.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (write_status.ok()) {
    int64_t items = 0;
    for (const Pending& p : built->group) items += p.weight;
    counters.groups.fetch_add(1, std::memory_order_relaxed);
    counters.items.fetch_add(static_cast<uint64_t>(items), std::memory_order_relaxed);
    counters.group_items.Observe(items);
  } else {
    counters.failed_writes.fetch_add(1, std::memory_order_relaxed);
  }
  if (write_status.ok()) committed_seq_ = built->seq_after;
  // Before anyone is answered, as the indexes below.
  if (write_status.ok() && !built->touched.empty()) write_clock_.Written(built->touched);
  // Indexes outside the store learn of the write before anyone is answered.
  if (write_status.ok() && options_.on_written) {
    WrittenKeys written;
    auto split = [](const absl::flat_hash_set<std::string>& set,
                    std::vector<std::pair<std::string, std::string>>* out) {
      for (const std::string& k : set) {
        const size_t sep = k.find('\0');
        out->emplace_back(k.substr(0, sep), k.substr(sep + 1));
      }
    };
    split(built->touched, &written.accounts);
    split(built->flags_touched, &written.flag_accounts);
    written.councils.assign(built->councils_touched.begin(), built->councils_touched.end());
    if (!written.accounts.empty() || !written.flag_accounts.empty() || !written.councils.empty()) {
      options_.on_written(written);
    }
  }
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

}  // namespace dpmon
