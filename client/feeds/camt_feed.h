// camt.053 (ISO 20022 bank-to-customer statement; .001.02 to .001.08), read
// with libxml2 (no network, no external entities).
//
// Each Stmt gives its account (Acct/Id/IBAN or Acct/Id/Othr/Id); each Ntry
// with status BOOK a transaction (PDNG and INFO entries are skipped and
// reported): CdtDbtInd gives the sign, BookgDt (Dt or DtTm) the date,
// AcctSvcrRef, NtryRef, the details' AcctSvcrRef, TxId or EndToEndId (in
// that order) the id, the creditor (for a debit) or debtor (for a credit) the
// counterparty, RmtInf/Ustrd or AddtlNtryInf the description. The CLBD
// balance becomes a statement. Only GBP is accepted (Amt@Ccy).
//
// Thread-safety: ParseCamt053Feed may be called from any thread.
#ifndef DPMON_CLIENT_FEEDS_CAMT_FEED_H_
#define DPMON_CLIENT_FEEDS_CAMT_FEED_H_

#include <string>

#include "client/feeds/feed.h"

namespace dpmon::feeds {

FeedResult ParseCamt053Feed(absl::string_view text, const std::string& source);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_CAMT_FEED_H_
