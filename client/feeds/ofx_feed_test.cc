// The OFX parser on other projects' test files (shared/feeds-real, with what
// they must give written in its README) and on the project's own OFX 2.x
// card statement.
#include "client/feeds/ofx_feed.h"

#include "client/feeds/feed_test_util.h"
#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

using testing::EntryLines;
using testing::ProblemLines;
using testing::ReadFile;
using testing::RealFeed;

TEST(OfxFeed, BankMediumInGbp) {
  FeedResult r = ParseOfxFeed(RealFeed("ofxparse-bank_medium.gbp.ofx"), "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  EXPECT_EQ(EntryLines(r),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[1] T 12300 000012345678 0000123456782009040100001 2009-04-01 "
                "-660 MCDONALD'S #112 | POS MERCHANDISE;MCDONALD'S #112",
                "STMTRS[1]/STMTTRN[2] T 12300 000012345678 0000123456782009040200004 2009-04-02 "
                "-31667 Joe's Bald Hairstyles | MISCELLANEOUS PAYMENTS;Joe's Bald Hairstyles",
                "STMTRS[1]/STMTTRN[3] T 12300 000012345678 0000123456782009040300005 2009-04-03 "
                "-2200 CONNIE'S HAIR D | POS MERCHANDISE;CONNIE'S HAIR D",
                "STMTRS[1]/LEDGERBAL S 12300 000012345678 2009-05-23 38234",
            }));
}

TEST(OfxFeed, BankMediumInCadIsRejectedItemByItem) {
  FeedResult r = ParseOfxFeed(RealFeed("ofxparse-bank_medium.ofx"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(ProblemLines(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[1] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/STMTTRN[2] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/STMTTRN[3] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/LEDGERBAL CURDEF: currency CAD; only GBP is accepted",
            }));
}

TEST(OfxFeed, EmptyTagsAreNotZeros) {
  FeedResult r = ParseOfxFeed(RealFeed("ofxparse-ofx-v102-empty-tags.ofx"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(ProblemLines(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[1] CURRENCY: currency AUD; only GBP is accepted",
                "STMTRS[1]/LEDGERBAL BALAMT: the ledger balance is empty",
            }));
}

TEST(OfxFeed, Version2CardStatement) {
  FeedResult r = ParseOfxFeed(
      ReadFile(std::string(DPMON_SOURCE_DIR) + "/tests/feeds/card-ofx2.ofx"), "cardco");
  EXPECT_EQ(EntryLines(r),
            (std::vector<std::string>{
                "CCSTMTRS[1]/STMTTRN[1] T CARD-5512 OX-1 2026-03-02 40000 Bath & NE Somerset "
                "Council | Direct payment",
                // The card platform gave FITID OX-2 to two different bookings:
                // each keeps it with its date and amount (docs/feeds.md, "Ids").
                "CCSTMTRS[1]/STMTTRN[2] T CARD-5512 OX-2~20260304~-3550 2026-03-04 -3550 Day "
                "Centre <Bath> | -",
                "CCSTMTRS[1]/STMTTRN[3] T CARD-5512 OX-2~20260305~-1200 2026-03-05 -1200 "
                "Repeated id | -",
                "CCSTMTRS[1]/LEDGERBAL S CARD-5512 2026-03-10 36450",
            }));
  EXPECT_EQ(ProblemLines(r.invalid),
            (std::vector<std::string>{
                "CCSTMTRS[1]/STMTTRN[4] CURRENCY: currency EUR; only GBP is accepted",
                "CCSTMTRS[1]/STMTTRN[5] DTPOSTED: \"20260231\" is not a real date",
            }));
}

TEST(OfxFeed, BrokenFiles) {
  EXPECT_EQ(ProblemLines(ParseOfxFeed("", "b").invalid),
            (std::vector<std::string>{"file : no <OFX> element"}));
  EXPECT_EQ(ProblemLines(ParseOfxFeed("<OFX><STMTRS><CURDEF>GBP", "b").invalid),
            (std::vector<std::string>{"STMTRS[1] ACCTID: the statement names no account"}));
  EXPECT_EQ(
      ProblemLines(ParseOfxFeed("<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "b").invalid),
      (std::vector<std::string>{"file STMTRS: no statement (STMTRS or CCSTMTRS) in the file"}));
  // Truncated in the middle of a transaction: what is complete is kept.
  const std::string whole = RealFeed("ofxparse-bank_medium.gbp.ofx");
  const std::string cut = whole.substr(0, whole.find("<FITID>0000123456782009040300005"));
  FeedResult r = ParseOfxFeed(cut, "b");
  EXPECT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(ProblemLines(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[3] FITID: no FITID: the transaction has no id"}));
  // Nesting far too deep is refused, not recursed into.
  std::string deep = "<OFX>";
  for (int i = 0; i < 1000; ++i) deep += "<STMTRS>";
  EXPECT_EQ(ProblemLines(ParseOfxFeed(deep, "b").invalid),
            (std::vector<std::string>{"file : elements nested too deep"}));
}

}  // namespace
}  // namespace dpmon::feeds
