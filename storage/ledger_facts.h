// What the ledger says about one account as of a date: the inputs the
// monitoring rules (server/rules.h) take from storage. Read by
// Store::ReadLedgerFacts from the per-account aggregates and indexes, never
// from the account's whole history.
//
// Thread-safety: value types.
#ifndef DPMON_STORAGE_LEDGER_FACTS_H_
#define DPMON_STORAGE_LEDGER_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/civil_date.h"
#include "dpmon/v1/resources.pb.h"
#include "storage/totals.h"

namespace dpmon {

// A debit booked in the transaction-flag lookback that rules 8 and 9 look at:
// not itself a reversal, with an MCC or counting as CASH_WITHDRAWAL.
struct WatchedDebit {
  std::string source;
  std::string external_id;
  Date booking_date;
  int64_t amount_pence = 0;  // Negative.
  std::string mcc;           // "" if none.
  v1::Category category = v1::UNCATEGORISED;
  bool reversed = false;  // A linked reversal is booked on or before D.
};

// What the ledger says about an account as of D.
struct LedgerFacts {
  int64_t balance_pence = 0;  // Everything booked on or before D.
  Totals window;              // Sums over the trend window (rules::EvaluationWindow).
  std::optional<Date> last_council_payment;  // Latest non-reversal COUNCIL_PAYMENT <= D.
  std::optional<Date> last_transaction;      // Latest booking date <= D.
  struct Statement {
    Date date;
    int64_t closing_balance_pence = 0;
    int64_t ledger_balance_pence = 0;  // balance as of `date`.
  };
  std::optional<Statement> last_statement;  // Latest statement dated <= D.
  // Debits booked in (D − transaction_flag_lookback_days, D] that may be
  // restricted or need evidence (others may be included; the rules filter).
  std::vector<WatchedDebit> watched_debits;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_LEDGER_FACTS_H_
