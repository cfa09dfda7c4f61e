// A stable 64-bit FNV-1a hash of bytes: for fingerprints that must not change
// between runs or builds (idempotency index, page tokens, import request ids).
// Not collision-resistant: callers that need certainty confirm a match.
#ifndef DPMON_COMMON_FINGERPRINT_H_
#define DPMON_COMMON_FINGERPRINT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace dpmon {

inline uint64_t Fingerprint64(absl::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace dpmon

#endif  // DPMON_COMMON_FINGERPRINT_H_
