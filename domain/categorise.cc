#include "domain/categorise.h"

#include <string>

#include "absl/strings/ascii.h"
#include "domain/totals.h"

namespace dpmon::domain {
namespace {

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  return absl::AsciiStrToLower(haystack).find(absl::AsciiStrToLower(needle)) != std::string::npos;
}

}  // namespace

bool RuleMatches(const CategoryRule& rule, const CategoriseInput& in) {
  if (rule.mcc.empty() && rule.counterparty_contains.empty() && rule.description_contains.empty()) {
    return false;
  }
  if (!rule.mcc.empty() && (!in.has_mcc || in.mcc != rule.mcc)) return false;
  if (!rule.counterparty_contains.empty() &&
      (!in.has_counterparty || !ContainsIgnoreCase(in.counterparty, rule.counterparty_contains))) {
    return false;
  }
  if (!rule.description_contains.empty() &&
      (!in.has_description || !ContainsIgnoreCase(in.description, rule.description_contains))) {
    return false;
  }
  const Category c = rule.category;
  if (c == UNCATEGORISED) return true;
  return in.amount_pence > 0 ? IsCreditCategory(c) : IsDebitCategory(c);
}

Category Categorise(const CategoryRules& account_rules, const CategoryRules& council_rules,
                    const CategoriseInput& in) {
  for (const CategoryRules* rules : {&account_rules, &council_rules}) {
    for (const CategoryRule& r : *rules) {
      if (RuleMatches(r, in)) return r.category;
    }
  }
  return UNCATEGORISED;
}

}  // namespace dpmon::domain
