// Long operations an operator asks for (backups and integrity checks): run
// one at a time on their own thread, in the order asked, so that neither a
// gRPC thread nor the executor that serves reads waits on them; and what
// they last did (for metrics and readiness).
//
// Thread-safety: safe for concurrent use. Destroying it runs every
// operation already queued, then joins.
#ifndef DPMON_SERVER_OPERATIONS_H_
#define DPMON_SERVER_OPERATIONS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dpmon/v1/dpmon.pb.h"
#include "server/executor.h"
#include "storage/store.h"

namespace dpmon {

struct OperationsOptions {
  // Where backups go when a request names no directory ("" = it must).
  std::string backup_dir;
  // Bytes a second a backup may write (0: no limit).
  uint64_t backup_rate_limit_bytes = 0;
};

class Operations {
 public:
  Operations(Store* store, OperationsOptions options)
      : store_(store), options_(std::move(options)) {}

  // Queues `task` behind every operation asked for before it. Operations
  // run at a lower CPU priority than serving (nice 10), as does every thread
  // they start (RocksDB's backup copiers), so that ingest keeps its pace.
  void Run(std::function<void()> task);

  // The directory a request means: its own (absolute), else --backup_dir.
  // INVALID_ARGUMENT naming `directory` otherwise.
  absl::StatusOr<std::string> BackupDir(const std::string& requested) const;

  absl::StatusOr<v1::Backup> CreateBackup(const std::string& dir);
  absl::StatusOr<v1::IntegrityReport> Check(const std::string& council_id, int max_problems);

  // Unix seconds of the newest backup this server took or listed (0: none).
  int64_t last_backup_unix_seconds() const { return last_backup_.load(); }
  void SawBackup(int64_t unix_seconds);
  // Whether a backup or a check is running now.
  bool busy() const { return busy_.load() > 0; }

 private:
  Store* store_;
  const OperationsOptions options_;
  std::atomic<int64_t> last_backup_{0};
  std::atomic<int> busy_{0};
  Executor worker_{1};  // Last: it runs queued operations as it is destroyed.
};

v1::Backup BackupToProto(const std::string& dir, const BackupInfo& info);
v1::IntegrityReport IntegrityReportToProto(const Store::IntegrityReport& report);
// Store::CheckIntegrity as the API reports it, with its duration.
absl::StatusOr<v1::IntegrityReport> CheckStore(Store* store, const std::string& council_id,
                                               int max_problems);

}  // namespace dpmon

#endif  // DPMON_SERVER_OPERATIONS_H_
