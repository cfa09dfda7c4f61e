// The camt.053 parser on other projects' test files (shared/feeds-real,
// with what they must give written in its README) and on the project's own
// .001.08 statement.
#include "client/feeds/camt_feed.h"

#include "client/feeds/feed_test_util.h"
#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

using testing::EntryLines;
using testing::ProblemLines;
using testing::ReadFile;
using testing::RealFeed;

TEST(CamtFeed, TwoStatementsInGbp) {
  FeedResult r = ParseCamt053Feed(RealFeed("genkgo-camt053.v2.multi.statement.gbp.xml"), "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  EXPECT_EQ(EntryLines(r),
            (std::vector<std::string>{
                "Stmt[1]/Bal[2] S NL26VAYB8060476890 2014-12-31 2700",
                "Stmt[1]/Ntry[1] T NL26VAYB8060476890 000000001 2014-12-31 885 - | Transaction "
                "Description 1",
                "Stmt[2]/Ntry[1] T NL26VAYB8060476890 000000002 2014-12-31 -700 Company Name 2 | "
                "Transaction Description 2",
            }));
  EXPECT_EQ(ProblemLines(r.conflicts),
            (std::vector<std::string>{
                "Stmt[2]/Bal[2] Bal: a second closing balance for NL26VAYB8060476890 on "
                "2014-12-31: 2000 pence (Stmt[1]/Bal[2] had 2700)"}));
}

TEST(CamtFeed, EuroIsRejectedEntryByEntry) {
  FeedResult r = ParseCamt053Feed(RealFeed("genkgo-camt053.v2.multi.statement.xml"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(ProblemLines(r.invalid),
            (std::vector<std::string>{
                "Stmt[1]/Bal[2] Amt@Ccy: currency EUR; only GBP is accepted",
                "Stmt[1]/Ntry[1] Amt@Ccy: currency EUR; only GBP is accepted",
                "Stmt[2]/Bal[2] Amt@Ccy: currency EUR; only GBP is accepted",
                "Stmt[2]/Ntry[1] Amt@Ccy: currency EUR; only GBP is accepted",
            }));
}

TEST(CamtFeed, OnlyAnOpeningBalanceIsNothing) {
  FeedResult r = ParseCamt053Feed(RealFeed("genkgo-camt53.only-Dt-with-DtTm.xml"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(r.invalid.empty());
  EXPECT_TRUE(r.conflicts.empty());
}

TEST(CamtFeed, Version08Sample) {
  FeedResult r = ParseCamt053Feed(
      ReadFile(std::string(DPMON_SOURCE_DIR) + "/tests/feeds/bank-camt053-v08.xml"), "lloyds");
  EXPECT_EQ(EntryLines(r),
            (std::vector<std::string>{
                "Stmt[1]/Bal[2] S 40-11-22 31926819 2026-03-10 172450",
                // N-001 names two bookings: each keeps it with its date and
                // amount; BANK-77's entry has its own reference too.
                "Stmt[1]/Ntry[1] T 40-11-22 31926819 N-001~20260302~180000 2026-03-02 180000 "
                "Durham County Council | DIRECT PAYMENT MARCH",
                "Stmt[1]/Ntry[2] T 40-11-22 31926819 BANK-77/N-002 2026-03-05 -17550 Home Care "
                "& Support Ltd | -",
                "Stmt[1]/Ntry[4] T 40-11-22 31926819 N-001~20260306~-500 2026-03-06 -500 - | -",
                "Stmt[1]/Ntry[6] T 40-11-22 31926819 N-006 2026-03-08 -10000 - | reversal: "
                "RETURNED CREDIT",
            }));
  EXPECT_EQ(ProblemLines(r.skipped),
            (std::vector<std::string>{"Stmt[1]/Ntry[3] Sts: skipped: PDNG (not booked)"}));
  EXPECT_EQ(ProblemLines(r.invalid), (std::vector<std::string>{
                                         "Stmt[1]/Ntry[5] Amt: \"12.3.4\" is not an amount",
                                     }));
}

TEST(CamtFeed, BrokenFiles) {
  const std::string whole = RealFeed("genkgo-camt053.v2.multi.statement.gbp.xml");
  FeedResult r = ParseCamt053Feed(whole.substr(0, whole.size() / 2), "bank");
  EXPECT_TRUE(r.entries.empty());  // Truncated: nothing, not half.
  ASSERT_EQ(r.invalid.size(), 1u);
  EXPECT_EQ(r.invalid[0].reason.rfind("not well-formed XML (line ", 0), 0u) << r.invalid[0].reason;
  EXPECT_EQ(
      ProblemLines(ParseCamt053Feed("<Document><Other/></Document>", "b").invalid),
      (std::vector<std::string>{"file BkToCstmrStmt: not a camt.053 bank-to-customer statement"}));
  // An external entity is never fetched or read.
  FeedResult xxe = ParseCamt053Feed(
      "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>&x;</IBAN></Id></Acct></Stmt>"
      "</BkToCstmrStmt></Document>",
      "b");
  for (const auto& p : xxe.invalid) EXPECT_EQ(p.reason.find("root:"), std::string::npos);
  EXPECT_TRUE(xxe.entries.empty());
}

}  // namespace
}  // namespace dpmon::feeds
