// Store: API keys and the access log (docs/storage.md, docs/auth.md).
//
// keys:        key_id -> ApiKeyRecord
// access_log:  'T' time seq                      -> AccessLogEntry  (every call)
//              'C' council \0 time seq           -> AccessLogEntry  (calls naming a council)
//              'A' council \0 account \0 time seq -> AccessLogEntry (calls naming an account)
//              'K' key_id \0 time seq            -> AccessLogEntry  (calls by a key)
// time is the call's Unix microseconds and seq a store-wide counter, both
// 8 bytes big-endian, so every index is in time order.
#include "absl/strings/str_format.h"
#include "storage/group_commit.h"

namespace dpmon {
namespace {

constexpr char kLogAll = 'T';
constexpr char kLogCouncil = 'C';
constexpr char kLogAccount = 'A';
constexpr char kLogKey = 'K';

std::string LogPrefix(char index, absl::string_view a = {}, absl::string_view b = {}) {
  std::string k(1, index);
  if (index == kLogCouncil || index == kLogKey) absl::StrAppend(&k, a, absl::string_view("\0", 1));
  if (index == kLogAccount) {
    absl::StrAppend(&k, a, absl::string_view("\0", 1), b, absl::string_view("\0", 1));
  }
  return k;
}

std::string TimeSeq(int64_t micros, uint64_t seq) {
  std::string k;
  keys::AppendU64(&k, static_cast<uint64_t>(micros));
  keys::AppendU64(&k, seq);
  return k;
}

absl::Status NotFoundKey(const std::string& key_id) {
  return absl::NotFoundError(absl::StrFormat("key \"keys/%s\" not found", key_id));
}

}  // namespace

absl::Status InitAccessSequence(Store::Impl* impl) {
  std::unique_ptr<rocksdb::Iterator> it(
      impl->db()->NewIterator(rocksdb::ReadOptions(), impl->cf(kAccessLog)));
  std::string last(1, kLogAll);
  last.append(16, '\xff');
  it->SeekForPrev(last);
  if (it->Valid() && it->key().size() == 17 && it->key()[0] == kLogAll) {
    std::optional<uint64_t> seq = keys::DecodeU64(View(it->key()).substr(9));
    if (!seq) return absl::DataLossError("unreadable access log key");
    impl->access_seq.store(*seq + 1);
  }
  return FromRocks(it->status(), "reading the access log");
}

absl::StatusOr<v1::ApiKey> Store::CreateApiKey(const storage::ApiKeyRecord& record,
                                               const RequestKey& key) {
  const std::string key_id = std::string(record.key().name().substr(5));
  return impl_->RunIdempotent<v1::ApiKey>(key, [&](WriteContext& ctx, v1::ApiKey* out) {
    std::string unused;
    bool found;
    if (absl::Status s = ctx.Get(kKeys, key_id, &unused, &found); !s.ok()) return s;
    if (found) {
      return absl::AlreadyExistsError(absl::StrFormat("key \"%s\" exists", record.key().name()));
    }
    *out = record.key();
    return ctx.PutMessage(kKeys, key_id, record);
  });
}

absl::StatusOr<v1::ApiKey> Store::RevokeApiKey(const std::string& key_id,
                                               const std::string& revoke_time,
                                               const std::string& revoker, const RequestKey& key) {
  return impl_->RunIdempotent<v1::ApiKey>(key, [&](WriteContext& ctx, v1::ApiKey* out) {
    storage::ApiKeyRecord record;
    bool found;
    if (absl::Status s = ctx.GetMessage(kKeys, key_id, &record, &found); !s.ok()) return s;
    if (!found) return NotFoundKey(key_id);
    if (record.key().revoke_time().empty()) {
      record.mutable_key()->set_revoke_time(revoke_time);
      record.mutable_key()->set_revoker(revoker);
      if (absl::Status s = ctx.PutMessage(kKeys, key_id, record); !s.ok()) return s;
    }
    *out = record.key();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<storage::ApiKeyRecord>> Store::LoadApiKeys() {
  std::vector<storage::ApiKeyRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kKeys)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    storage::ApiKeyRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "keys"); !s.ok()) return s;
    out.push_back(std::move(record));
  }
  if (absl::Status s = FromRocks(it->status(), "reading keys"); !s.ok()) return s;
  return out;
}

absl::Status Store::AppendAccessLog(const std::vector<AccessWrite>& entries) {
  if (entries.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* cf = impl_->cf(kAccessLog);
  uint64_t seq = impl_->access_seq.fetch_add(entries.size());
  for (const AccessWrite& w : entries) {
    const std::string when = TimeSeq(w.micros, seq++);
    const std::string value = w.entry.SerializeAsString();
    auto put = [&](const std::string& prefix) { return batch.Put(cf, prefix + when, value); };
    rocksdb::Status s = put(LogPrefix(kLogAll));
    const v1::AccessLogEntry& e = w.entry;
    if (s.ok() && !e.council().empty()) s = put(LogPrefix(kLogCouncil, e.council()));
    if (s.ok() && !e.council().empty() && !e.account().empty()) {
      s = put(LogPrefix(kLogAccount, e.council(), e.account()));
    }
    if (s.ok() && !e.key().empty()) s = put(LogPrefix(kLogKey, e.key().substr(5)));
    if (!s.ok()) return FromRocks(s, "access log batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync();
  if (wo.sync) impl_->counters.synced_writes.fetch_add(1, std::memory_order_relaxed);
  return FromRocks(impl_->db()->Write(wo, &batch), "writing the access log");
}

absl::StatusOr<Page<v1::AccessLogEntry>> Store::ListAccessLog(const AccessQuery& query,
                                                              const std::string& after_key,
                                                              int limit, int scan_max) {
  std::string prefix;
  if (!query.account.empty()) {
    prefix = LogPrefix(kLogAccount, query.council, query.account);
  } else if (!query.key_id.empty()) {
    prefix = LogPrefix(kLogKey, query.key_id);
  } else if (!query.council.empty()) {
    prefix = LogPrefix(kLogCouncil, query.council);
  } else {
    prefix = LogPrefix(kLogAll);
  }
  Page<v1::AccessLogEntry> page;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kAccessLog)));
  // Newest first: from just before end_micros (or the page token) down to start_micros.
  const std::string lower = prefix + TimeSeq(query.start_micros, 0);
  if (!after_key.empty()) {
    if (after_key.compare(0, prefix.size(), prefix) != 0) {
      return WithField(absl::InvalidArgumentError("page_token does not match the query"),
                       "page_token");
    }
    it->SeekForPrev(after_key);
    if (it->Valid() && it->key() == after_key) it->Prev();
  } else {
    it->SeekForPrev(prefix + TimeSeq(query.end_micros, 0));
    if (it->Valid() && it->key() == prefix + TimeSeq(query.end_micros, 0)) it->Prev();
  }
  int scanned = 0;
  std::string last_key;
  for (; it->Valid(); it->Prev()) {
    const rocksdb::Slice k = it->key();
    if (!k.starts_with(prefix) || k.compare(lower) < 0) break;
    if (static_cast<int>(page.items.size()) == limit || scanned == scan_max) {
      page.next_key = last_key;
      break;
    }
    ++scanned;
    last_key = k.ToString();
    v1::AccessLogEntry e;
    if (absl::Status s = ParseRecord(View(it->value()), &e, "access_log"); !s.ok()) return s;
    if (!query.council.empty() && e.council() != query.council) continue;
    if (!query.account.empty() && e.account() != query.account) continue;
    if (!query.key_id.empty() && e.key() != absl::StrCat("keys/", query.key_id)) continue;
    page.items.push_back(std::move(e));
  }
  if (absl::Status s = FromRocks(it->status(), "listing the access log"); !s.ok()) return s;
  return page;
}

absl::StatusOr<int64_t> Store::PruneAccessLog(int64_t before_micros) {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kAccessLog)));
  rocksdb::ColumnFamilyHandle* cf = impl_->cf(kAccessLog);
  const std::string all = LogPrefix(kLogAll);
  const std::string end = all + TimeSeq(before_micros, 0);
  int64_t pruned = 0;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> absl::Status {
    if (batch.Count() == 0) return absl::OkStatus();
    rocksdb::WriteOptions wo;
    wo.sync = impl_->sync();
    absl::Status s = FromRocks(impl_->db()->Write(wo, &batch), "pruning the access log");
    batch.Clear();
    return s;
  };
  for (it->Seek(all); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    const std::string when(View(it->key()).substr(1));
    v1::AccessLogEntry e;
    if (absl::Status s = ParseRecord(View(it->value()), &e, "access_log"); !s.ok()) return s;
    rocksdb::Status s = batch.Delete(cf, it->key());
    if (s.ok() && !e.council().empty())
      s = batch.Delete(cf, LogPrefix(kLogCouncil, e.council()) + when);
    if (s.ok() && !e.council().empty() && !e.account().empty()) {
      s = batch.Delete(cf, LogPrefix(kLogAccount, e.council(), e.account()) + when);
    }
    if (s.ok() && !e.key().empty())
      s = batch.Delete(cf, LogPrefix(kLogKey, e.key().substr(5)) + when);
    if (!s.ok()) return FromRocks(s, "prune batch");
    ++pruned;
    if (batch.Count() >= 40'000) {
      if (absl::Status st = flush(); !st.ok()) return st;
    }
  }
  if (absl::Status s = FromRocks(it->status(), "reading the access log"); !s.ok()) return s;
  if (absl::Status s = flush(); !s.ok()) return s;
  return pruned;
}

}  // namespace dpmon
