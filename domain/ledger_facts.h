// What the ledger says about one account as of a date: the inputs the
// monitoring rules (domain/rules.h) take from storage, and which debits rules
// 8 and 9 watch. Read by storage's facts reader from the per-account
// aggregates and indexes, never from the account's whole history.
//
// Thread-safety: value types and pure functions.
#ifndef DPMON_DOMAIN_LEDGER_FACTS_H_
#define DPMON_DOMAIN_LEDGER_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/civil_date.h"
#include "domain/policy.h"
#include "domain/totals.h"
#include "domain/types.h"

namespace dpmon::domain {

// Whether rules 8 and 9 watch a transaction placed in an account: a debit,
// not a reversal, with an MCC in the policy's restricted or evidence list or
// counting as CASH_WITHDRAWAL. Storage marks these when they are written so
// that evaluation finds them without scanning the account.
bool IsWatchedDebit(const Policy& policy, bool is_reversal, Direction direction,
                    Category effective_category, const std::string* mcc);

// How many of the window's first days LedgerFacts::window_leaving holds.
inline constexpr int kWindowLeavingDays = 7;

// A debit booked in the transaction-flag lookback that rules 8 and 9 look at:
// not itself a reversal, with an MCC or counting as CASH_WITHDRAWAL.
struct WatchedDebit {
  std::string source;
  std::string external_id;
  Date booking_date;
  int64_t amount_pence = 0;  // Negative.
  std::string mcc;           // "" if none.
  Category category = UNCATEGORISED;
  bool reversed = false;  // A linked reversal is booked on or before D.
};

// What the ledger says about an account as of D.
struct LedgerFacts {
  int64_t balance_pence = 0;                 // Everything booked on or before D.
  Totals window;                             // Sums over the trend window (EvaluationWindow).
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
  // For FlagsStandUntil (domain/rules.h). No later than the first day
  // after D with a transaction or a statement (nullopt: none); an earlier
  // date only makes the evaluator read the account sooner.
  std::optional<Date> next_entry;
  // The window's first days, what leaves it on the days to come: the sums
  // of each day with transactions in [window start, window start +
  // kWindowLeavingDays) and not after D, in date order; then no later than
  // the first day after those with transactions, up to D (nullopt: none).
  std::vector<std::pair<Date, Totals>> window_leaving;
  std::optional<Date> later_in_window;

  // Rule 14's last sign of a live feed on or before D: the later of the last
  // transaction and the last statement; nullopt if neither.
  std::optional<Date> LastFeedDate(Date as_of) const;
};

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_LEDGER_FACTS_H_
