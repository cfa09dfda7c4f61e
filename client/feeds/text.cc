#include "client/feeds/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace dpmon::feeds {
namespace {

// Windows-1252's 0x80-0x9F (its 0xA0-0xFF are ISO-8859-1's, U+00A0-U+00FF).
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

// Code page 852's 0x80-0xFF.
constexpr uint16_t kCp852High[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x016F, 0x0107, 0x00E7, 0x0142, 0x00EB, 0x0150, 0x0151,
    0x00EE, 0x0179, 0x00C4, 0x0106, 0x00C9, 0x0139, 0x013A, 0x00F4, 0x00F6, 0x013D, 0x013E, 0x015A,
    0x015B, 0x00D6, 0x00DC, 0x0164, 0x0165, 0x0141, 0x00D7, 0x010D, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
    0x0104, 0x0105, 0x017D, 0x017E, 0x0118, 0x0119, 0x00AC, 0x017A, 0x010C, 0x015F, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00C1, 0x00C2, 0x011A, 0x015E, 0x2563, 0x2551, 0x2557,
    0x255D, 0x017B, 0x017C, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x0102, 0x0103,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4, 0x0111, 0x0110, 0x010E, 0x00CB,
    0x010F, 0x0147, 0x00CD, 0x00CE, 0x011B, 0x2518, 0x250C, 0x2588, 0x2584, 0x0162, 0x016E, 0x2580,
    0x00D3, 0x00DF, 0x00D4, 0x0143, 0x0144, 0x0148, 0x0160, 0x0161, 0x0154, 0x00DA, 0x0155, 0x0170,
    0x00FD, 0x00DD, 0x0163, 0x00B4, 0x00AD, 0x02DD, 0x02DB, 0x02C7, 0x02D8, 0x00A7, 0x00F7, 0x00B8,
    0x00B0, 0x00A8, 0x02D9, 0x0171, 0x0158, 0x0159, 0x25A0, 0x00A0,
};

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

uint32_t Cp1252(unsigned char c) {
  if (c < 0x80 || c >= 0xA0) return c;
  return kCp1252High[c - 0x80];
}

}  // namespace

absl::StatusOr<Charset> ParseCharset(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  if (n == "utf-8" || n == "utf8" || n == "usascii" || n == "us-ascii" || n == "ascii" ||
      n == "none") {
    return Charset::kUtf8;
  }
  if (n == "1252" || n == "windows-1252" || n == "cp1252" || n == "iso-8859-1" ||
      n == "iso8859-1" || n == "8859-1" || n == "latin1" || n == "latin-1" || n == "iso-latin-1") {
    return Charset::kCp1252;
  }
  if (n == "852" || n == "cp852" || n == "ibm852") return Charset::kCp852;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", name.substr(0, 40), "\" is not a character set dpmon reads (", CharsetNames(), ")"));
}

const char* CharsetNames() { return "utf-8, windows-1252, iso-8859-1, cp852"; }

std::string ToUtf8(absl::string_view bytes, Charset from) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  size_t i = 0;
  while (i < bytes.size()) {
    if (from == Charset::kUtf8) {
      // Keep the longest valid run, then read one byte as Windows-1252.
      const size_t valid = Utf8Prefix(bytes.substr(i));
      out.append(bytes.data() + i, valid);
      i += valid;
      if (i >= bytes.size()) break;
    }
    const auto c = static_cast<unsigned char>(bytes[i++]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (from == Charset::kCp852) {
      AppendCodePoint(kCp852High[c - 0x80], &out);
    } else {
      AppendCodePoint(Cp1252(c), &out);
    }
  }
  return out;
}

std::string DecodeText(absl::string_view bytes, std::optional<Charset> operators,
                       std::optional<Charset> declared) {
  bytes = StripBom(bytes);
  if (operators) return ToUtf8(bytes, *operators);
  if (Utf8Prefix(bytes) == bytes.size()) return std::string(bytes);
  return ToUtf8(bytes, declared.value_or(Charset::kUtf8));
}

absl::string_view StripBom(absl::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

}  // namespace dpmon::feeds
