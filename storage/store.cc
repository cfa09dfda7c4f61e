#include "storage/store.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/categorise.h"
#include "rocksdb/version.h"
#include "storage/account_index.h"
#include "storage/group_commit.h"
#include "storage/ledger_writer.h"

namespace dpmon {

size_t DefaultBlockCacheBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const size_t floor = size_t{64} << 20;
  if (pages <= 0 || page <= 0) return size_t{256} << 20;
  return std::max(floor, static_cast<size_t>(pages) / 4 * static_cast<size_t>(page));
}

void SerializeLedgerWrite(LedgerWrite* w) {
  w->content = w->transaction.SerializeAsString();
  w->fingerprint = Fingerprint(w->content);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

absl::Status Store::Open(const StoreOptions& options, std::unique_ptr<Store>* store) {
  auto impl = std::make_unique<Impl>();
  if (absl::Status s = impl->Open(options); !s.ok()) return s;
  if (absl::Status s = InitAccessSequence(impl.get()); !s.ok()) return s;
  store->reset(new Store(std::move(impl)));
  return absl::OkStatus();
}

absl::StatusOr<v1::Council> Store::CreateCouncil(const std::string& council_id,
                                                 const v1::Council& council, const RequestKey& key,
                                                 const std::string& create_time) {
  return impl_->RunIdempotent<v1::Council>(key, [&](WriteContext& ctx, v1::Council* out) {
    const std::string k = keys::Council(council_id);
    std::string unused;
    bool found;
    if (absl::Status s = ctx.Get(kCouncils, k, &unused, &found); !s.ok()) return s;
    if (found) {
      return WithField(
          absl::AlreadyExistsError(absl::StrFormat("council \"%s\" already exists", council_id)),
          "council_id");
    }
    storage::CouncilRecord record;
    *record.mutable_council() = council;
    record.mutable_council()->clear_policy_since();
    if (!create_time.empty()) {
      storage::PolicyVersion* v = record.add_policy_history();
      v->set_since(create_time);
      *v->mutable_policy() = council.policy();
      record.mutable_council()->set_policy_since(create_time);
    }
    *out = record.council();
    return ctx.PutMessage(kCouncils, k, record);
  });
}

absl::StatusOr<v1::Council> Store::GetCouncil(const std::string& council_id) {
  return GetCouncilAsOf(council_id, "");
}

absl::StatusOr<v1::Council> Store::GetCouncilAsOf(const std::string& council_id,
                                                  const std::string& as_of_time) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kCouncils),
                                       keys::Council(council_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
  }
  if (!s.ok()) return FromRocks(s, "reading council");
  storage::CouncilRecord record;
  if (absl::Status st = ParseRecord(value, &record, "council"); !st.ok()) return st;
  v1::Council council = std::move(*record.mutable_council());
  if (as_of_time.empty() || record.policy_history().empty()) return council;
  // The last version in force by then (times are fixed-width UTC, so they
  // compare as strings), or the first if the time is before them all.
  const storage::PolicyVersion* in_force = &record.policy_history(0);
  for (const storage::PolicyVersion& v : record.policy_history()) {
    if (v.since() > as_of_time) break;
    in_force = &v;
  }
  *council.mutable_policy() = in_force->policy();
  council.set_policy_since(in_force->since());
  return council;
}

namespace {
// The restricted or evidence MCCs changed: rebuild the council's watched
// debit marks from its transactions, in the same write as the policy.
absl::Status RewatchCouncil(WriteContext& ctx, const std::string& council_id,
                            const v1::Policy& policy) {
  const std::string prefix = keys::CouncilChildren(council_id);
  std::vector<std::string> stale;
  if (absl::Status s = ctx.ForEachPrefix(kMarks, prefix,
                                         [&](absl::string_view key, absl::string_view) {
                                           // council \0 account \0 kind ...
                                           size_t sep = key.find('\0', prefix.size());
                                           if (sep != absl::string_view::npos &&
                                               sep + 1 < key.size() &&
                                               key[sep + 1] == keys::kMarkWatched) {
                                             stale.emplace_back(key);
                                           }
                                           return absl::OkStatus();
                                         });
      !s.ok()) {
    return s;
  }
  for (const std::string& key : stale) {
    if (absl::Status s = ctx.Delete(kMarks, key); !s.ok()) return s;
  }
  storage::TransactionRecord rec;
  const domain::Policy rules_policy = PolicyFromProto(policy);
  return ctx.ForEachPrefix(
      kTxns, prefix, [&](absl::string_view key, absl::string_view value) -> absl::Status {
        if (absl::Status s = ParseRecord(value, &rec, "txns"); !s.ok()) return s;
        if (!IsWatched(rules_policy, rec)) return absl::OkStatus();
        std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(key);
        if (!parts) return absl::DataLossError("unreadable transaction key");
        return ctx.PutMessage(
            kMarks,
            keys::Mark(council_id, parts->account, keys::kMarkWatched, parts->date, parts->seq),
            WatchOf(rec));
      });
}
}  // namespace

absl::StatusOr<v1::Council> Store::UpdateCouncil(const std::string& council_id,
                                                 const CouncilMutator& mutate,
                                                 const RequestKey& key,
                                                 const std::string& change_time) {
  return impl_->RunIdempotent<v1::Council>(key, [&](WriteContext& ctx, v1::Council* out) {
    const std::string k = keys::Council(council_id);
    storage::CouncilRecord record;
    bool found;
    if (absl::Status s = ctx.GetMessage(kCouncils, k, &record, &found); !s.ok()) return s;
    if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
    const v1::Policy before = record.council().policy();
    if (absl::Status s = mutate(record.mutable_council()); !s.ok()) return s;
    if (!change_time.empty() &&
        before.SerializeAsString() != record.council().policy().SerializeAsString()) {
      if (record.policy_history().empty()) {
        *record.add_policy_history()->mutable_policy() = before;  // In force "from the start".
      }
      storage::PolicyVersion* v = record.add_policy_history();
      v->set_since(change_time);
      *v->mutable_policy() = record.council().policy();
      record.mutable_council()->set_policy_since(change_time);
    }
    *out = record.council();
    if (absl::Status s = ctx.PutMessage(kCouncils, k, record); !s.ok()) return s;
    const v1::Policy& after = record.council().policy();
    if (std::equal(before.restricted_mccs().begin(), before.restricted_mccs().end(),
                   after.restricted_mccs().begin(), after.restricted_mccs().end()) &&
        std::equal(before.evidence_mccs().begin(), before.evidence_mccs().end(),
                   after.evidence_mccs().begin(), after.evidence_mccs().end())) {
      return absl::OkStatus();
    }
    return RewatchCouncil(ctx, council_id, after);
  });
}

absl::StatusOr<Page<v1::Council>> Store::ListCouncils(const std::string& after_key, int limit) {
  Page<v1::Council> page;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCouncils)));
  after_key.empty() ? it->SeekToFirst() : it->Seek(after_key);
  if (!after_key.empty() && it->Valid() && it->key() == after_key) it->Next();
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = page.items.empty() ? "" : std::string(page.items.back().name().substr(9));
      break;
    }
    storage::CouncilRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "council"); !s.ok()) {
      return s;
    }
    page.items.push_back(record.council());
  }
  if (absl::Status s = FromRocks(it->status(), "listing councils"); !s.ok()) return s;
  return page;
}

namespace {

absl::Status CheckCouncil(WriteContext& ctx, const std::string& council_id) {
  std::string unused;
  bool found;
  if (absl::Status s = ctx.Get(kCouncils, keys::Council(council_id), &unused, &found); !s.ok()) {
    return s;
  }
  if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
  return absl::OkStatus();
}

// Takes (source, ref) for `account` and attaches what waits for it.
absl::Status TakeRef(LedgerWriter& ops, const std::string& account, const v1::ExternalRef& ref,
                     AttachResult* attached) {
  const std::string k = keys::Ref(ops.council, ref.source(), ref.ref());
  std::string holder;
  bool found;
  if (absl::Status s = ops.ctx.Get(kRefs, k, &holder, &found); !s.ok()) return s;
  if (found && holder != account) {
    return WithField(absl::FailedPreconditionError(absl::StrFormat(
                         "external reference %s:%s already belongs to account \"%s\"", ref.source(),
                         ref.ref(), holder)),
                     "external_refs");
  }
  if (found) return absl::OkStatus();
  if (absl::Status s = ops.ctx.Put(kRefs, k, account); !s.ok()) return s;
  return ops.Attach(account, ref.source(), ref.ref(), attached);
}

void FillAttach(const AttachResult& a, storage::AttachOutcome* out) {
  out->set_attached_transactions(out->attached_transactions() + a.transactions);
  out->set_attached_statements(out->attached_statements() + a.statements);
  out->set_conflicting_statements(out->conflicting_statements() + a.conflicting_statements);
}

}  // namespace

absl::StatusOr<storage::AttachOutcome> Store::CreateAccount(const std::string& council_id,
                                                            const std::string& account_id,
                                                            const v1::Account& account,
                                                            const RequestKey& key,
                                                            int64_t now_micros) {
  return impl_->RunIdempotent<storage::AttachOutcome>(
      key, [&](WriteContext& ctx, storage::AttachOutcome* out) {
        if (absl::Status s = CheckCouncil(ctx, council_id); !s.ok()) return s;
        const std::string k = keys::Account(council_id, account_id);
        std::string unused;
        bool found;
        if (absl::Status s = ctx.Get(kAccounts, k, &unused, &found); !s.ok()) return s;
        if (found) {
          return WithField(
              absl::AlreadyExistsError(absl::StrFormat(
                  "account \"%s\" already exists in council \"%s\"", account_id, council_id)),
              "account_id");
        }
        storage::AccountRecord record;
        *record.mutable_account() = account;
        record.mutable_account()->clear_status();
        if (absl::Status s = ctx.PutMessage(kAccounts, k, record); !s.ok()) return s;
        if (absl::Status s = ReindexAccount(ctx, council_id, account_id, nullptr, record.account());
            !s.ok()) {
          return s;
        }
        LedgerWriter ops(ctx, council_id);
        ops.attach_micros = now_micros;
        for (const v1::ExternalRef& ref : account.external_refs()) {
          AttachResult attached;
          if (absl::Status s = TakeRef(ops, account_id, ref, &attached); !s.ok()) return s;
          FillAttach(attached, out);
        }
        *out->mutable_account() = record.account();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Account> Store::GetAccount(const std::string& council_id,
                                              const std::string& account_id) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kAccounts),
                                       keys::Account(council_id, account_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrFormat("account \"%s\" not found in council \"%s\"", account_id, council_id));
  }
  if (!s.ok()) return FromRocks(s, "reading account");
  storage::AccountRecord record;
  if (absl::Status st = ParseRecord(value, &record, "account"); !st.ok()) return st;
  return record.account();
}

namespace {
// The account's record as the writer sees it; NotFound if there is none.
absl::Status GetAccountRecord(WriteContext& ctx, const std::string& council_id,
                              const std::string& account_id, storage::AccountRecord* record) {
  bool found;
  if (absl::Status s =
          ctx.GetMessage(kAccounts, keys::Account(council_id, account_id), record, &found);
      !s.ok()) {
    return s;
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrFormat("account \"%s\" not found in council \"%s\"", account_id, council_id));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<v1::Account> Store::UpdateAccount(const std::string& council_id,
                                                 const std::string& account_id,
                                                 const AccountMutator& mutate,
                                                 const RequestKey& key) {
  return impl_->RunIdempotent<v1::Account>(key, [&](WriteContext& ctx, v1::Account* out) {
    const std::string k = keys::Account(council_id, account_id);
    storage::AccountRecord record;
    if (absl::Status s = GetAccountRecord(ctx, council_id, account_id, &record); !s.ok()) return s;
    const v1::Account before = record.account();
    if (absl::Status s = mutate(record.mutable_account()); !s.ok()) return s;
    *out = record.account();
    if (absl::Status s = ReindexAccount(ctx, council_id, account_id, &before, record.account());
        !s.ok()) {
      return s;
    }
    return ctx.PutMessage(kAccounts, k, record);
  });
}

absl::StatusOr<storage::AttachOutcome> Store::AddExternalRef(const std::string& council_id,
                                                             const std::string& account_id,
                                                             const v1::ExternalRef& ref,
                                                             const RequestKey& key,
                                                             int64_t now_micros) {
  return impl_->RunIdempotent<storage::AttachOutcome>(key, [&](WriteContext& ctx,
                                                               storage::AttachOutcome* out) {
    const std::string k = keys::Account(council_id, account_id);
    storage::AccountRecord record;
    if (absl::Status s = GetAccountRecord(ctx, council_id, account_id, &record); !s.ok()) return s;
    bool already = false;
    for (const v1::ExternalRef& r : record.account().external_refs()) {
      already |= r.source() == ref.source() && r.ref() == ref.ref();
    }
    if (!already) {
      if (record.account().external_refs_size() >= limits::kExternalRefsMax) {
        return WithField(absl::FailedPreconditionError(absl::StrFormat(
                             "the account already has %d external references, the limit",
                             limits::kExternalRefsMax)),
                         "external_ref");
      }
      const v1::Account before = record.account();
      *record.mutable_account()->add_external_refs() = ref;
      if (absl::Status s = ctx.PutMessage(kAccounts, k, record); !s.ok()) return s;
      if (absl::Status s = ReindexAccount(ctx, council_id, account_id, &before, record.account());
          !s.ok()) {
        return s;
      }
    }
    LedgerWriter ops(ctx, council_id);
    ops.attach_micros = now_micros;
    AttachResult attached;
    if (absl::Status s = TakeRef(ops, account_id, ref, &attached); !s.ok()) return s;
    FillAttach(attached, out);
    *out->mutable_account() = record.account();
    return absl::OkStatus();
  });
}

absl::StatusOr<Page<v1::Account>> Store::ListAccounts(
    const std::string& council_id, const std::string& after_account, int limit,
    const std::function<bool(const v1::Account&)>& keep) {
  Page<v1::Account> page;
  const std::string prefix = keys::CouncilChildren(council_id);
  const std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kAccounts)));
  const std::string start =
      after_account.empty() ? prefix : keys::Account(council_id, after_account);
  it->Seek(start);
  if (!after_account.empty() && it->Valid() && it->key() == start) it->Next();
  std::string last_id;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = last_id;
      break;
    }
    storage::AccountRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "account"); !s.ok()) {
      return s;
    }
    last_id = it->key().ToString().substr(prefix.size());
    if (keep(record.account())) page.items.push_back(std::move(*record.mutable_account()));
  }
  if (absl::Status s = FromRocks(it->status(), "listing accounts"); !s.ok()) return s;
  return page;
}

void Store::IngestAsync(const std::string& council_id, std::vector<LedgerWrite> items,
                        storage::IngestOutcome outcome, const RequestKey& key, IngestDone done) {
  struct State {
    std::string council;
    std::vector<LedgerWrite> items;
    storage::IngestOutcome outcome;
    RequestKey key;
  };
  auto state =
      std::make_shared<State>(State{council_id, std::move(items), std::move(outcome), key});
  int weight = std::max<int>(1, static_cast<int>(state->items.size()));
  impl_->Submit(
      [state](WriteContext& ctx) {
        std::function<absl::Status(WriteContext&, storage::IngestOutcome*)> body =
            [state](WriteContext& c, storage::IngestOutcome* out) {
              LedgerWriter ops(c, state->council);
              // Reads the council once: NotFound if there is none; the
              // policy then serves the watched-debit marks.
              const domain::Policy* policy = nullptr;
              if (absl::Status s = ops.GetPolicy(&policy); !s.ok()) return s;
              for (LedgerWrite& w : state->items) {
                v1::ItemResult* result = out->mutable_results(w.index);
                absl::Status s = w.is_transaction ? ops.IngestTransaction(&w, result)
                                                  : ops.IngestStatement(w, result);
                if (!s.ok()) return s;
              }
              for (const v1::ItemResult& r : out->results()) {
                switch (r.outcome()) {
                  case v1::ACCEPTED:
                    out->set_accepted(out->accepted() + 1);
                    break;
                  case v1::DUPLICATE:
                    out->set_duplicate(out->duplicate() + 1);
                    break;
                  case v1::CONFLICT:
                    out->set_conflict(out->conflict() + 1);
                    break;
                  case v1::SUSPENSE:
                    out->set_suspense(out->suspense() + 1);
                    break;
                  case v1::INVALID:
                    out->set_invalid(out->invalid() + 1);
                    break;
                  case v1::DENIED:
                    out->set_denied(out->denied() + 1);
                    break;
                  default:
                    return absl::InternalError("an item was left without a result");
                }
              }
              return absl::OkStatus();
            };
        // Filled in place: a mutation that fails answers with its error,
        // never with these results.
        return Impl::ApplyIdempotent(ctx, state->key, body, &state->outcome);
      },
      [state, done = std::move(done)](absl::Status s) {
        if (!s.ok()) {
          done(std::move(s));
          return;
        }
        done(std::move(state->outcome));
      },
      weight);
}

absl::StatusOr<storage::IngestOutcome> Store::Ingest(const std::string& council_id,
                                                     std::vector<LedgerWrite> items,
                                                     storage::IngestOutcome outcome,
                                                     const RequestKey& key) {
  absl::Notification n;
  absl::StatusOr<storage::IngestOutcome> result;
  IngestAsync(council_id, std::move(items), std::move(outcome), key,
              [&](absl::StatusOr<storage::IngestOutcome> r) {
                result = std::move(r);
                n.Notify();
              });
  n.WaitForNotification();
  return result;
}

absl::StatusOr<v1::Transaction> Store::RecategoriseTransaction(
    const std::string& council_id, const std::string& account_id, const std::string& source,
    const std::string& external_id, v1::Category category, v1::CategoryChange change,
    const RequestKey& key) {
  return impl_->RunIdempotent<v1::Transaction>(key, [&](WriteContext& ctx, v1::Transaction* out) {
    if (absl::Status s = CheckCouncil(ctx, council_id); !s.ok()) return s;
    LedgerWriter ops(ctx, council_id);
    storage::TransactionRecord rec;
    Date date;
    if (absl::Status s =
            ops.Recategorise(account_id, source, external_id, category, change, &rec, &date);
        !s.ok()) {
      return s;
    }
    *out = TransactionOf(rec);
    return absl::OkStatus();
  });
}

std::string Store::RocksDbVersion() {
  return absl::StrCat(ROCKSDB_MAJOR, ".", ROCKSDB_MINOR, ".", ROCKSDB_PATCH);
}

Store::Stats Store::GetStats() {
  Stats s;
  const Impl::Counters& c = impl_->counters;
  s.groups = c.groups.load(std::memory_order_relaxed);
  s.items = c.items.load(std::memory_order_relaxed);
  s.synced_writes = c.synced_writes.load(std::memory_order_relaxed);
  s.failed_writes = c.failed_writes.load(std::memory_order_relaxed);
  s.queued_requests = impl_->QueuedRequests();
  s.commit_micros = c.commit_micros.Read();
  s.group_items = c.group_items.Read();
  rocksdb::DB* db = impl_->db();
  uint64_t v = 0;
  if (db->GetIntProperty("rocksdb.is-write-stopped", &v)) s.write_stopped = v != 0;
  if (db->GetIntProperty("rocksdb.actual-delayed-write-rate", &v)) s.delayed_write_rate = v;
  if (db->GetIntProperty("rocksdb.num-running-compactions", &v)) s.running_compactions = v;
  if (db->GetAggregatedIntProperty("rocksdb.estimate-pending-compaction-bytes", &v)) {
    s.pending_compaction_bytes = v;
  }
  if (db->GetAggregatedIntProperty("rocksdb.live-sst-files-size", &v)) s.live_sst_bytes = v;
  if (db->GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &v)) s.memtable_bytes = v;
  for (rocksdb::ColumnFamilyHandle* cf : impl_->cfs()) {
    std::map<std::string, std::string> stats;
    if (!db->GetMapProperty(cf, "rocksdb.cfstats", &stats)) continue;
    for (const char* k : {"io_stalls.total_stop", "io_stalls.total_slowdown"}) {
      uint64_t n = 0;
      if (auto it = stats.find(k); it != stats.end() && absl::SimpleAtoi(it->second, &n)) {
        s.stall_count += n;
      }
    }
  }
  return s;
}

absl::Status Store::CompactAll() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (int i = 0; i < kCfCount; ++i) {
    rocksdb::Status s =
        impl_->db()->CompactRange(o, impl_->cf(static_cast<Cf>(i)), nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, absl::StrCat("compacting ", kCfNames[i]));
  }
  return absl::OkStatus();
}

absl::Status Store::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (int i = 0; i < kCfCount; ++i) all.push_back(impl_->cf(static_cast<Cf>(i)));
  return FromRocks(impl_->db()->Flush(fo, all), "flush");
}

}  // namespace dpmon
