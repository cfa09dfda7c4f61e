// Money: integer pence, GBP, with overflow-checked arithmetic.
//
// There is no floating point anywhere near money in dpmon. Every sum goes
// through these helpers, which fail with OutOfRange instead of wrapping:
//
//   absl::StatusOr<int64_t> total = AddPence(a, b);
//   if (!total.ok()) return total.status();
//
// Thread-safety: pure functions.
#ifndef DPMON_COMMON_MONEY_H_
#define DPMON_COMMON_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace dpmon {

absl::StatusOr<int64_t> AddPence(int64_t a, int64_t b);
absl::StatusOr<int64_t> SubPence(int64_t a, int64_t b);
absl::StatusOr<int64_t> MulPence(int64_t a, int64_t b);
absl::StatusOr<int64_t> NegPence(int64_t a);

// "£1,234.56" / "-£0.05": for people, never parsed back.
std::string FormatPence(int64_t pence);

}  // namespace dpmon

#endif  // DPMON_COMMON_MONEY_H_
