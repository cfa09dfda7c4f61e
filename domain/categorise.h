// Categorisation rules (docs/feeds.md) as a pure function: which category a
// transaction that arrived without one counts as.
//
// Thread-safety: pure functions.
#ifndef DPMON_DOMAIN_CATEGORISE_H_
#define DPMON_DOMAIN_CATEGORISE_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "domain/policy.h"
#include "domain/types.h"

namespace dpmon::domain {

// What categorisation reads of a transaction. Views into the caller's input.
struct CategoriseInput {
  int64_t amount_pence = 0;
  bool has_mcc = false;
  absl::string_view mcc;
  bool has_counterparty = false;
  absl::string_view counterparty;
  bool has_description = false;
  absl::string_view description;
};

using CategoryRules = std::vector<CategoryRule>;

// Whether `rule` matches `in`: every condition it gives holds, and its
// category fits the direction of the money (a credit category for money in,
// a debit category for money out).
bool RuleMatches(const CategoryRule& rule, const CategoriseInput& in);

// The category the first matching rule gives, the account's rules tried
// before the council's; UNCATEGORISED if none matches. Only for inputs
// without a category.
Category Categorise(const CategoryRules& account_rules, const CategoryRules& council_rules,
                    const CategoriseInput& in);

}  // namespace dpmon::domain

#endif  // DPMON_DOMAIN_CATEGORISE_H_
