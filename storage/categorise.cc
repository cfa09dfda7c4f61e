#include "storage/categorise.h"

#include "absl/strings/ascii.h"
#include "storage/totals.h"

namespace dpmon {
namespace {

bool ContainsIgnoreCase(const std::string& haystack, const std::string& needle) {
  return absl::AsciiStrToLower(haystack).find(absl::AsciiStrToLower(needle)) != std::string::npos;
}

}  // namespace

bool RuleMatches(const v1::CategoryRule& rule, const v1::TransactionInput& in) {
  if (rule.mcc().empty() && rule.counterparty_contains().empty() &&
      rule.description_contains().empty()) {
    return false;
  }
  if (!rule.mcc().empty() && (!in.has_mcc() || in.mcc() != rule.mcc())) return false;
  if (!rule.counterparty_contains().empty() &&
      (!in.has_counterparty() ||
       !ContainsIgnoreCase(in.counterparty(), rule.counterparty_contains()))) {
    return false;
  }
  if (!rule.description_contains().empty() &&
      (!in.has_description() ||
       !ContainsIgnoreCase(in.description(), rule.description_contains()))) {
    return false;
  }
  const v1::Category c = rule.category();
  if (c == v1::UNCATEGORISED) return true;
  return in.amount_pence() > 0 ? IsCreditCategory(c) : IsDebitCategory(c);
}

v1::Category Categorise(const CategoryRules& account_rules, const CategoryRules& council_rules,
                        const v1::TransactionInput& in) {
  for (const CategoryRules* rules : {&account_rules, &council_rules}) {
    for (const v1::CategoryRule& r : *rules) {
      if (RuleMatches(r, in)) return r.category();
    }
  }
  return v1::UNCATEGORISED;
}

}  // namespace dpmon
