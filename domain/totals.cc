#include "domain/totals.h"

#include <utility>

#include "common/money.h"

namespace dpmon::domain {

bool IsCreditCategory(Category c) { return c >= COUNCIL_PAYMENT && c <= OTHER_INCOME; }

bool IsDebitCategory(Category c) { return c >= PA_WAGES && c <= OTHER; }

Direction DirectionOf(Category category, int64_t amount_pence) {
  if (IsCreditCategory(category)) return CREDIT;
  if (IsDebitCategory(category)) return DEBIT;
  return amount_pence > 0 ? CREDIT : DEBIT;
}

Direction MoneyDirection(int64_t amount_pence, bool is_reversal) {
  const bool in = amount_pence > 0;
  return in != is_reversal ? CREDIT : DEBIT;
}

bool CategoryFits(Category category, Direction direction) {
  if (category == UNCATEGORISED) return true;
  return direction == CREDIT ? IsCreditCategory(category) : IsDebitCategory(category);
}

int SlotOf(Category category, Direction direction) {
  if (category == UNCATEGORISED && direction == CREDIT) return kUncategorisedCreditSlot;
  return static_cast<int>(category);
}

Category SlotCategory(int slot) {
  return slot == kUncategorisedCreditSlot ? UNCATEGORISED : static_cast<Category>(slot);
}

Direction SlotDirection(int slot) {
  Category c = SlotCategory(slot);
  if (slot == kUncategorisedCreditSlot || IsCreditCategory(c)) return CREDIT;
  return DEBIT;
}

namespace {
// Adds (or subtracts) every slot of `b` to `a` into `out`, and says whether
// any slot overflowed; branch-free, so that the common case (no overflow)
// costs a few instructions a slot. Rows are summed by the dozen for every
// balance and every account's evaluation.
template <bool kSubtract>
bool CombineOverflows(const std::array<int64_t, kSlotCount>& a,
                      const std::array<int64_t, kSlotCount>& b,
                      std::array<int64_t, kSlotCount>* out) {
  bool overflow = false;
  for (int i = 0; i < kSlotCount; ++i) {
    overflow |= kSubtract ? __builtin_sub_overflow(a[i], b[i], &(*out)[i])
                          : __builtin_add_overflow(a[i], b[i], &(*out)[i]);
  }
  return overflow;
}

// The error for the first slot that overflows, as AddPence and SubPence word it.
template <bool kSubtract>
absl::Status OverflowError(const Totals& a, const Totals& b) {
  for (int i = 0; i < kSlotCount; ++i) {
    for (const auto& [x, y] :
         {std::pair(a.net_pence[i], b.net_pence[i]), std::pair(a.count[i], b.count[i])}) {
      absl::StatusOr<int64_t> r = kSubtract ? SubPence(x, y) : AddPence(x, y);
      if (!r.ok()) return r.status();
    }
  }
  return absl::InternalError("totals overflowed in no slot");
}

template <bool kSubtract>
absl::Status Combine(Totals* self, const Totals& other) {
  Totals result;
  const bool net_overflows =
      CombineOverflows<kSubtract>(self->net_pence, other.net_pence, &result.net_pence);
  const bool count_overflows = CombineOverflows<kSubtract>(self->count, other.count, &result.count);
  if (net_overflows || count_overflows) {
    return OverflowError<kSubtract>(*self, other);  // *self unchanged
  }
  *self = result;
  return absl::OkStatus();
}
}  // namespace

absl::Status Totals::Add(const Totals& other) { return Combine<false>(this, other); }

absl::Status Totals::Subtract(const Totals& other) { return Combine<true>(this, other); }

absl::Status Totals::AddTransaction(int slot, int64_t amount_pence, int64_t count_delta) {
  absl::StatusOr<int64_t> n = AddPence(net_pence[slot], amount_pence);
  if (!n.ok()) return n.status();
  absl::StatusOr<int64_t> c = AddPence(count[slot], count_delta);
  if (!c.ok()) return c.status();
  net_pence[slot] = *n;
  count[slot] = *c;
  return absl::OkStatus();
}

bool Totals::IsZero() const {
  for (int i = 0; i < kSlotCount; ++i) {
    if (net_pence[i] != 0 || count[i] != 0) return false;
  }
  return true;
}

absl::Status Totals::NetPence(int64_t* out) const {
  int64_t sum = 0;
  for (int64_t v : net_pence) {
    absl::StatusOr<int64_t> s = AddPence(sum, v);
    if (!s.ok()) return s.status();
    sum = *s;
  }
  *out = sum;
  return absl::OkStatus();
}

int64_t Totals::TransactionCount() const {
  int64_t sum = 0;
  for (int64_t v : count) sum += v;  // Counts are bounded by the number of stored records.
  return sum;
}

bool Totals::HasNegativeCount() const {
  for (int64_t v : count) {
    if (v < 0) return true;
  }
  return false;
}

}  // namespace dpmon::domain
