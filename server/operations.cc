#include "server/operations.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/field_error.h"
#include "common/names.h"

namespace dpmon {

absl::StatusOr<std::string> Operations::BackupDir(const std::string& requested) const {
  const std::string& dir = requested.empty() ? options_.backup_dir : requested;
  if (dir.empty()) {
    return InvalidField("directory",
                        "required: the server was started without --backup_dir, so name the "
                        "backup directory (an absolute path on the server)");
  }
  if (!absl::StartsWith(dir, "/")) {
    return InvalidField("directory", "must be an absolute path on the server, e.g. /srv/backups");
  }
  if (absl::StrContains(dir, std::string(1, '\0'))) {
    return InvalidField("directory", "must not contain a NUL byte");
  }
  return dir;
}

void Operations::Run(std::function<void()> task) {
  worker_.Submit([task = std::move(task)] {
    // Linux: the nice value is the thread's own, and threads it starts inherit it.
    static thread_local bool lowered = [] {
      return setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10) == 0;
    }();
    (void)lowered;
    task();
  });
}

void Operations::SawBackup(int64_t unix_seconds) {
  int64_t seen = last_backup_.load();
  while (unix_seconds > seen && !last_backup_.compare_exchange_weak(seen, unix_seconds)) {
  }
}

absl::StatusOr<v1::Backup> Operations::CreateBackup(const std::string& dir) {
  ++busy_;
  absl::StatusOr<BackupInfo> info =
      store_->CreateBackup(dir, {.rate_limit_bytes = options_.backup_rate_limit_bytes});
  --busy_;
  if (!info.ok()) return info.status();
  SawBackup(info->create_unix_seconds);
  return BackupToProto(dir, *info);
}

absl::StatusOr<v1::IntegrityReport> Operations::Check(const std::string& council_id,
                                                      int max_problems) {
  ++busy_;
  absl::StatusOr<v1::IntegrityReport> report = CheckStore(store_, council_id, max_problems);
  --busy_;
  return report;
}

absl::StatusOr<v1::IntegrityReport> CheckStore(Store* store, const std::string& council_id,
                                               int max_problems) {
  const absl::Time start = absl::Now();
  absl::StatusOr<Store::IntegrityReport> report = store->CheckIntegrity(council_id, max_problems);
  if (!report.ok()) return report.status();
  v1::IntegrityReport out = IntegrityReportToProto(*report);
  out.set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - start));
  return out;
}

v1::Backup BackupToProto(const std::string& dir, const BackupInfo& info) {
  v1::Backup b;
  b.set_directory(dir);
  b.set_backup_id(info.id);
  b.set_create_time(absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(info.create_unix_seconds), absl::UTCTimeZone()));
  b.set_size_bytes(static_cast<int64_t>(info.size_bytes));
  b.set_file_count(static_cast<int32_t>(info.file_count));
  b.set_schema_version(info.schema_version);
  return b;
}

v1::IntegrityReport IntegrityReportToProto(const Store::IntegrityReport& report) {
  v1::IntegrityReport out;
  out.set_councils(report.councils);
  out.set_accounts(report.accounts);
  out.set_transactions(report.transactions);
  out.set_statements(report.statements);
  out.set_suspense_items(report.suspense_items);
  out.set_totals_rows(report.totals_rows);
  out.set_flags(report.flags);
  out.set_problem_count(report.problem_count);
  for (const Store::IntegrityProblem& p : report.problems) {
    v1::IntegrityProblem* q = out.add_problems();
    q->set_council(CouncilName(p.council));
    if (!p.account.empty()) q->set_account(AccountName(p.council, p.account));
    q->set_where(p.where);
    q->set_problem(p.problem);
  }
  return out;
}

}  // namespace dpmon
