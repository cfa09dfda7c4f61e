// libFuzzer target: the MT940 parser on arbitrary bytes. Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/feeds/mt940_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)dpmon::feeds::ParseMt940Feed(std::string(reinterpret_cast<const char*>(data), size),
                                     "fuzz");
  return 0;
}
