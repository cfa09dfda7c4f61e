// SWIFT MT940 customer statements, as UK and European banks export them.
//
// A file holds one or more messages, each from `:20:` to a `-` line (or
// `-}`, or the next `:20:`, or the end), with or without a SWIFT envelope
// (`{1:}{2:}{3:}{4:` ... `-}{5:}`), byte order mark, SOH/ETX bytes, bank
// header lines or prose between them. In each message:
// - `:25:` is the account reference, as written; a second `:25:` in one
//   message refuses the whole file (nothing is pushed);
// - the currency is the opening balance's (`:60F:`/`:60M:`); only GBP is
//   accepted, and every entry and balance of another is refused naming it;
// - each `:61:` is a transaction: value date, optional entry date (MMDD, in
//   the year nearest the value date; the booking date, else the value date),
//   mark (`C`, `D`, `RC` reversal of a credit: money out, `RD` reversal of a
//   debit: money in), at most one funds-code letter, the amount (comma or
//   dot decimal), the transaction type, the customer and bank references and
//   a supplementary details line; the `:86:` straight after it is its text
//   (German structured `?nn` subfields give the counterparty and remittance);
// - `:62F:` is the closing balance for its date; `:62M:` (a page's),
//   `:60F:`/`:60M:`, `:64:` and `:65:` are not statements; `:NS:` fields and
//   `:86:` text that follows no `:61:` describe the statement and are skipped.
// MT940 has no transaction id: each entry's is "mt940~DATE~DIGEST", a digest
// of everything the entry says; where entries are alike the second is
// "ID~2", the third "ID~3" (docs/feeds.md, "Ids"). What cannot be read is
// reported by its line ("line 12"). A file whose structure leaves an entry's
// account in doubt, or that is an MT941/MT942 report, is refused whole.
//
// Thread-safety: pure functions.
#ifndef DPMON_CLIENT_FEEDS_MT940_FEED_H_
#define DPMON_CLIENT_FEEDS_MT940_FEED_H_

#include <functional>
#include <optional>
#include <string>

#include "client/feeds/feed.h"
#include "client/feeds/text.h"

namespace dpmon::feeds {

// MT940 names no character set: the text is read as DecodeText decides,
// unless the operator gives one (code page 852 is common in Central Europe).
FeedResult ParseMt940Feed(absl::string_view text, const std::string& source,
                          std::optional<Charset> charset = std::nullopt);
// The same, an entry at a time: `emit` receives each entry as it is read,
// once the whole file's structure has been checked (so a file refused whole
// emits nothing); the result holds only the problems.
FeedResult ParseMt940Feed(absl::string_view text, const std::string& source,
                          std::optional<Charset> charset,
                          const std::function<void(FeedEntry)>& emit);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_MT940_FEED_H_
