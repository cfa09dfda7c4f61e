// libFuzzer target: the CSV feed parser with the prepaid-card preset, and the
// mapping file parser, on arbitrary bytes. Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/feeds/csv_feed.h"
#include "client/feeds/presets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dpmon::feeds::CsvMapping card =
      *dpmon::feeds::CsvMapping::Parse(dpmon::feeds::PresetMapping("prepaid-card"));
  static const dpmon::feeds::CsvMapping bank =
      *dpmon::feeds::CsvMapping::Parse(dpmon::feeds::PresetMapping("bank"));
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dpmon::feeds::ParseCsvFeed(text, card, "fuzz");
  (void)dpmon::feeds::ParseCsvFeed(text, bank, "fuzz", "ACC");
  (void)dpmon::feeds::CsvMapping::Parse(text);
  return 0;
}
