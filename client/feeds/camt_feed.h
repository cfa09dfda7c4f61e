// camt.053 (ISO 20022 bank-to-customer statement; .001.02 to .001.08), read
// with libxml2 (no network, no external entities).
//
// Each Stmt gives its account (Acct/Id/IBAN or Acct/Id/Othr/Id); each Ntry
// with status BOOK a transaction (PDNG and INFO entries are skipped and
// reported): CdtDbtInd gives the sign, BookgDt (Dt or DtTm) the date,
// AcctSvcrRef, NtryRef, the details' AcctSvcrRef, TxId or EndToEndId (in
// that order) the id ("AcctSvcrRef/NtryRef" when the entry has both; made
// unique by MakeIdsUnique where the bank reused it), the creditor (for a debit) or debtor (for a
// credit) the counterparty, RmtInf/Ustrd or AddtlNtryInf the description. The CLBD balance becomes
// a statement. Only GBP is accepted (Amt@Ccy). A camt.052 report or camt.054 notification is
// refused whole, saying what it is. libxml2 reads the encoding the XML declaration names; a file
// that names none and is not UTF-8, or one the operator gives a `charset` for, is decoded by
// DecodeText first.
//
// Thread-safety: ParseCamt053Feed may be called from any thread.
#ifndef DPMON_CLIENT_FEEDS_CAMT_FEED_H_
#define DPMON_CLIENT_FEEDS_CAMT_FEED_H_

#include <optional>
#include <string>

#include "client/feeds/feed.h"
#include "client/feeds/text.h"

namespace dpmon::feeds {

FeedResult ParseCamt053Feed(absl::string_view text, const std::string& source,
                            std::optional<Charset> charset = std::nullopt);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_CAMT_FEED_H_
