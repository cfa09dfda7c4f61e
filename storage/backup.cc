// Backups (backup.h) and Store::CreateBackup.
#include "storage/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/private_dir.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/db.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace dpmon {
namespace {

// What a backup records about the directory it was taken from.
constexpr char kMetadataPrefix[] = "dpmon schema=";

BackupInfo InfoOf(const rocksdb::BackupInfo& b) {
  BackupInfo out;
  out.id = b.backup_id;
  out.create_unix_seconds = b.timestamp;
  out.size_bytes = b.size;
  out.file_count = b.number_files;
  absl::string_view meta = b.app_metadata;
  int schema = 0;
  if (absl::ConsumePrefix(&meta, kMetadataPrefix) && absl::SimpleAtoi(meta, &schema)) {
    out.schema_version = schema;
  }
  return out;
}

absl::Status FromIo(const rocksdb::IOStatus& s, absl::string_view what) {
  return FromRocks(rocksdb::Status(s), what);
}

// A read-only engine over an existing backup directory.
absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenReadOnly(
    const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrFormat("no backup directory %s", dir));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(rocksdb::BackupEngineOptions(dir),
                                                            rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromIo(s, absl::StrCat("opening backups in ", dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenWritable(const std::string& dir,
                                                                    const BackupOptions& options) {
  // Backups hold the same people's data as the data directory.
  if (absl::Status s = CreatePrivateDirectory(dir); !s.ok()) return s;
  rocksdb::BackupEngineOptions o(dir);
  o.backup_rate_limit = options.rate_limit_bytes;
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(o, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromIo(s, absl::StrCat("opening backups in ", dir));
  return std::unique_ptr<rocksdb::BackupEngine>(raw);
}

// The backup `id` names (0: the latest), from the engine's list.
absl::StatusOr<rocksdb::BackupInfo> Find(rocksdb::BackupEngineReadOnlyBase* engine,
                                         const std::string& dir, uint32_t id) {
  std::vector<rocksdb::BackupInfo> all;
  engine->GetBackupInfo(&all);
  if (all.empty()) return absl::NotFoundError(absl::StrFormat("%s holds no backups", dir));
  if (id == 0) {
    return *std::max_element(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.backup_id < b.backup_id;
    });
  }
  for (const rocksdb::BackupInfo& b : all) {
    if (b.backup_id == id) return b;
  }
  return absl::NotFoundError(absl::StrFormat("%s holds no backup %d", dir, id));
}

}  // namespace

absl::StatusOr<bool> IsEmptyOrMissing(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return absl::UnavailableError(absl::StrCat(path, ": ", ec.message()));
    return true;
  }
  if (!std::filesystem::is_directory(path, ec)) return false;
  bool empty = std::filesystem::is_empty(path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(path, ": ", ec.message()));
  return empty;
}

absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> engine = OpenReadOnly(dir);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> all;
  (*engine)->GetBackupInfo(&all);
  std::vector<BackupInfo> out;
  for (const rocksdb::BackupInfo& b : all) out.push_back(InfoOf(b));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<BackupInfo> VerifyBackup(const std::string& dir, uint32_t id) {
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> engine = OpenReadOnly(dir);
  if (!engine.ok()) return engine.status();
  absl::StatusOr<rocksdb::BackupInfo> b = Find(engine->get(), dir, id);
  if (!b.ok()) return b.status();
  rocksdb::IOStatus s = (*engine)->VerifyBackup(b->backup_id, /*verify_with_checksum=*/true);
  if (!s.ok()) {
    // A file that is missing, the wrong size or the wrong checksum: the
    // backup cannot be trusted, whatever RocksDB calls it.
    return absl::DataLossError(
        absl::StrFormat("backup %d in %s is damaged: %s", b->backup_id, dir, s.ToString()));
  }
  return InfoOf(*b);
}

absl::StatusOr<std::vector<uint32_t>> PruneBackups(const std::string& dir, int keep) {
  if (keep < 1) return absl::InvalidArgumentError("keep: must be at least 1");
  absl::StatusOr<std::vector<BackupInfo>> before = ListBackups(dir);
  if (!before.ok()) return before.status();
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> engine = OpenWritable(dir, {});
  if (!engine.ok()) return engine.status();
  rocksdb::IOStatus s = (*engine)->PurgeOldBackups(static_cast<uint32_t>(keep));
  if (!s.ok()) return FromIo(s, absl::StrCat("pruning backups in ", dir));
  std::vector<uint32_t> deleted;
  const size_t drop = before->size() > static_cast<size_t>(keep) ? before->size() - keep : 0;
  for (size_t i = 0; i < drop; ++i) deleted.push_back((*before)[i].id);
  return deleted;
}

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& dir, uint32_t id,
                                         const std::string& data_dir) {
  absl::StatusOr<bool> empty = IsEmptyOrMissing(data_dir);
  if (!empty.ok()) return empty.status();
  if (!*empty) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s is not empty: restore only into a new or empty directory, so that no data is "
        "overwritten",
        data_dir));
  }
  absl::StatusOr<BackupInfo> verified = VerifyBackup(dir, id);
  if (!verified.ok()) return verified.status();
  if (verified->schema_version != 0 && verified->schema_version != kSchemaVersion &&
      !UpgradableSchema(verified->schema_version)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("backup %d holds schema version %d; this dpmon reads version %d",
                        verified->id, verified->schema_version, kSchemaVersion));
  }
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> engine = OpenReadOnly(dir);
  if (!engine.ok()) return engine.status();
  if (absl::Status s = CreatePrivateDirectory(data_dir); !s.ok()) return s;
  rocksdb::IOStatus s =
      (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), verified->id, data_dir, data_dir);
  if (!s.ok()) {
    return FromIo(s, absl::StrFormat("restoring backup %d into %s", verified->id, data_dir));
  }
  return verified;
}

absl::StatusOr<BackupInfo> Store::CreateBackup(const std::string& dir,
                                               const BackupOptions& options) {
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> engine = OpenWritable(dir, options);
  if (!engine.ok()) return engine.status();
  rocksdb::CreateBackupOptions o;
  // The live write-ahead log is copied with the tables: every write
  // acknowledged before the backup began is in it, and the memtables need
  // not be flushed (which would stall ingest).
  o.flush_before_backup = false;
  rocksdb::BackupID id = 0;
  rocksdb::IOStatus s = (*engine)->CreateNewBackupWithMetadata(
      o, impl_->db(), absl::StrCat(kMetadataPrefix, kSchemaVersion), &id);
  if (!s.ok()) return FromIo(s, absl::StrCat("backing up into ", dir));
  rocksdb::BackupInfo info;
  if (rocksdb::Status st = (*engine)->GetBackupInfo(id, &info); !st.ok()) {
    return FromRocks(st, "reading the new backup");
  }
  return InfoOf(info);
}

}  // namespace dpmon
