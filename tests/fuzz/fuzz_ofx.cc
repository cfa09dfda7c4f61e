// libFuzzer target: the OFX parser on arbitrary bytes. Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/feeds/ofx_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)dpmon::feeds::ParseOfxFeed(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  return 0;
}
