// OFX statements: 1.x (SGML, leaf elements without end tags) and 2.x (XML).
//
// Each STMTRS (bank) or CCSTMTRS (card) statement gives its account
// (BANKACCTFROM or CCACCTFROM / ACCTID), transactions from STMTTRN (FITID as
// the id, DTPOSTED's date, TRNAMT, NAME as counterparty, MEMO as
// description) and its LEDGERBAL as a statement. Only GBP is accepted: the
// currency is the transaction's CURRENCY or ORIGCURRENCY, else the
// statement's CURDEF. What cannot be read is reported with its element, for
// example "STMTRS[1]/STMTTRN[3]". A statement's transactions are those of
// all its BANKTRANLIST elements; CDATA sections are text. The text is read
// in the operator's `charset` if given, else as client/feeds/text.h's
// DecodeText decides from the header's ENCODING and CHARSET (1.x) or the
// XML declaration (2.x). An account-information response (ACCTINFORS) is
// refused whole, saying what it is.
//
// Thread-safety: pure functions.
#ifndef DPMON_CLIENT_FEEDS_OFX_FEED_H_
#define DPMON_CLIENT_FEEDS_OFX_FEED_H_

#include <optional>
#include <string>

#include "client/feeds/feed.h"
#include "client/feeds/text.h"

namespace dpmon::feeds {

FeedResult ParseOfxFeed(absl::string_view text, const std::string& source,
                        std::optional<Charset> charset = std::nullopt);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_OFX_FEED_H_
