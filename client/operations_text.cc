#include "client/operations_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dpmon {
namespace {

std::string Bytes(int64_t n) {
  // Whole units and one decimal, from integers.
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  int64_t whole = n, tenths = 0;
  while (whole >= 1024 && u < 4) {
    tenths = (whole % 1024) * 10 / 1024;
    whole /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(n, " B") : absl::StrCat(whole, ".", tenths, " ", units[u]);
}

// 1234567 -> "1,234,567"
std::string Count(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace

std::string BackupLine(const v1::Backup& b) {
  return absl::StrFormat("backup %d  %s  %s in %d files  schema %d  %s", b.backup_id(),
                         b.create_time(), Bytes(b.size_bytes()), b.file_count(), b.schema_version(),
                         b.directory());
}

std::string IntegrityReportText(const v1::IntegrityReport& r) {
  std::string out;
  for (const v1::IntegrityProblem& p : r.problems()) {
    absl::StrAppend(&out, p.account().empty() ? p.council() : p.account(), "  ", p.where(), "  ",
                    p.problem(), "\n");
  }
  if (r.problem_count() > r.problems_size()) {
    absl::StrAppend(&out, "... and ", Count(r.problem_count() - r.problems_size()),
                    " more (ask for more with --max_problems)\n");
  }
  absl::StrAppend(&out, "integrity: ", Count(r.problem_count()),
                  r.problem_count() == 1 ? " problem" : " problems", " in ", Count(r.councils()),
                  r.councils() == 1 ? " council: " : " councils: ", Count(r.accounts()),
                  " accounts, ", Count(r.transactions()), " transactions, ", Count(r.statements()),
                  " statements, ", Count(r.suspense_items()), " in suspense, ",
                  Count(r.totals_rows()), " totals rows, ", Count(r.flags()), " flags checked in ",
                  r.duration_ms(), " ms\n");
  return out;
}

}  // namespace dpmon
