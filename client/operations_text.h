// How dpctl and dpmon-server print backups and integrity reports.
//
// Thread-safety: pure functions.
#ifndef DPMON_CLIENT_OPERATIONS_TEXT_H_
#define DPMON_CLIENT_OPERATIONS_TEXT_H_

#include <string>

#include "dpmon/v1/dpmon.pb.h"

namespace dpmon {

// "backup 3  2026-11-30T02:00:00Z  1.2 GiB in 412 files  schema 4  /srv/backups"
std::string BackupLine(const v1::Backup& backup);
// One line for each problem listed (account or council, where, what), then
// how many there were and what was read: "integrity: 0 problems in 3
// councils: 2,500 accounts, 1,200,000 transactions, ...".
std::string IntegrityReportText(const v1::IntegrityReport& report);

}  // namespace dpmon

#endif  // DPMON_CLIENT_OPERATIONS_TEXT_H_
