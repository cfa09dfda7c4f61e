#include "storage/db.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/private_dir.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"

namespace dpmon {

std::shared_ptr<const rocksdb::SliceTransform> AccountHint(bool totals) {
  return std::make_shared<AccountHintPrefix>(totals);
}

absl::Status OpenDb(const std::string& path, size_t block_cache_bytes,
                    std::unique_ptr<rocksdb::DB>* db,
                    std::vector<rocksdb::ColumnFamilyHandle*>* cfs, int* upgrade_from) {
  *upgrade_from = 0;
  // A new data directory is the service's alone (0700), whatever the umask:
  // it holds people's ledgers and who looked at them.
  if (absl::Status s = CreatePrivateDirectory(path); !s.ok()) return s;
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks stay with their table readers, not in the
  // block cache: a large store's multi-megabyte filters were evicted by
  // data blocks and re-read (and checksummed) on every point read that
  // misses, e.g. each new day's totals row (measured while generating a
  // 100,000-account council). About 10 bits a key of memory.
  table.cache_index_and_filter_blocks = false;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // A bloom filter over each memtable's whole keys: the writer's reads of
  // keys that do not exist yet (a new transaction id, a new day's totals
  // row) skip the skiplist search.
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;
  cf_options.memtable_whole_key_filtering = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions o = cf_options;
    // An account's new rows (its latest transactions, day rows, marks) go
    // next to the ones written before them: the memtable keeps where it
    // last inserted for each account and starts there.
    if (i == kTxns || i == kMarks || i == kStatements || i == kFlags) {
      o.memtable_insert_with_hint_prefix_extractor = AccountHint(false);
    } else if (i == kTotals) {
      o.memtable_insert_with_hint_prefix_extractor = AccountHint(true);
    } else if (i == kFlagIndex) {
      o.memtable_insert_with_hint_prefix_extractor = std::make_shared<FlagIndexHintPrefix>();
    }
    // Flags and their index are read by prefix or by keys that exist: a
    // memtable filter would only cost each of an evaluation's inserts.
    if (i == kFlags || i == kFlagIndex) o.memtable_prefix_bloom_size_ratio = 0;
    descriptors.emplace_back(kCfNames[i], o);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(db_options), path, descriptors, cfs, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening ", path));
  db->reset(raw);

  std::string value;
  s = (*db)->Get(rocksdb::ReadOptions(), (*cfs)[kMeta], kMetaSchema, &value);
  if (s.IsNotFound()) {
    return WriteSchemaVersion(db->get(), (*cfs)[kMeta]);
  } else if (!s.ok()) {
    return FromRocks(s, "reading schema version");
  } else if (int version = 0; absl::SimpleAtoi(value, &version) && UpgradableSchema(version)) {
    *upgrade_from = version;
  } else if (value != absl::StrCat(kSchemaVersion)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("data directory %s has schema version %s; this dpmon reads version %d",
                        path, value, kSchemaVersion));
  }
  return absl::OkStatus();
}

absl::Status WriteSchemaVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Put(wo, meta, kMetaSchema, absl::StrCat(kSchemaVersion)),
                   "writing schema version");
}

}  // namespace dpmon
