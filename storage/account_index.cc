#include "storage/account_index.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "domain/search.h"
#include "dpmon/v1/storage.pb.h"
#include "storage/db.h"
#include "storage/group_commit.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace dpmon {

std::vector<std::pair<std::string, std::string>> AccountIndexEntries(absl::string_view council,
                                                                     absl::string_view account_id,
                                                                     const v1::Account& account) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!account.assigned_officer().empty()) {
    out.emplace_back(
        keys::AccountIndex(council, keys::kIndexOfficer,
                           absl::StripPrefix(account.assigned_officer(), "keys/"), account_id),
        "");
  }
  if (!account.person_ref().empty()) {
    out.emplace_back(
        keys::AccountIndex(council, keys::kIndexPersonRef, account.person_ref(), account_id), "");
  }
  for (const v1::ExternalRef& ref : account.external_refs()) {
    out.emplace_back(keys::AccountIndex(council, keys::kIndexExternalRef, ref.ref(), account_id),
                     "");
  }
  // A name word's entry holds the whole name, so that a search orders and
  // checks its candidates without reading their records.
  for (const std::string& word : domain::NameWords(account.display_name())) {
    out.emplace_back(keys::AccountIndex(council, keys::kIndexNameWord, word, account_id),
                     account.display_name());
  }
  if (account.recoveries_size() > 0) {
    out.emplace_back(keys::AccountIndex(council, keys::kIndexRecoveries, "", account_id), "");
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  return out;
}

std::vector<std::string> AccountIndexKeys(absl::string_view council, absl::string_view account_id,
                                          const v1::Account& account) {
  std::vector<std::string> out;
  for (auto& [key, value] : AccountIndexEntries(council, account_id, account)) {
    out.push_back(std::move(key));
  }
  return out;
}

absl::Status ReindexAccount(WriteContext& ctx, absl::string_view council,
                            absl::string_view account_id, const v1::Account* before,
                            const v1::Account& after) {
  const std::vector<std::pair<std::string, std::string>> old_entries =
      before == nullptr ? std::vector<std::pair<std::string, std::string>>{}
                        : AccountIndexEntries(council, account_id, *before);
  const std::vector<std::pair<std::string, std::string>> new_entries =
      AccountIndexEntries(council, account_id, after);
  // Entries are sorted by key, and each key has one value: the difference
  // of the (key, value) pairs is what to delete and what to write.
  std::vector<std::pair<std::string, std::string>> gone, added;
  std::set_difference(old_entries.begin(), old_entries.end(), new_entries.begin(),
                      new_entries.end(), std::back_inserter(gone));
  std::set_difference(new_entries.begin(), new_entries.end(), old_entries.begin(),
                      old_entries.end(), std::back_inserter(added));
  for (const auto& [k, v] : gone) {
    const bool rewritten =
        std::binary_search(added.begin(), added.end(), std::pair<std::string, std::string>(k, ""),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
    if (rewritten) continue;
    if (absl::Status s = ctx.Delete(kAccountIndex, k); !s.ok()) return s;
  }
  for (const auto& [k, v] : added) {
    if (absl::Status s = ctx.Put(kAccountIndex, k, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status BuildAccountIndex(rocksdb::DB* db,
                               const std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cfs[kAccounts]));
  storage::AccountRecord record;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = View(it->key());
    const size_t sep = key.find('\0');  // council \0 account
    if (sep == absl::string_view::npos) return absl::DataLossError("unreadable account key");
    if (absl::Status s = ParseRecord(View(it->value()), &record, "account"); !s.ok()) return s;
    for (const auto& [k, v] :
         AccountIndexEntries(key.substr(0, sep), key.substr(sep + 1), record.account())) {
      if (rocksdb::Status s = batch.Put(cfs[kAccountIndex], k, v); !s.ok()) {
        return FromRocks(s, "building the account index");
      }
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading accounts");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Write(wo, &batch), "writing the account index");
}

// ---- Store's reads of the index, and case notes ----

absl::StatusOr<Page<Store::IndexHit>> Store::FindAccounts(const std::string& council_id,
                                                          IndexKind kind, const std::string& value,
                                                          bool prefix, const std::string& after_key,
                                                          int limit) {
  const char k = static_cast<char>(kind);
  const std::string lower = prefix ? keys::AccountIndexPrefix(council_id, k, value)
                                   : keys::AccountIndexExact(council_id, k, value);
  const std::string upper = keys::PrefixEnd(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kAccountIndex)));
  if (!after_key.empty() && after_key >= lower) {
    it->Seek(after_key);
    if (it->Valid() && it->key() == after_key) it->Next();
  } else {
    it->Seek(lower);
  }
  Page<IndexHit> page;
  std::string last;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = last;
      break;
    }
    std::optional<keys::AccountIndexParts> parts =
        keys::DecodeAccountIndex(View(it->key()), council_id, k);
    if (!parts) return absl::DataLossError("unreadable account index key");
    last = it->key().ToString();
    page.items.push_back(
        IndexHit{std::move(parts->value), std::move(parts->account), it->value().ToString()});
  }
  if (absl::Status s = FromRocks(it->status(), "reading the account index"); !s.ok()) return s;
  return page;
}

absl::StatusOr<std::vector<v1::Account>> Store::GetAccounts(
    const std::string& council_id, const std::vector<std::string>& account_ids) {
  std::vector<std::string> key_bytes;
  key_bytes.reserve(account_ids.size());
  for (const std::string& id : account_ids) key_bytes.push_back(keys::Account(council_id, id));
  std::vector<rocksdb::Slice> key_slices(key_bytes.begin(), key_bytes.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(key_bytes.size(), impl_->cf(kAccounts));
  std::vector<std::string> values;
  rocksdb::ReadOptions ro;
  const rocksdb::Snapshot* snapshot = impl_->db()->GetSnapshot();
  ro.snapshot = snapshot;
  std::vector<rocksdb::Status> statuses = impl_->db()->MultiGet(ro, cfs, key_slices, &values);
  impl_->db()->ReleaseSnapshot(snapshot);
  std::vector<v1::Account> out;
  out.reserve(account_ids.size());
  storage::AccountRecord record;
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading accounts");
    if (absl::Status s = ParseRecord(values[i], &record, "account"); !s.ok()) return s;
    out.push_back(std::move(*record.mutable_account()));
  }
  return out;
}

absl::StatusOr<v1::CaseNote> Store::AddCaseNote(const std::string& council_id,
                                                const std::string& account_id, v1::CaseNote note,
                                                const RequestKey& key) {
  return impl_->RunIdempotent<v1::CaseNote>(key, [&](WriteContext& ctx, v1::CaseNote* out) {
    std::string unused;
    bool found;
    if (absl::Status s = ctx.Get(kAccounts, keys::Account(council_id, account_id), &unused, &found);
        !s.ok()) {
      return s;
    }
    if (!found) {
      return absl::NotFoundError(
          absl::StrFormat("account \"%s\" not found in council \"%s\"", account_id, council_id));
    }
    const uint64_t seq = ctx.NextSequence();
    note.set_name(absl::StrCat(seq));
    *out = note;
    return ctx.PutMessage(kNotes, keys::CaseNote(council_id, account_id, seq), note);
  });
}

absl::StatusOr<Page<v1::CaseNote>> Store::ListCaseNotes(const std::string& council_id,
                                                        const std::string& account_id,
                                                        const std::string& after_key, int limit) {
  const std::string lower = keys::AccountParent(council_id, account_id);
  const std::string upper = keys::PrefixEnd(lower);
  rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kNotes)));
  if (!after_key.empty() && after_key < upper) {
    it->SeekForPrev(after_key);
    if (it->Valid() && it->key() == after_key) it->Prev();
  } else {
    it->SeekForPrev(upper);
    if (it->Valid() && it->key() == upper) it->Prev();
  }
  Page<v1::CaseNote> page;
  std::string last;
  for (; it->Valid() && it->key().starts_with(lower); it->Prev()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = last;
      break;
    }
    v1::CaseNote note;
    if (absl::Status s = ParseRecord(View(it->value()), &note, "case note"); !s.ok()) return s;
    last = it->key().ToString();
    page.items.push_back(std::move(note));
  }
  if (absl::Status s = FromRocks(it->status(), "reading case notes"); !s.ok()) return s;
  return page;
}

}  // namespace dpmon
