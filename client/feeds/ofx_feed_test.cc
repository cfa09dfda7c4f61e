// The OFX parser on other projects' test files (shared/feeds-real, with what
// they must give written in its README) and on the project's own OFX 2.x
// card statement.
#include "client/feeds/ofx_feed.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::string Real(const std::string& name) {
  return Read(std::string(DPMON_SHARED_DIR) + "/feeds-real/" + name);
}

std::vector<std::string> Lines(const FeedResult& r) {
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

std::vector<std::string> Problems(const std::vector<FeedProblem>& ps) {
  std::vector<std::string> out;
  for (const FeedProblem& p : ps) out.push_back(p.where + " " + p.field + ": " + p.reason);
  return out;
}

TEST(OfxFeed, BankMediumInGbp) {
  FeedResult r = ParseOfxFeed(Real("ofxparse-bank_medium.gbp.ofx"), "bank");
  EXPECT_TRUE(r.invalid.empty()) << Problems(r.invalid)[0];
  EXPECT_EQ(Lines(r),
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
  FeedResult r = ParseOfxFeed(Real("ofxparse-bank_medium.ofx"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(Problems(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[1] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/STMTTRN[2] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/STMTTRN[3] CURRENCY: currency CAD; only GBP is accepted",
                "STMTRS[1]/LEDGERBAL CURDEF: currency CAD; only GBP is accepted",
            }));
}

TEST(OfxFeed, EmptyTagsAreNotZeros) {
  FeedResult r = ParseOfxFeed(Real("ofxparse-ofx-v102-empty-tags.ofx"), "bank");
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(Problems(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[1] CURRENCY: currency AUD; only GBP is accepted",
                "STMTRS[1]/LEDGERBAL BALAMT: the ledger balance is empty",
            }));
}

TEST(OfxFeed, Version2CardStatement) {
  FeedResult r =
      ParseOfxFeed(Read(std::string(DPMON_SOURCE_DIR) + "/tests/feeds/card-ofx2.ofx"), "cardco");
  EXPECT_EQ(Lines(r),
            (std::vector<std::string>{
                "CCSTMTRS[1]/STMTTRN[1] T CARD-5512 OX-1 2026-03-02 40000 Bath & NE Somerset "
                "Council | Direct payment",
                "CCSTMTRS[1]/STMTTRN[2] T CARD-5512 OX-2 2026-03-04 -3550 Day Centre <Bath> | -",
                "CCSTMTRS[1]/LEDGERBAL S CARD-5512 2026-03-10 36450",
            }));
  EXPECT_EQ(Problems(r.invalid),
            (std::vector<std::string>{
                "CCSTMTRS[1]/STMTTRN[3] FITID: FITID \"OX-2\" is repeated (first at "
                "CCSTMTRS[1]/STMTTRN[2])",
                "CCSTMTRS[1]/STMTTRN[4] CURRENCY: currency EUR; only GBP is accepted",
                "CCSTMTRS[1]/STMTTRN[5] DTPOSTED: \"20260231\" is not a real date",
            }));
}

TEST(OfxFeed, BrokenFiles) {
  EXPECT_EQ(Problems(ParseOfxFeed("", "b").invalid),
            (std::vector<std::string>{"file : no <OFX> element"}));
  EXPECT_EQ(Problems(ParseOfxFeed("<OFX><STMTRS><CURDEF>GBP", "b").invalid),
            (std::vector<std::string>{"STMTRS[1] ACCTID: the statement names no account"}));
  EXPECT_EQ(
      Problems(ParseOfxFeed("<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "b").invalid),
      (std::vector<std::string>{"file STMTRS: no statement (STMTRS or CCSTMTRS) in the file"}));
  // Truncated in the middle of a transaction: what is complete is kept.
  const std::string whole = Real("ofxparse-bank_medium.gbp.ofx");
  const std::string cut = whole.substr(0, whole.find("<FITID>0000123456782009040300005"));
  FeedResult r = ParseOfxFeed(cut, "b");
  EXPECT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(Problems(r.invalid),
            (std::vector<std::string>{
                "STMTRS[1]/STMTTRN[3] FITID: no FITID: the transaction has no id"}));
  // Nesting far too deep is refused, not recursed into.
  std::string deep = "<OFX>";
  for (int i = 0; i < 1000; ++i) deep += "<STMTRS>";
  EXPECT_EQ(Problems(ParseOfxFeed(deep, "b").invalid),
            (std::vector<std::string>{"file : elements nested too deep"}));
}

}  // namespace
}  // namespace dpmon::feeds
