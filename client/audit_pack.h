// Writes an audit pack (dpmon.v1.AuditPack) as files an auditor works from:
//
//   DIR/pack.json        the pack, exactly (protobuf JSON, field names as in the proto)
//   DIR/summary.csv      one row per figure: name, pence, pounds
//   DIR/totals.csv, lines.csv, flagged.csv, earmarks.csv, statements.csv,
//   DIR/reviews.csv, audits.csv, recoveries.csv    a file per table
//   DIR/pack.html        a printable page of all of it
//
// The files hold nothing but the pack (no timestamps), so writing the same
// pack again leaves them byte for byte the same. Each file is written to a
// temporary name and renamed into place.
//
// Pure code (no gRPC): dpctl writes the files, the dashboard serves the
// same tables as a page and as CSV downloads.
//
// Thread-safety: pure functions apart from the files they write.
#ifndef DPMON_CLIENT_AUDIT_PACK_H_
#define DPMON_CLIENT_AUDIT_PACK_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dpmon/v1/dpmon.pb.h"

namespace dpmon {

// One table of a pack: its CSV file's name, a title, the header and rows
// (money in pence, as decimal strings, in `money_columns`).
struct AuditPackTable {
  std::string file;
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> money_columns;
};
// The pack's tables in the order the files and pages show them.
std::vector<AuditPackTable> AuditPackTables(const v1::AuditPack& pack);
// A table as CSV (RFC 4180, CRLF).
std::string AuditPackCsv(const AuditPackTable& table);

// File name -> contents.
std::map<std::string, std::string> RenderAuditPack(const v1::AuditPack& pack);
absl::Status WriteAuditPack(const v1::AuditPack& pack, const std::string& dir);
// Writes `contents` to path.tmp, then renames it to `path`.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

// "1234.56", "-0.05": pence as a decimal string (never through floating point).
std::string PoundsDecimal(int64_t pence);
// A CSV field, quoted when it needs to be (RFC 4180).
std::string CsvField(const std::string& text);
// Text safe inside HTML.
std::string HtmlEscape(const std::string& text);

}  // namespace dpmon

#endif  // DPMON_CLIENT_AUDIT_PACK_H_
