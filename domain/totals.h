// Per-account totals by slot: the arithmetic of the aggregates that make
// balances and window sums cheap (storage/totals_record.h keeps them).
//
// A slot is the (category, direction) a transaction counts as: one slot per
// category, and two for UNCATEGORISED (credit and debit). For each account
// storage keeps a Totals per year, per month and per day that has
// transactions; a sum through date D adds at most (years before D's year) +
// 11 months + 31 days of them, however long the history.
//
// Thread-safety: a value type.
#ifndef DPMON_DOMAIN_TOTALS_H_
#define DPMON_DOMAIN_TOTALS_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "domain/types.h"

namespace dpmon::domain {

inline constexpr int kSlotCount = 21;  // Category values 0..19, and 20 for UNCATEGORISED credits.
inline constexpr int kUncategorisedCreditSlot = 20;

bool IsCreditCategory(Category c);
bool IsDebitCategory(Category c);
// The direction a transaction of `category` and `amount_pence` counts in when
// nothing links it to another: its category's, or for UNCATEGORISED its sign.
Direction DirectionOf(Category category, int64_t amount_pence);
// The way a transaction's money moves: in for a positive amount, out for a
// negative one; a reversal moves the way its original did (a refund of a
// debit is still on the debit side).
Direction MoneyDirection(int64_t amount_pence, bool is_reversal);
// Whether `category` may name money moving in `direction`: a credit
// category for money in, a debit category for money out, UNCATEGORISED
// either way.
bool CategoryFits(Category category, Direction direction);
int SlotOf(Category category, Direction direction);
Category SlotCategory(int slot);
Direction SlotDirection(int slot);

struct Totals {
  std::array<int64_t, kSlotCount> net_pence{};
  std::array<int64_t, kSlotCount> count{};

  // Checked: OutOfRange on overflow, leaving *this unchanged.
  absl::Status Add(const Totals& other);
  absl::Status Subtract(const Totals& other);
  absl::Status AddTransaction(int slot, int64_t amount_pence, int64_t count_delta);
  bool IsZero() const;
  // The signed sum of every slot (the balance change); OutOfRange on overflow.
  absl::Status NetPence(int64_t* out) const;
  int64_t TransactionCount() const;
  // Whether any slot counts fewer than zero transactions: a stored total
  // that says so is corrupt.
  bool HasNegativeCount() const;
};

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_TOTALS_H_
