// The CSV mapping presets shipped with dpmon (client/feeds/presets/*.map,
// built into the binary).
#ifndef DPMON_CLIENT_FEEDS_PRESETS_H_
#define DPMON_CLIENT_FEEDS_PRESETS_H_

#include <string>
#include <vector>

namespace dpmon::feeds {

// The text of preset `name` ("prepaid-card", "bank"), or "" if there is none.
std::string PresetMapping(const std::string& name);
std::vector<std::string> PresetNames();

}  // namespace dpmon::feeds

#endif  // DPMON_CLIENT_FEEDS_PRESETS_H_
