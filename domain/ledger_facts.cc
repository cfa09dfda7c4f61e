#include "domain/ledger_facts.h"

namespace dpmon::domain {

bool IsWatchedDebit(const Policy& policy, bool is_reversal, Direction direction,
                    Category effective_category, const std::string* mcc) {
  if (is_reversal || direction != DEBIT) return false;
  if (effective_category == CASH_WITHDRAWAL) return true;
  if (mcc == nullptr) return false;
  return policy.IsRestrictedMcc(*mcc) || policy.IsEvidenceMcc(*mcc);
}

std::optional<Date> LedgerFacts::LastFeedDate(Date as_of) const {
  std::optional<Date> last;
  if (last_transaction && *last_transaction <= as_of) last = last_transaction;
  if (last_statement && last_statement->date <= as_of && (!last || last_statement->date > *last)) {
    last = last_statement->date;
  }
  return last;
}

}  // namespace dpmon::domain
