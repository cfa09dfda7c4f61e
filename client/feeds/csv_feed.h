// CSV exports of card platforms and banks, read through a mapping file that
// names the columns (docs/feeds.md; presets in client/feeds/presets/).
//
//   absl::StatusOr<CsvMapping> m = CsvMapping::Parse(mapping_text);
//   FeedResult r = ParseCsvFeed(file_text, *m, "cardco");
//
// Thread-safety: value types and pure functions.
#ifndef DPMON_CLIENT_FEEDS_CSV_FEED_H_
#define DPMON_CLIENT_FEEDS_CSV_FEED_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/feeds/feed.h"
#include "client/feeds/text.h"

namespace dpmon::feeds {

struct CsvMapping {
  char delimiter = ',';
  int skip_lines = 0;  // Lines before the header row.
  std::string date_format = "%Y-%m-%d";
  // Column names as in the header row ("" = not in the file).
  std::string id, date, amount, debit, credit, mcc, counterparty, description, balance, account_ref,
      type, reverses, category;
  // "as_is": the amount column is signed, money out negative; "debit_positive":
  // money out is shown positive and money in negative.
  bool debit_positive = false;
  std::set<std::string> skip_types;      // Lower case: skipped and reported.
  std::set<std::string> reversal_types;  // Lower case: linked to what `reverses` names.
  bool newest_first = false;             // Row order, for running balances.
  // "encoding = windows-1252" (or iso-8859-1, cp852, utf-8): how the file's
  // bytes are read; unset, as DecodeText decides (UTF-8 where it is UTF-8,
  // Windows-1252 for the bytes that are not). dpctl --charset overrides it.
  std::optional<Charset> charset;

  // "key = value" lines; '#' starts a comment. InvalidArgument naming the
  // line for an unknown key or a bad value, or when id, date and an amount
  // (amount, or debit and credit) are not all named.
  static absl::StatusOr<CsvMapping> Parse(absl::string_view text);
};

// Reads CSV text a row at a time (RFC 4180: quoted fields may hold the
// delimiter, quotes as "" and line breaks; blank lines are skipped; a
// leading UTF-8 BOM is dropped).
class CsvReader {
 public:
  CsvReader(absl::string_view text, char delimiter);
  // The next row and the line it starts on; false at the end, or with
  // *error set for an unterminated quote.
  bool Next(std::vector<std::string>* row, int* line, absl::Status* error);

 private:
  absl::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  int line_ = 1;
  int row_line_ = 1;
};

// Reads a whole export. A file whose header lacks a mapped column is one
// problem with no entries. Rows that cannot be read are problems naming
// their line and column; the rest are entries. A running balance column
// gives one statement per account reference and date: the balance after its
// last transaction that day.
FeedResult ParseCsvFeed(absl::string_view text, const CsvMapping& mapping,
                        const std::string& source, const std::string& default_account_ref = "");
// The same, a row at a time: `emit` receives each entry as it is read (the
// running-balance statements last); the result holds only the problems.
FeedResult ParseCsvFeed(absl::string_view text, const CsvMapping& mapping,
                        const std::string& source, const std::string& default_account_ref,
                        const std::function<void(FeedEntry)>& emit);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_CSV_FEED_H_
