// The writes of one commit group before they reach RocksDB. Not for use
// outside storage/.
//
// The writer applies every mutation of a group here: later mutations of the
// group (and, while this group is being committed, the next group) read
// them back; a mutation that fails is undone; at the end the group's final
// state becomes one WriteBatch, every key once, in key order. That replaces
// a WriteBatchWithIndex, whose skiplist index and whose unsorted batch (each
// overwrite inserted again into the memtable) were most of the writer's time
// (docs/benchmarks.md).
#ifndef DPMON_STORAGE_GROUP_WRITES_H_
#define DPMON_STORAGE_GROUP_WRITES_H_

#include <cstddef>
#include <optional>
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

  void Put(int cf, absl::string_view key, absl::string_view value);
  void Delete(int cf, absl::string_view key);

  // The undo log: Mark() starts a mutation, Undo() takes back every write
  // since, Keep() keeps them.
  void Mark();
  void Undo();
  void Keep();

  // The group's writes of keys starting with `prefix`, in key order, copied.
  std::vector<std::pair<std::string, Value>> Prefix(int cf, absl::string_view prefix) const;

  // Every key once, ordered by column family then key.
  rocksdb::Status Fill(const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                       rocksdb::WriteBatch* batch) const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Undone {
    int cf;
    std::string key;
    std::optional<Value> before;  // none: the group had not written it
  };
  void Set(int cf, absl::string_view key, Value v);

  std::vector<absl::flat_hash_map<std::string, Value>> maps_;
  std::vector<bool> scanned_;
  std::vector<absl::btree_set<std::string>> ordered_;
  std::vector<Undone> undo_;
  bool marked_ = false;
  size_t size_ = 0;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_GROUP_WRITES_H_
