// The bulk import (DOMAIN.md, "Bulk import (JSON Lines)"): reads the file,
// turns each line into its API call, applies them in file order, and reports
// per line.
//
// Consecutive transaction and statement lines of one council travel
// together in IngestBatch calls of up to `batch_size` items; any other line
// type first flushes the batch, so the file's order is kept. Every call
// carries a request_id derived from the line's content, so importing the
// same file again changes nothing.
//
// Thread-safety: one Importer per import; not for concurrent use.
#ifndef DPMON_CLIENT_IMPORTER_H_
#define DPMON_CLIENT_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/client.h"

namespace dpmon {

struct ImportOptions {
  int batch_size = 1000;  // Items per IngestBatch call, 1..10,000.
  // Called after each flush with the number of lines done so far.
  std::function<void(int64_t lines_done)> progress;
};

struct LineError {
  int64_t line = 0;
  std::string message;  // "field: reason" or what the server said.
};

struct ImportSummary {
  int64_t lines = 0;
  std::map<std::string, int64_t> by_type;          // "account" -> 40
  std::map<std::string, int64_t> ledger_outcomes;  // "ACCEPTED" -> 6000
  std::vector<LineError> rejected;                 // Invalid lines and conflicts, in line order.
  int64_t applied = 0;                             // Lines that took effect or were already there.
};

class Importer {
 public:
  Importer(Client* client, ImportOptions options) : client_(client), options_(std::move(options)) {}

  // Imports every line of `in`. Returns a non-OK status only when the import
  // could not go on (server unreachable, a whole call refused); rejected
  // lines are in the summary.
  absl::Status Run(std::istream& in, ImportSummary* summary);

 private:
  absl::Status ApplyLine(int64_t line_no, const std::string& text, ImportSummary* summary);
  absl::Status Flush(ImportSummary* summary);

  Client* client_;
  ImportOptions options_;
  // The ingest batch being gathered, and the file line of each of its items.
  std::string batch_council_;
  v1::IngestBatchRequest batch_;
  std::vector<int64_t> batch_lines_;
};

}  // namespace dpmon

#endif  // DPMON_CLIENT_IMPORTER_H_
