// Store: monitoring. Stored flags with their lifecycle, and the dashboard's
// flag index (docs/storage.md). The facts the rules read are
// facts_reader.cc's.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/flag_index.h"
#include "storage/group_commit.h"
#include "storage/proto_domain.h"
#include "storage/store.h"

namespace dpmon {

std::string FlagCountKey(v1::FlagKind kind, v1::FlagState state) {
  return absl::StrCat(v1::FlagKind_Name(kind), "/", v1::FlagState_Name(state));
}

namespace {

std::string KindKey(v1::FlagKind kind) { return v1::FlagKind_Name(kind); }

char GroupOf(v1::FlagState state) {
  switch (state) {
    case v1::RESOLVED:
      return 'R';
    case v1::CLEARED:
      return 'X';
    default:
      return 'A';
  }
}

absl::StatusOr<Date> StoredDate(const std::string& text, absl::string_view what) {
  absl::StatusOr<Date> d = Date::Parse(text);
  if (!d.ok()) return absl::DataLossError(absl::StrCat("stored flag ", what, " \"", text, "\""));
  return *d;
}

// The index tail of a flag: severity rank, raised_on, account, kind,
// subject, occurrence.
absl::StatusOr<std::string> TailOf(const std::string& account_id, const v1::Flag& f) {
  absl::StatusOr<Date> raised = StoredDate(f.raised_on(), "raised_on");
  if (!raised.ok()) return raised.status();
  return keys::FlagIndexTail(static_cast<int>(f.severity()), *raised, account_id, KindKey(f.kind()),
                             f.subject(), static_cast<uint32_t>(f.occurrence()));
}

std::vector<std::string> IndexKeysWithTail(const std::string& council, const v1::Flag& f,
                                           const std::string& tail) {
  const char group = GroupOf(f.state());
  return {keys::FlagByGroupPrefix(council, group) + tail,
          keys::FlagByKindPrefix(council, KindKey(f.kind()), group) + tail};
}

// Writes one occurrence of a flag, its index entries and its counts,
// replacing `old` (the same occurrence before the change) if given.
class FlagWriter {
 public:
  FlagWriter(WriteContext& ctx, const std::string& council) : ctx_(ctx), council_(council) {}

  absl::Status Write(const std::string& account_id, const v1::Flag* old, const v1::Flag& now) {
    // Listed under the same keys (the same group, severity and raised_on)
    // with the same state, the index entries stand: the flag's new facts
    // are read from `flags`. Most of an evaluation's updates are of this
    // kind, a window's amount moving.
    bool entries_stand = false;
    if (old != nullptr) {
      --deltas_[{old->kind(), old->state()}];
      // The same occurrence: its keys differ only in group, severity and
      // raised_on (the old tail is made only when they moved).
      const bool same_keys = GroupOf(old->state()) == GroupOf(now.state()) &&
                             old->severity() == now.severity() &&
                             old->raised_on() == now.raised_on();
      if (!same_keys) {
        absl::StatusOr<std::string> old_tail = TailOf(account_id, *old);
        if (!old_tail.ok()) return old_tail.status();
        for (const std::string& k : IndexKeys(*old, *old_tail)) {
          if (absl::Status s = ctx_.Delete(kFlagIndex, k); !s.ok()) return s;
        }
      }
      entries_stand = same_keys && old->state() == now.state();
    }
    ++deltas_[{now.kind(), now.state()}];
    if (absl::Status s =
            ctx_.Put(kFlags,
                     keys::Flag(council_, account_id, KindKey(now.kind()), now.subject(),
                                static_cast<uint32_t>(now.occurrence())),
                     now.SerializeAsString());
        !s.ok()) {
      return s;
    }
    if (entries_stand) return absl::OkStatus();
    absl::StatusOr<std::string> tail = TailOf(account_id, now);
    if (!tail.ok()) return tail.status();  // the mutation fails whole
    const std::string index_value = FlagIndexValue(now);
    for (const std::string& k : IndexKeys(now, *tail)) {
      if (absl::Status s = ctx_.Put(kFlagIndex, k, index_value); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Applies the counted changes to the council's counts record.
  absl::Status Flush() {
    if (deltas_.empty()) return absl::OkStatus();
    storage::FlagCountsRecord counts;
    bool found;
    const std::string key = keys::FlagCounts(council_);
    if (absl::Status s = ctx_.GetMessage(kFlagIndex, key, &counts, &found); !s.ok()) return s;
    for (const auto& [k, delta] : deltas_) {
      const std::string name = FlagCountKey(k.first, k.second);
      int64_t& c = (*counts.mutable_counts())[name];
      c += delta;
      if (c == 0) counts.mutable_counts()->erase(name);
    }
    deltas_.clear();
    return ctx_.PutMessage(kFlagIndex, key, counts);
  }

 private:
  std::vector<std::string> IndexKeys(const v1::Flag& f, const std::string& tail) const {
    return IndexKeysWithTail(council_, f, tail);
  }

  WriteContext& ctx_;
  const std::string& council_;
  std::map<std::pair<v1::FlagKind, v1::FlagState>, int64_t> deltas_;
};

using FlagId = std::pair<int, std::string>;  // (kind, subject)

void AddLatest(v1::Flag f, std::map<FlagId, v1::Flag>* out);

// The latest occurrence of each (kind, subject) of an account, as the
// writer sees it.
absl::Status LatestFlags(WriteContext& ctx, const std::string& council,
                         const std::string& account_id, std::map<FlagId, v1::Flag>* out) {
  return ctx.ForEachPrefix(kFlags, keys::AccountParent(council, account_id),
                           [&](absl::string_view, absl::string_view value) -> absl::Status {
                             v1::Flag f;
                             if (absl::Status s = ParseRecord(value, &f, "flags"); !s.ok()) {
                               return s;
                             }
                             AddLatest(std::move(f), out);
                             return absl::OkStatus();
                           });
}

bool SameFacts(const v1::Flag& a, const v1::Flag& b) {
  return a.severity() == b.severity() && a.has_amount_pence() == b.has_amount_pence() &&
         a.amount_pence() == b.amount_pence() && a.date() == b.date() && a.detail() == b.detail();
}

// One write of an evaluation: `next` replaces `*old` (null: a new
// occurrence), which points into the planner's `latest`.
struct FlagChange {
  const v1::Flag* old = nullptr;
  v1::Flag next;
};

// What storing `flags` (the rules' flags of one account) over the `latest`
// stored occurrences changes. No change at all when they already agree.
// With `consume`, a flag raised is moved out of `flags` into its change.
absl::Status PlanChanges(const std::map<FlagId, v1::Flag>& latest, std::vector<v1::Flag>& flags,
                         bool consume, const std::string& as_of_text, const std::string& now,
                         std::vector<FlagChange>* changes, Store::EvaluationCounts* counts) {
  std::map<FlagId, v1::Flag*> found;
  for (v1::Flag& f : flags) found[{static_cast<int>(f.kind()), f.subject()}] = &f;
  auto raise = [&](v1::Flag& f, int occurrence) {
    FlagChange c;
    if (consume) {
      c.next = std::move(f);
    } else {
      c.next = f;
    }
    c.next.set_occurrence(occurrence);
    c.next.set_state(v1::OPEN);
    c.next.set_raised_on(as_of_text);
    c.next.set_raised_at(now);
    changes->push_back(std::move(c));
    ++counts->raised;
  };
  // What was stored: update, clear, or raise again.
  // Each flag copied only once it is known to change.
  for (const auto& [id, old] : latest) {
    auto hit = found.find(id);
    const bool holds = hit != found.end();
    v1::Flag next;
    switch (old.state()) {
      case v1::OPEN:
      case v1::ACKNOWLEDGED:
        if (holds) {
          if (SameFacts(old, *hit->second)) continue;
          next = old;
          next.set_severity(hit->second->severity());
          if (hit->second->has_amount_pence()) {
            next.set_amount_pence(hit->second->amount_pence());
          } else {
            next.clear_amount_pence();
          }
          next.set_date(hit->second->date());
          next.set_detail(hit->second->detail());
          ++counts->updated;
        } else {
          next = old;
          next.set_state(v1::CLEARED);
          next.set_cleared_on(as_of_text);
          ++counts->cleared;
        }
        break;
      case v1::RESOLVED:
        // Resolved stays resolved while it holds; once it has stopped
        // holding, holding again is a new occurrence.
        if (holds && old.cleared_on().empty()) continue;
        if (holds) {
          raise(*hit->second, old.occurrence() + 1);
          continue;
        }
        if (!old.cleared_on().empty()) continue;
        next = old;
        next.set_cleared_on(as_of_text);
        break;
      case v1::CLEARED:
        if (!holds) continue;
        raise(*hit->second, old.occurrence() + 1);
        continue;
      default:
        return absl::DataLossError("stored flag without a state");
    }
    changes->push_back(FlagChange{&old, std::move(next)});
  }
  // New (kind, subject)s.
  for (const auto& [id, f] : found) {
    if (!latest.count(id)) raise(*f, 1);
  }
  return absl::OkStatus();
}

void AddLatest(v1::Flag f, std::map<FlagId, v1::Flag>* out) {
  FlagId id{static_cast<int>(f.kind()), f.subject()};
  auto it = out->find(id);
  if (it == out->end() || it->second.occurrence() < f.occurrence()) (*out)[id] = std::move(f);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FlagIndexKeys(const std::string& council,
                                                       const std::string& account_id,
                                                       const v1::Flag& flag) {
  absl::StatusOr<std::string> tail = TailOf(account_id, flag);
  if (!tail.ok()) return tail.status();
  return IndexKeysWithTail(council, flag, *tail);
}

std::string FlagIndexValue(const v1::Flag& flag) {
  return std::string(1, static_cast<char>(flag.state()));
}

absl::StatusOr<v1::FlagState> FlagIndexEntryState(absl::string_view value) {
  if (value.size() == 1) {
    const int state = static_cast<unsigned char>(value[0]);
    if (v1::FlagState_IsValid(state) && state != v1::FLAG_STATE_UNSPECIFIED) {
      return static_cast<v1::FlagState>(state);
    }
  }
  return absl::DataLossError("stored flag_index entry: not a flag's state");
}

absl::Status RebuildFlagIndex(rocksdb::DB* db,
                              const std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
  constexpr int kBatchEntries = 10000;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::WriteBatch batch;
  int in_batch = 0;
  auto add = [&](bool put, const rocksdb::Slice& key, const rocksdb::Slice& value) {
    rocksdb::Status s =
        put ? batch.Put(cfs[kFlagIndex], key, value) : batch.Delete(cfs[kFlagIndex], key);
    if (s.ok() && ++in_batch == kBatchEntries) {
      s = db->Write(wo, &batch);
      batch.Clear();
      in_batch = 0;
    }
    return FromRocks(s, "rebuilding the flag index");
  };
  // Every entry goes (the counts and evaluation records stay)...
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cfs[kFlagIndex]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const absl::string_view key = View(it->key());
      const size_t sep = key.find('\0');  // council \0 ...
      if (sep == absl::string_view::npos || !keys::DecodeFlagIndex(key, key.substr(0, sep))) {
        continue;
      }
      if (absl::Status s = add(false, it->key(), {}); !s.ok()) return s;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the flag index");
  }
  // ...and each stored flag's are written (after the deletes, in the same
  // or a later batch: a key both deleted and written ends written).
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cfs[kFlags]));
  v1::Flag flag;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    const size_t sep = key.find('\0');  // council \0 account \0 ...
    const std::string council(key.substr(0, sep == absl::string_view::npos ? 0 : sep));
    std::optional<std::string> account = keys::DecodeFlagAccount(key, council);
    if (!account) return absl::DataLossError("stored flag: unreadable key");
    if (absl::Status s = ParseRecord(View(it->value()), &flag, "flags"); !s.ok()) return s;
    absl::StatusOr<std::vector<std::string>> index = FlagIndexKeys(council, *account, flag);
    if (!index.ok()) return index.status();
    const std::string value = FlagIndexValue(flag);
    for (const std::string& k : *index) {
      if (absl::Status s = add(true, k, value); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading flags");
  if (in_batch == 0) return absl::OkStatus();
  return FromRocks(db->Write(wo, &batch), "rebuilding the flag index");
}

absl::StatusOr<bool> Store::ChangesFlags(const std::string& as_of_text, const std::string& now,
                                         AccountEvaluation* a) {
  std::map<FlagId, v1::Flag> latest;
  for (v1::Flag& f : *a->stored) AddLatest(std::move(f), &latest);
  a->stored.reset();
  // Nothing stored yet (an account's first evaluation): every flag is new.
  if (latest.empty()) return !a->flags.empty();
  std::vector<FlagChange> changes;
  EvaluationCounts unused;
  if (absl::Status s =
          PlanChanges(latest, a->flags, /*consume=*/false, as_of_text, now, &changes, &unused);
      !s.ok()) {
    return s;
  }
  return !changes.empty();
}

absl::StatusOr<bool> Store::FlagsChange(const std::vector<v1::Flag>& stored,
                                        const std::vector<domain::RuleFlag>& flags) {
  // PlanChanges' conditions for leaving each flag as it is, over the same
  // pairing: the latest stored occurrence of each (kind, subject) (the
  // first of equal occurrences, as AddLatest keeps), and the rules' flag of
  // each (kind, subject) (the last, as PlanChanges' map keeps). An account
  // has a handful of flags: lists, not maps.
  std::vector<const v1::Flag*> latest;
  latest.reserve(stored.size());
  for (const v1::Flag& f : stored) {
    auto same = std::find_if(latest.begin(), latest.end(), [&](const v1::Flag* l) {
      return l->kind() == f.kind() && l->subject() == f.subject();
    });
    if (same == latest.end()) {
      latest.push_back(&f);
    } else if ((*same)->occurrence() < f.occurrence()) {
      *same = &f;
    }
  }
  auto rule_flag = [&](const v1::Flag& l) -> const domain::RuleFlag* {
    for (auto it = flags.rbegin(); it != flags.rend(); ++it) {
      if (ToProto(it->kind) == l.kind() && it->subject == l.subject()) return &*it;
    }
    return nullptr;
  };
  // As PlanChanges: a latest occurrence without a state is an error,
  // whatever else changes.
  for (const v1::Flag* l : latest) {
    if (l->state() != v1::OPEN && l->state() != v1::ACKNOWLEDGED && l->state() != v1::RESOLVED &&
        l->state() != v1::CLEARED) {
      return absl::DataLossError("stored flag without a state");
    }
  }
  size_t holding = 0;  // stored (kind, subject)s the rules found
  for (const v1::Flag* l : latest) {
    const domain::RuleFlag* f = rule_flag(*l);
    if (f != nullptr) ++holding;
    switch (l->state()) {
      case v1::OPEN:
      case v1::ACKNOWLEDGED:
        // Still holding, with the same facts (SameFacts of FlagToProto's flag).
        if (f == nullptr || ToProto(f->severity) != l->severity() ||
            f->amount_pence.has_value() != l->has_amount_pence() ||
            f->amount_pence.value_or(0) != l->amount_pence() || f->detail != l->detail()) {
          return true;
        }
        if (f->date ? f->date->ToString() != l->date() : !l->date().empty()) return true;
        break;
      case v1::RESOLVED:
        // Holds and never cleared since, or stopped holding and cleared.
        if ((f != nullptr) != l->cleared_on().empty()) return true;
        break;
      default:  // CLEARED (every other state was refused above)
        if (f != nullptr) return true;
        break;
    }
  }
  // Every (kind, subject) the rules found is stored already.
  size_t found = 0;
  for (size_t i = 0; i < flags.size(); ++i) {
    bool repeated = false;  // counted at its last
    for (size_t j = i + 1; j < flags.size() && !repeated; ++j) {
      repeated = flags[j].kind == flags[i].kind && flags[j].subject == flags[i].subject;
    }
    if (!repeated) ++found;
  }
  return found != holding;
}

absl::StatusOr<Store::EvaluationCounts> Store::ApplyEvaluation(
    const std::string& council_id, Date as_of, const std::string& now,
    std::vector<AccountEvaluation> accounts) {
  const std::string as_of_text = as_of.ToString();
  // Most accounts' flags do not change from one day to the next: find those
  // from committed state here, off the writer thread, and leave them out.
  // (The writer plans again from what it sees, so a change in between is
  // never lost.)
  {
    std::vector<AccountEvaluation> changed;
    for (AccountEvaluation& a : accounts) {
      if (a.changes) {
        changed.push_back(std::move(a));
        continue;
      }
      if (!a.stored) {
        absl::StatusOr<std::vector<v1::Flag>> stored = GetAccountFlags(council_id, a.account_id);
        if (!stored.ok()) return stored.status();
        a.stored = *std::move(stored);
      }
      absl::StatusOr<bool> changes = ChangesFlags(as_of_text, now, &a);
      if (!changes.ok()) return changes.status();
      if (*changes) changed.push_back(std::move(a));
    }
    accounts = std::move(changed);
  }
  EvaluationCounts counts;
  if (accounts.empty()) return counts;
  absl::Status status = impl_->RunSync([&](WriteContext& ctx) -> absl::Status {
    counts = EvaluationCounts();
    FlagWriter writer(ctx, council_id);
    // Each account's flags are planned once (a mutation runs once), so
    // those raised are moved into their writes.
    for (AccountEvaluation& a : accounts) {
      std::map<FlagId, v1::Flag> latest;
      if (absl::Status s = LatestFlags(ctx, council_id, a.account_id, &latest); !s.ok()) return s;
      std::vector<FlagChange> changes;
      if (absl::Status s =
              PlanChanges(latest, a.flags, /*consume=*/true, as_of_text, now, &changes, &counts);
          !s.ok()) {
        return s;
      }
      for (const FlagChange& c : changes) {
        if (absl::Status s = writer.Write(a.account_id, c.old, c.next); !s.ok()) {
          return s;
        }
      }
    }
    return writer.Flush();
  });
  if (!status.ok()) return status;
  return counts;
}

absl::Status Store::RecordCouncilEvaluation(const std::string& council_id,
                                            const storage::EvaluationRecord& record) {
  return impl_->RunSync([&](WriteContext& ctx) {
    return ctx.PutMessage(kFlagIndex, keys::CouncilEvaluation(council_id), record);
  });
}

absl::StatusOr<storage::EvaluationRecord> Store::GetCouncilEvaluation(
    const std::string& council_id) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kFlagIndex),
                                       keys::CouncilEvaluation(council_id), &value);
  storage::EvaluationRecord record;
  if (s.IsNotFound()) return record;
  if (!s.ok()) return FromRocks(s, "reading evaluation");
  if (absl::Status p = ParseRecord(value, &record, "evaluation"); !p.ok()) return p;
  return record;
}

absl::StatusOr<std::vector<v1::Flag>> Store::GetAccountFlags(const std::string& council_id,
                                                             const std::string& account_id) {
  std::vector<v1::Flag> out;
  const std::string prefix = keys::AccountParent(council_id, account_id);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kFlags)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::Flag f;
    if (absl::Status s = ParseRecord(View(it->value()), &f, "flags"); !s.ok()) return s;
    out.push_back(std::move(f));
  }
  if (absl::Status s = FromRocks(it->status(), "reading flags"); !s.ok()) return s;
  return out;
}

namespace {
bool Matches(const Store::FlagQuery& q, const v1::Flag& f) {
  if (!q.states.empty() &&
      std::find(q.states.begin(), q.states.end(), f.state()) == q.states.end()) {
    return false;
  }
  if (q.kind != v1::FLAG_KIND_UNSPECIFIED && f.kind() != q.kind) return false;
  if (q.severity != v1::SEVERITY_UNSPECIFIED && f.severity() != q.severity) return false;
  return q.groups.find(GroupOf(f.state())) != std::string::npos;
}
}  // namespace

absl::StatusOr<Page<v1::Flag>> Store::ListFlags(const std::string& council_id,
                                                const FlagQuery& query,
                                                const std::string& after_key, int limit) {
  Page<v1::Flag> page;
  // Resume keys are group + tail; groups are listed in query order.
  auto group_rank = [&](char g) { return query.groups.find(g); };
  if (!query.account_id.empty()) {
    absl::StatusOr<std::vector<v1::Flag>> all = GetAccountFlags(council_id, query.account_id);
    if (!all.ok()) return all.status();
    std::vector<std::pair<std::string, v1::Flag*>> rows;
    for (v1::Flag& f : *all) {
      if (!Matches(query, f)) continue;
      absl::StatusOr<std::string> tail = TailOf(query.account_id, f);
      if (!tail.ok()) return tail.status();
      rows.emplace_back(std::string(1, GroupOf(f.state())) + *tail, &f);
    }
    auto less = [&](const std::string& a, const std::string& b) {
      if (a[0] != b[0]) return group_rank(a[0]) < group_rank(b[0]);
      return a < b;
    };
    std::sort(rows.begin(), rows.end(),
              [&](const auto& x, const auto& y) { return less(x.first, y.first); });
    for (auto& [key, f] : rows) {
      if (!after_key.empty() && !less(after_key, key)) continue;
      if (static_cast<int>(page.items.size()) == limit) return page;
      page.items.push_back(*f);
      page.next_key = key;
    }
    page.next_key.clear();
    return page;
  }

  // The index and the flags it lists, read as of one moment.
  const rocksdb::Snapshot* snapshot = impl_->db()->GetSnapshot();
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~Release() { db->ReleaseSnapshot(s); }
  } release{impl_->db(), snapshot};
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kFlagIndex)));
  std::string value;
  for (char group : query.groups) {
    if (!after_key.empty() && group_rank(group) < group_rank(after_key[0])) continue;
    std::string prefix = query.kind != v1::FLAG_KIND_UNSPECIFIED
                             ? keys::FlagByKindPrefix(council_id, KindKey(query.kind), group)
                             : keys::FlagByGroupPrefix(council_id, group);
    if (query.severity != v1::SEVERITY_UNSPECIFIED) {
      prefix.push_back(static_cast<char>('0' + (3 - static_cast<int>(query.severity))));
    }
    const std::string base = query.kind != v1::FLAG_KIND_UNSPECIFIED
                                 ? keys::FlagByKindPrefix(council_id, KindKey(query.kind), group)
                                 : keys::FlagByGroupPrefix(council_id, group);
    std::string start = prefix;
    const bool resume = !after_key.empty() && after_key[0] == group;
    if (resume && base + after_key.substr(1) > start) start = base + after_key.substr(1);
    v1::Flag f;
    for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      absl::string_view tail = View(it->key()).substr(base.size());
      if (resume && tail == absl::string_view(after_key).substr(1)) continue;
      absl::StatusOr<v1::FlagState> state = FlagIndexEntryState(View(it->value()));
      if (!state.ok()) return state.status();
      // The key holds the kind and severity (in the prefix when asked for)
      // and the group; the state is all that is left to filter on.
      if (!query.states.empty() &&
          std::find(query.states.begin(), query.states.end(), *state) == query.states.end()) {
        continue;
      }
      // A page full and one more to list: the page is done (next_key: the last kept).
      if (static_cast<int>(page.items.size()) == limit) return page;
      std::optional<keys::FlagIndexKeyParts> parts =
          keys::DecodeFlagIndex(View(it->key()), council_id);
      if (!parts) return absl::DataLossError("stored flag_index entry: unreadable key");
      rocksdb::Status s = impl_->db()->Get(
          ro, impl_->cf(kFlags),
          keys::Flag(council_id, parts->account, parts->kind, parts->subject, parts->occurrence),
          &value);
      if (s.IsNotFound()) {
        return absl::DataLossError(absl::StrCat("the flag index lists a ", parts->kind,
                                                " flag of account ", parts->account,
                                                " that is not stored"));
      }
      if (!s.ok()) return FromRocks(s, "reading a listed flag");
      if (absl::Status p = ParseRecord(value, &f, "flags"); !p.ok()) return p;
      if (!Matches(query, f)) continue;
      page.items.push_back(f);
      page.next_key = absl::StrCat(std::string(1, group), tail);
    }
    if (absl::Status s = FromRocks(it->status(), "listing flags"); !s.ok()) return s;
  }
  page.next_key.clear();
  return page;
}

absl::StatusOr<storage::FlagCountsRecord> Store::CountFlags(const std::string& council_id) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kFlagIndex),
                                       keys::FlagCounts(council_id), &value);
  storage::FlagCountsRecord record;
  if (s.IsNotFound()) return record;
  if (!s.ok()) return FromRocks(s, "reading flag counts");
  if (absl::Status p = ParseRecord(value, &record, "flag counts"); !p.ok()) return p;
  return record;
}

absl::StatusOr<v1::Flag> Store::ActOnFlag(const std::string& council_id,
                                          const std::string& account_id, v1::FlagKind kind,
                                          const std::string& subject, const v1::FlagAction& action,
                                          const RequestKey& key) {
  return impl_->RunIdempotent<v1::Flag>(key, [&](WriteContext& ctx, v1::Flag* out) {
    v1::Flag latest;
    bool any = false;
    if (absl::Status s = ctx.ForEachPrefix(
            kFlags, keys::FlagSubjectPrefix(council_id, account_id, KindKey(kind), subject),
            [&](absl::string_view, absl::string_view value) {
              any = true;
              return ParseRecord(value, &latest, "flags");
            });
        !s.ok()) {
      return s;
    }
    if (!any) {
      return absl::NotFoundError(absl::StrFormat(
          "account \"%s\" has no %s flag with subject \"%s\"", account_id, KindKey(kind), subject));
    }
    if (latest.state() != v1::OPEN && latest.state() != v1::ACKNOWLEDGED) {
      return absl::FailedPreconditionError(
          absl::StrFormat("the flag is %s; only an OPEN or ACKNOWLEDGED flag can be acted on",
                          v1::FlagState_Name(latest.state())));
    }
    if (action.state() == v1::RESOLVED && kind != v1::RESTRICTED_SPEND &&
        kind != v1::EVIDENCE_REQUIRED) {
      return WithField(
          absl::FailedPreconditionError(absl::StrFormat(
              "%s clears by itself when its condition stops holding; only RESTRICTED_SPEND and "
              "EVIDENCE_REQUIRED flags are resolved",
              KindKey(kind))),
          "kind");
    }
    v1::Flag next = latest;
    next.set_state(action.state());
    *next.add_actions() = action;
    FlagWriter writer(ctx, council_id);
    if (absl::Status s = writer.Write(account_id, &latest, next); !s.ok()) return s;
    *out = next;
    return writer.Flush();
  });
}

}  // namespace dpmon
