// The writes of one commit group before they reach RocksDB. Not for use
// outside storage/.
//
// The writer applies every mutation of a group here: later mutations of the
// group (and, while this group is being committed, the next group) read
// them back; a mutation that fails is undone; at the end the group's final
// state becomes one WriteBatch, every key once. That replaces
// a WriteBatchWithIndex, whose skiplist index and whose unsorted batch (each
// overwrite inserted again into the memtable) were most of the writer's time
// (docs/benchmarks.md).
//
// Entries live in a deque (stable addresses), indexed per column family by
// a hash map of views of their keys; a mutation's new keys are the deque's
// tail, so undoing them is popping it.
#ifndef DPMON_STORAGE_GROUP_WRITES_H_
#define DPMON_STORAGE_GROUP_WRITES_H_

#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace dpmon {

class GroupWrites {
 public:
  struct Value {
    std::string bytes;
    bool deleted = false;
  };

  // `cf_count` column families; `scanned[i]` says whether prefix scans of
  // family i are frequent enough to keep its keys ordered as they are
  // written (others are sorted when scanned).
  GroupWrites(int cf_count, const std::vector<bool>& scanned);

  // The group's latest write of `key`, or null if it has none.
  const Value* Find(int cf, absl::string_view key) const;

  void Put(int cf, absl::string_view key, std::string value);
  void Delete(int cf, absl::string_view key);

  // The undo log: Mark() starts a mutation, Undo() takes back every write
  // since, Keep() keeps them.
  void Mark();
  void Undo();
  void Keep();

  // The group's writes of keys starting with `prefix`, in key order, copied.
  std::vector<std::pair<std::string, Value>> Prefix(int cf, absl::string_view prefix) const;

  // Every key once, in the order first written.
  rocksdb::Status Fill(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                       rocksdb::WriteBatch* batch) const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    int cf;
    size_t ordinal;  // its position in entries_
    std::string key;
    Value value;
  };
  void Set(int cf, absl::string_view key, Value v);

  std::deque<Entry> entries_;
  std::vector<absl::flat_hash_map<absl::string_view, Entry*>> index_;
  std::vector<bool> scanned_;
  std::vector<absl::btree_set<absl::string_view>> ordered_;
  // The running mutation: entries_ from `mark_` on are its new keys; for
  // keys it overwrote, what they held before.
  size_t mark_ = 0;
  bool marked_ = false;
  std::vector<std::pair<Entry*, Value>> overwritten_;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_GROUP_WRITES_H_
