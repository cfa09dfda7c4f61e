// Backups of a data directory with RocksDB's BackupEngine: incremental
// (files a backup shares with the one before are not copied again) and
// checksummed. A backup is taken from the open store while it serves and
// ingests; it holds every write acknowledged before it began. Listing,
// verifying, pruning and restoring work on a backup directory alone.
//
//   absl::StatusOr<BackupInfo> b = store->CreateBackup("/srv/dpmon-backups");
//   absl::Status s = RestoreBackup("/srv/dpmon-backups", 0, "/srv/dpmon-new");
//
// Thread-safety: these functions may be called from any thread, but only
// one of them at a time for one backup directory (the server holds one
// lock around all of them).
#ifndef DPMON_STORAGE_BACKUP_H_
#define DPMON_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dpmon {

struct BackupInfo {
  uint32_t id = 0;
  int64_t create_unix_seconds = 0;
  uint64_t size_bytes = 0;  // The files this backup holds, shared ones included.
  uint32_t file_count = 0;
  int schema_version = 0;  // Of the data directory it was taken from.
};

struct BackupOptions {
  // Bytes a second the copy may write (0: no limit). A limit keeps a large
  // backup from taking the disk from ingest.
  uint64_t rate_limit_bytes = 0;
};

// Every backup in `dir`, oldest first. NotFound if `dir` holds none.
absl::StatusOr<std::vector<BackupInfo>> ListBackups(const std::string& dir);
// Reads every file of backup `id` (0: the latest) and compares its size and
// checksum with what the backup recorded. DataLoss names the first file that
// differs.
absl::StatusOr<BackupInfo> VerifyBackup(const std::string& dir, uint32_t id);
// Deletes all but the newest `keep` backups (keep >= 1) and the files only
// they used; returns the ids deleted.
absl::StatusOr<std::vector<uint32_t>> PruneBackups(const std::string& dir, int keep);
// Restores backup `id` (0: the latest) into `data_dir`, which must be empty
// or missing (FailedPrecondition otherwise); verifies the backup first.
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& dir, uint32_t id,
                                         const std::string& data_dir);
// Whether `path` is missing or an empty directory.
absl::StatusOr<bool> IsEmptyOrMissing(const std::string& path);

}  // namespace dpmon

#endif  // DPMON_STORAGE_BACKUP_H_
