// Statement text as the server needs it: UTF-8. Banks write Windows-1252,
// ISO-8859-1 (which in practice means Windows-1252), code page 852 and UTF-8,
// and often say the wrong one; protobuf strings must be UTF-8, and one odd
// byte must not sink the batch around it.
//
// Thread-safety: pure functions.
#ifndef DPMON_CLIENT_FEEDS_TEXT_H_
#define DPMON_CLIENT_FEEDS_TEXT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dpmon::feeds {

enum class Charset {
  kUtf8,    // UTF-8; bytes that are not UTF-8 are read as Windows-1252.
  kCp1252,  // Windows-1252, and ISO-8859-1 (whose 0x80-0x9F no bank means as controls).
  kCp852,   // DOS Latin 2 (Central European).
};

// "UTF-8", "utf8", "1252", "windows-1252", "cp1252", "ISO-8859-1", "latin1",
// "8859-1", "USASCII"/"us-ascii"/"NONE" (taken as UTF-8: ASCII is UTF-8, and
// a non-ASCII byte in a file that says ASCII is read as the bytes allow),
// "852", "cp852", "ibm852". Case-insensitive.
absl::StatusOr<Charset> ParseCharset(absl::string_view name);
// The names ParseCharset takes, for an error message.
const char* CharsetNames();

// The text as UTF-8. From kUtf8, valid UTF-8 is kept as it is and each run
// that is not is read as Windows-1252, so a file that is UTF-8 but for one
// Latin-1 name loses nothing. Windows-1252's five unassigned bytes (0x81,
// 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD: they stand for no character.
std::string ToUtf8(absl::string_view bytes, Charset from);

// A statement file's text as UTF-8, without a byte order mark. The
// operator's charset (dpctl --charset), if given, is how the bytes are read.
// Otherwise a file that is UTF-8 throughout is UTF-8 whatever it declares
// (banks label UTF-8 exports "1252" as often as the reverse), and any other
// is read in the charset the file declares, else as UTF-8 with Windows-1252
// for the bytes that are not.
std::string DecodeText(absl::string_view bytes, std::optional<Charset> operators,
                       std::optional<Charset> declared);

// Drops a UTF-8 byte order mark.
absl::string_view StripBom(absl::string_view text);

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_TEXT_H_
