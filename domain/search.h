// How an account is found by a person's name: the words of a display name,
// and whether a query matches them.
//
//   NameWords("Ann  Smith-Jones") == {"ann", "jones", "smith"}
//   NameMatches({"ann", "jones", "smith"}, "smi an")  // true
//
// Thread-safety: pure functions.
#ifndef DPMON_DOMAIN_SEARCH_H_
#define DPMON_DOMAIN_SEARCH_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace dpmon::domain {

// The distinct words of `name`, sorted: split at ASCII spaces, commas, full
// stops and hyphens, ASCII letters in lower case (other bytes as they are,
// so that a name in any script is found by its own letters).
std::vector<std::string> NameWords(absl::string_view name);

// True if every word of `query` (NameWords of it) is a prefix of some word
// of `words`; false for a query without words.
bool NameMatches(const std::vector<std::string>& words, absl::string_view query);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_SEARCH_H_
