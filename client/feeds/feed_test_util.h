// Helpers of the feed parsers' tests: reading sample files, and entries and
// problems as one line each so that a mismatch shows which.
#ifndef DPMON_CLIENT_FEEDS_FEED_TEST_UTIL_H_
#define DPMON_CLIENT_FEEDS_FEED_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/feeds/feed.h"

namespace dpmon::feeds::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A file of shared/feeds-real.
inline std::string RealFeed(const std::string& name) {
  return ReadFile(std::string(DPMON_SHARED_DIR) + "/feeds-real/" + name);
}

// "WHERE T ACCOUNT ID DATE PENCE COUNTERPARTY | DESCRIPTION" or
// "WHERE S ACCOUNT DATE PENCE".
inline std::vector<std::string> EntryLines(const FeedResult& r) {
  std::vector<std::string> out;
  for (const FeedEntry& e : r.entries) {
    std::ostringstream o;
    if (e.transaction) {
      const auto& t = *e.transaction;
      o << e.where << " T " << t.account_ref() << " " << t.external_id() << " " << t.booking_date()
        << " " << t.amount_pence() << " " << (t.has_counterparty() ? t.counterparty() : "-")
        << " | " << (t.has_description() ? t.description() : "-");
    } else {
      o << e.where << " S " << e.statement->account_ref() << " " << e.statement->date() << " "
        << e.statement->closing_balance_pence();
    }
    out.push_back(o.str());
  }
  return out;
}

// The transactions, and the statements, a parser read, in file order.
inline std::vector<v1::TransactionInput> Transactions(const FeedResult& r) {
  std::vector<v1::TransactionInput> out;
  for (const FeedEntry& e : r.entries) {
    if (e.transaction) out.push_back(*e.transaction);
  }
  return out;
}

inline std::vector<v1::StatementInput> Statements(const FeedResult& r) {
  std::vector<v1::StatementInput> out;
  for (const FeedEntry& e : r.entries) {
    if (e.statement) out.push_back(*e.statement);
  }
  return out;
}

// "WHERE FIELD: REASON"
inline std::vector<std::string> ProblemLines(const std::vector<FeedProblem>& ps) {
  std::vector<std::string> out;
  for (const FeedProblem& p : ps) out.push_back(p.where + " " + p.field + ": " + p.reason);
  return out;
}

}  // namespace dpmon::feeds::testing

#endif  // DPMON_CLIENT_FEEDS_FEED_TEST_UTIL_H_
