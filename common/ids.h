// Validation of identifiers and free text: what may appear in a key.
//
// Council and account ids become part of resource names and RocksDB keys;
// feed identifiers (source, account_ref, external_id) come from banks and
// card platforms. None may contain a NUL byte, which keys use as separator.
//
// Each check returns OK or InvalidArgument with a reason that does not name
// the field (the caller knows it).
//
// Thread-safety: pure functions.
#ifndef DPMON_COMMON_IDS_H_
#define DPMON_COMMON_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dpmon {

absl::Status ValidateId(absl::string_view id);
absl::Status ValidateFeedId(absl::string_view id);
// Free text: at most limits::kTextBytesMax bytes of UTF-8, no control
// characters but tab.
absl::Status ValidateText(absl::string_view text);
// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF); the reason names the first bad byte and its offset.
absl::Status ValidateUtf8(absl::string_view text);
// How many leading bytes of `text` are well-formed UTF-8.
size_t Utf8Prefix(absl::string_view text);

// The last segment of a resource name: "a1" of "councils/c/accounts/a1" (the
// name itself if it has no "/").
std::string LastNameSegment(absl::string_view name);
absl::Status ValidateRequestId(absl::string_view id);
// A merchant category code: exactly 4 digits.
absl::Status ValidateMcc(absl::string_view mcc);

}  // namespace dpmon

#endif  // DPMON_COMMON_IDS_H_
