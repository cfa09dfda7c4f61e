// What a feed parser makes of a statement file: the transactions and
// statement balances to push, what it skipped and why, and what it could not
// read, each with its line or element. Parsers never talk to the server and
// never half-read an item: an entry is either complete or an error.
//
// Thread-safety: value types and pure functions.
#ifndef DPMON_CLIENT_FEEDS_FEED_H_
#define DPMON_CLIENT_FEEDS_FEED_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/civil_date.h"
#include "dpmon/v1/resources.pb.h"

namespace dpmon::feeds {

struct FeedEntry {
  // Where it came from: "line 12" or "Stmt[1]/Ntry[3]".
  std::string where;
  // Exactly one of these is set for an entry to push.
  std::optional<v1::TransactionInput> transaction;
  std::optional<v1::StatementInput> statement;
};

struct FeedProblem {
  std::string where;
  std::string field;   // e.g. "Amount", "Amt@Ccy", "FITID"
  std::string reason;  // a sentence
};

struct FeedResult {
  std::vector<FeedEntry> entries;    // To push, in file order.
  std::vector<FeedProblem> invalid;  // Not pushed: could not be read, or not allowed (currency).
  std::vector<FeedProblem> skipped;  // Not pushed on purpose: authorisations, pending entries.
  // Two different closing balances for one account and date in the file: the
  // first is kept, the later ones are reported here.
  std::vector<FeedProblem> conflicts;
};

// Makes the transactions' ids unique within the file where the bank reused
// a reference (docs/feeds.md, "Ids"). Where transactions that share an id
// differ in account, booking date or amount, each gets the id
// "REF~YYYYMMDD~PENCE" (prefixed "ACCOUNT~" when the accounts differ), so
// that it gets the same id from every file that holds it, whichever others
// share its reference there. Entries alike in all of that are told apart
// by "~2", "~3"... in file order (the first keeps its id) when
// `alike_are_distinct` (MT940 and camt: each entry is a booking), else
// reported as repeats and not pushed (OFX: a FITID names one booking).
void MakeIdsUnique(FeedResult* result, bool alike_are_distinct);

// "12.34", "-12.34", "+12.34", "12", "1,234.5", "£12.34", "(12.34)" (negative)
// as exact pence; at most two decimals, at most £100,000,000.00.
absl::StatusOr<int64_t> ParseDecimalPence(absl::string_view text);

// A date in one of: "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y",
// "%Y%m%d", "%d %b %Y" (e.g. "05 Mar 2026").
absl::StatusOr<Date> ParseDateAs(absl::string_view text, absl::string_view format);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_FEED_H_
