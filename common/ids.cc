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

size_t Utf8Prefix(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int more;
    unsigned char lo = 0x80, hi = 0xBF;  // The second byte's range (RFC 3629).
    if (c >= 0xC2 && c <= 0xDF) {
      more = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      more = 2;
      if (c == 0xE0) lo = 0xA0;  // No overlong forms.
      if (c == 0xED) hi = 0x9F;  // No surrogates.
    } else if (c >= 0xF0 && c <= 0xF4) {
      more = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // Nothing above U+10FFFF.
    } else {
      return i;
    }
    if (i + more >= n) return i;  // Cut short.
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (int k = 2; k <= more; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += more + 1;
  }
  return n;
}

absl::Status ValidateUtf8(absl::string_view text) {
  const size_t valid = Utf8Prefix(text);
  if (valid == text.size()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "is not UTF-8 (byte 0x%02X at offset %d)", static_cast<unsigned char>(text[valid]), valid));
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
  return ValidateUtf8(text);
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
