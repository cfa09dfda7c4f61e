// Categorisation rules (docs/feeds.md) as a pure function: which category a
// transaction that arrived without one counts as.
//
// Thread-safety: pure functions.
#ifndef DPMON_STORAGE_CATEGORISE_H_
#define DPMON_STORAGE_CATEGORISE_H_

#include "dpmon/v1/resources.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace dpmon {

using CategoryRules = google::protobuf::RepeatedPtrField<v1::CategoryRule>;

// Whether `rule` matches `in`: every condition it gives holds, and its
// category fits the direction of the money (a credit category for money in,
// a debit category for money out).
bool RuleMatches(const v1::CategoryRule& rule, const v1::TransactionInput& in);

// The category the first matching rule gives, the account's rules tried
// before the council's; UNCATEGORISED if none matches. Only for inputs
// without a category.
v1::Category Categorise(const CategoryRules& account_rules, const CategoryRules& council_rules,
                        const v1::TransactionInput& in);

}  // namespace dpmon

#endif  // DPMON_STORAGE_CATEGORISE_H_
