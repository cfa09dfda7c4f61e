#include "domain/search.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace dpmon::domain {

std::vector<std::string> NameWords(absl::string_view name) {
  std::vector<std::string> words;
  for (absl::string_view w :
       absl::StrSplit(name, absl::ByAnyChar(" \t\n\r,.-"), absl::SkipEmpty())) {
    words.push_back(absl::AsciiStrToLower(w));
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

bool NameMatches(const std::vector<std::string>& words, absl::string_view query) {
  const std::vector<std::string> wanted = NameWords(query);
  if (wanted.empty()) return false;
  for (const std::string& q : wanted) {
    bool found = false;
    for (const std::string& w : words) found |= absl::StartsWith(w, q);
    if (!found) return false;
  }
  return true;
}

}  // namespace dpmon::domain
