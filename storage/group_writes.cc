#include "storage/group_writes.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace dpmon {

GroupWrites::GroupWrites(int cf_count, const std::vector<bool>& scanned)
    : index_(cf_count), scanned_(scanned), ordered_(cf_count) {
  scanned_.resize(cf_count, false);
}

const GroupWrites::Value* GroupWrites::Find(int cf, absl::string_view key) const {
  const auto& m = index_[cf];
  if (m.empty()) return nullptr;
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second->value;
}

void GroupWrites::Set(int cf, absl::string_view key, Value v) {
  auto& m = index_[cf];
  auto it = m.find(key);
  if (it == m.end()) {
    Entry& e = entries_.emplace_back(Entry{cf, entries_.size(), std::string(key), std::move(v)});
    m.emplace(e.key, &e);
    if (scanned_[cf]) ordered_[cf].insert(e.key);
    return;
  }
  Entry* e = it->second;
  // A key the running mutation added goes when it is undone; one from
  // before gets its value back.
  if (marked_ && e->ordinal < mark_) overwritten_.emplace_back(e, std::move(e->value));
  e->value = std::move(v);
}

void GroupWrites::Put(int cf, absl::string_view key, std::string value) {
  Set(cf, key, Value{std::move(value), false});
}

void GroupWrites::Delete(int cf, absl::string_view key) { Set(cf, key, Value{{}, true}); }

void GroupWrites::Mark() {
  overwritten_.clear();
  mark_ = entries_.size();
  marked_ = true;
}

void GroupWrites::Undo() {
  for (auto it = overwritten_.rbegin(); it != overwritten_.rend(); ++it) {
    it->first->value = std::move(it->second);
  }
  overwritten_.clear();
  while (entries_.size() > mark_) {
    const Entry& e = entries_.back();
    index_[e.cf].erase(e.key);
    if (scanned_[e.cf]) ordered_[e.cf].erase(e.key);
    entries_.pop_back();
  }
  marked_ = false;
}

void GroupWrites::Keep() {
  overwritten_.clear();
  marked_ = false;
}

std::vector<std::pair<std::string, GroupWrites::Value>> GroupWrites::Prefix(
    int cf, absl::string_view prefix) const {
  std::vector<std::pair<std::string, Value>> out;
  const auto& m = index_[cf];
  if (m.empty()) return out;
  if (scanned_[cf]) {
    const auto& keys = ordered_[cf];
    for (auto it = keys.lower_bound(prefix); it != keys.end(); ++it) {
      if (!absl::StartsWith(*it, prefix)) break;
      out.emplace_back(std::string(*it), m.find(*it)->second->value);
    }
    return out;
  }
  for (const auto& [k, e] : m) {
    if (absl::StartsWith(k, prefix)) out.emplace_back(std::string(k), e->value);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

rocksdb::Status GroupWrites::Fill(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                                  rocksdb::WriteBatch* batch) const {
  // Every key once, and each scanned family's ordered keys the same keys as
  // its index: else a key would be written twice or a scan within the group
  // would have missed one. Refuse the group rather than write it.
  size_t indexed = 0;
  for (size_t cf = 0; cf < index_.size(); ++cf) {
    indexed += index_[cf].size();
    if (scanned_[cf] && ordered_[cf].size() != index_[cf].size()) {
      return rocksdb::Status::Corruption(
          "group writes: a family's ordered keys and index disagree");
    }
  }
  if (indexed != entries_.size()) {
    return rocksdb::Status::Corruption("group writes: a key is in the group twice");
  }
  // In the order written: the memtable's insert hints (by account) make an
  // account's new rows cheap to place; sorting the group first measured no
  // faster (docs/benchmarks.md).
  for (const Entry& e : entries_) {
    rocksdb::Status s = e.value.deleted ? batch->Delete(cfs[e.cf], e.key)
                                        : batch->Put(cfs[e.cf], e.key, e.value.bytes);
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

}  // namespace dpmon
