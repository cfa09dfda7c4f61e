#include "common/ids.h"

#include "absl/strings/str_format.h"
#include "common/limits.h"

namespace dpmon {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsPrintableAscii(char c) { return c >= 0x20 && c < 0x7f; }

absl::Status CheckLength(absl::string_view s, size_t max) {
  if (s.empty()) return absl::InvalidArgumentError("must not be empty");
  if (s.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("is %d bytes long; the limit is %d", s.size(), max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view id) {
  if (absl::Status s = CheckLength(id, limits::kIdBytesMax); !s.ok()) return s;
  for (char c : id) {
    if (!IsIdChar(c)) {
      return absl::InvalidArgumentError("may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFeedId(absl::string_view id) {
  if (absl::Status s = CheckLength(id, limits::kFeedIdBytesMax); !s.ok()) return s;
  for (char c : id) {
    if (!IsPrintableAscii(c)) {
      return absl::InvalidArgumentError("may contain only printable ASCII characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view id) {
  if (absl::Status s = CheckLength(id, limits::kRequestIdBytesMax); !s.ok()) return s;
  for (char c : id) {
    if (!IsPrintableAscii(c)) {
      return absl::InvalidArgumentError("may contain only printable ASCII characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view text) {
  if (text.size() > limits::kTextBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrFormat("is %d bytes long; the limit is %d", text.size(), limits::kTextBytesMax));
  }
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\t') {
      return absl::InvalidArgumentError("must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMcc(absl::string_view mcc) {
  if (mcc.size() != 4) return absl::InvalidArgumentError("must be exactly 4 digits");
  for (char c : mcc) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("must be exactly 4 digits");
  }
  return absl::OkStatus();
}

std::string LastNameSegment(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace dpmon
