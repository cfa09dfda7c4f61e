// libFuzzer target: the MT940 parser on arbitrary bytes, read in each
// charset; and the charset decoder, whose output must always be valid UTF-8
// (the server refuses anything else). Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "client/feeds/mt940_feed.h"
#include "client/feeds/text.h"
#include "common/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using dpmon::feeds::Charset;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)dpmon::feeds::ParseMt940Feed(bytes, "fuzz");
  (void)dpmon::feeds::ParseMt940Feed(bytes, "fuzz", Charset::kCp852);
  for (const std::optional<Charset> declared :
       {std::optional<Charset>(), std::optional<Charset>(Charset::kUtf8),
        std::optional<Charset>(Charset::kCp1252), std::optional<Charset>(Charset::kCp852)}) {
    for (const std::optional<Charset> operators :
         {std::optional<Charset>(), std::optional<Charset>(Charset::kCp1252)}) {
      if (!dpmon::ValidateUtf8(dpmon::feeds::DecodeText(bytes, operators, declared)).ok()) {
        std::abort();
      }
    }
  }
  return 0;
}
