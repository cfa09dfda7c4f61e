#include "common/money.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dpmon {
namespace {
absl::Status Overflow(const char* op, int64_t a, int64_t b) {
  return absl::OutOfRangeError(absl::StrFormat("pence overflow in %d %s %d", a, op, b));
}
}  // namespace

absl::StatusOr<int64_t> AddPence(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return Overflow("+", a, b);
  return r;
}

absl::StatusOr<int64_t> SubPence(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return Overflow("-", a, b);
  return r;
}

absl::StatusOr<int64_t> MulPence(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return Overflow("*", a, b);
  return r;
}

absl::StatusOr<int64_t> NegPence(int64_t a) { return SubPence(0, a); }

std::string FormatPence(int64_t pence) {
  // Work in unsigned so that INT64_MIN formats correctly.
  bool negative = pence < 0;
  uint64_t abs = negative ? 0 - static_cast<uint64_t>(pence) : static_cast<uint64_t>(pence);
  std::string pounds = absl::StrCat(abs / 100);
  std::string grouped;
  for (size_t i = 0; i < pounds.size(); ++i) {
    if (i > 0 && (pounds.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(pounds[i]);
  }
  return absl::StrFormat("%s£%s.%02d", negative ? "-" : "", grouped, abs % 100);
}

}  // namespace dpmon
