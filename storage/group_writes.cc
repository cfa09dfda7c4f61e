#include "storage/group_writes.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace dpmon {

GroupWrites::GroupWrites(int cf_count, const std::vector<bool>& scanned)
    : maps_(cf_count), scanned_(scanned), ordered_(cf_count) {
  scanned_.resize(cf_count, false);
}

const GroupWrites::Value* GroupWrites::Find(int cf, absl::string_view key) const {
  const auto& m = maps_[cf];
  if (m.empty()) return nullptr;
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

void GroupWrites::Set(int cf, absl::string_view key, Value v) {
  auto& m = maps_[cf];
  auto it = m.find(key);
  if (it == m.end()) {
    if (marked_) undo_.push_back({cf, std::string(key), std::nullopt});
    m.emplace(std::string(key), std::move(v));
    if (scanned_[cf]) ordered_[cf].insert(std::string(key));
    ++size_;
    return;
  }
  if (marked_) undo_.push_back({cf, std::string(key), std::move(it->second)});
  it->second = std::move(v);
}

void GroupWrites::Put(int cf, absl::string_view key, absl::string_view value) {
  Set(cf, key, Value{std::string(value), false});
}

void GroupWrites::Delete(int cf, absl::string_view key) { Set(cf, key, Value{{}, true}); }

void GroupWrites::Mark() {
  undo_.clear();
  marked_ = true;
}

void GroupWrites::Undo() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    auto& m = maps_[it->cf];
    if (it->before) {
      m[it->key] = std::move(*it->before);
    } else {
      m.erase(it->key);
      if (scanned_[it->cf]) ordered_[it->cf].erase(it->key);
      --size_;
    }
  }
  undo_.clear();
  marked_ = false;
}

void GroupWrites::Keep() {
  undo_.clear();
  marked_ = false;
}

std::vector<std::pair<std::string, GroupWrites::Value>> GroupWrites::Prefix(
    int cf, absl::string_view prefix) const {
  std::vector<std::pair<std::string, Value>> out;
  const auto& m = maps_[cf];
  if (m.empty()) return out;
  if (scanned_[cf]) {
    const auto& keys = ordered_[cf];
    for (auto it = keys.lower_bound(prefix); it != keys.end(); ++it) {
      if (!absl::StartsWith(*it, prefix)) break;
      out.emplace_back(*it, m.find(*it)->second);
    }
    return out;
  }
  for (const auto& [k, v] : m) {
    if (absl::StartsWith(k, prefix)) out.emplace_back(k, v);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

rocksdb::Status GroupWrites::Fill(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                                  rocksdb::WriteBatch* batch) const {
  std::vector<const std::pair<const std::string, Value>*> entries;
  for (size_t cf = 0; cf < maps_.size(); ++cf) {
    const auto& m = maps_[cf];
    if (m.empty()) continue;
    entries.clear();
    entries.reserve(m.size());
    for (const auto& kv : m) entries.push_back(&kv);
    // In key order, so that the memtable inserts walk its skiplist forwards
    // instead of searching it afresh from the top for every key.
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* kv : entries) {
      const Value& v = kv->second;
      rocksdb::Status s =
          v.deleted ? batch->Delete(cfs[cf], kv->first) : batch->Put(cfs[cf], kv->first, v.bytes);
      if (!s.ok()) return s;
    }
  }
  return rocksdb::Status::OK();
}

}  // namespace dpmon
