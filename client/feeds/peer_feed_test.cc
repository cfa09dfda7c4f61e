// The OFX and camt.053 parsers on other projects' test files
// (shared/feeds-peer, with what each must give in its README). The figures
// are read from the files: counts of their elements, and amounts written in
// them.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "client/feeds/camt_feed.h"
#include "client/feeds/feed_test_util.h"
#include "client/feeds/ofx_feed.h"
#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

using testing::ProblemLines;
using testing::ReadFile;
using testing::Statements;
using testing::Transactions;

std::string Peer(const std::string& name) {
  return ReadFile(std::string(DPMON_SHARED_DIR) + "/feeds-peer/" + name);
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::set<std::string> Ids(const FeedResult& r) {
  std::set<std::string> ids;
  for (const auto& t : Transactions(r)) ids.insert(t.external_id());
  return ids;
}

// A file in another currency: nothing to push, and each item refused
// naming one of `currencies`.
void ExpectAllRefused(const FeedResult& r, const std::vector<std::string>& currencies,
                      size_t items) {
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.invalid.size(), items) << ::testing::PrintToString(ProblemLines(r.invalid));
  for (const FeedProblem& p : r.invalid) {
    bool named = false;
    for (const std::string& c : currencies) named |= absl::StrContains(p.reason, "currency " + c);
    EXPECT_TRUE(named) << p.where << ": " << p.reason;
  }
}

TEST(PeerOfx, OtherCurrenciesAreRefusedItemByItemNamingThem) {
  // Each STMTTRN and each LEDGERBAL is one refusal.
  for (const auto& [file, currency] : std::vector<std::pair<std::string, std::string>>{
           {"ofxparse-checking.ofx", "USD"},
           {"ofxparse-suncorp.ofx", "AUD"},
           {"ofxparse-anzcc.ofx", "AUD"},
           {"ofxparse-multiple_accounts2.ofx", "USD"},
           {"ledger-autosync-accented_characters_latin1.ofx", "USD"},
           {"oca-test_ofx.ofx", "USD"}}) {
    SCOPED_TRACE(file);
    const std::string text = Peer(file);
    ExpectAllRefused(ParseOfxFeed(text, "bank"), {currency},
                     Count(text, "<STMTTRN>") + Count(text, "<LEDGERBAL>"));
  }
}

TEST(PeerOfx, EveryTransactionListOfAStatementIsRead) {
  const std::string text = Peer("oca-test_ofx.gbp.ofx");
  FeedResult r = ParseOfxFeed(text, "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  EXPECT_EQ(Count(text, "<BANKTRANLIST>"), 5);  // Four lists, then the card's empty one.
  EXPECT_EQ(Transactions(r).size(), static_cast<size_t>(Count(text, "<STMTTRN>")));
  EXPECT_EQ(Ids(r), (std::set<std::string>{"219378", "219379", "219380", "219381"}));
  std::set<std::string> accounts;
  for (const auto& s : Statements(r)) accounts.insert(s.account_ref());
  EXPECT_EQ(accounts, (std::set<std::string>{"123456", "123412341234"}));
}

TEST(PeerOfx, Windows1252TextArrivesAsUtf8) {
  FeedResult r = ParseOfxFeed(Peer("ledger-autosync-accented_characters_latin1.gbp.ofx"), "bank");
  ASSERT_EQ(Transactions(r).size(), 1u);
  // The file's byte 0xE0 is "à" in Windows-1252.
  EXPECT_EQ(Transactions(r)[0].counterparty(), "Virement Interac \xC3\xA0: Jean");
  EXPECT_EQ(Transactions(r)[0].amount_pence(), -5873);
  ASSERT_EQ(Statements(r).size(), 1u);
  EXPECT_EQ(Statements(r)[0].closing_balance_pence(), 10099);
}

TEST(PeerOfx, CdataIsText) {
  FeedResult r = ParseOfxFeed(Peer("ofxparse-suncorp.gbp.ofx"), "bank");
  ASSERT_EQ(Transactions(r).size(), 1u);
  EXPECT_EQ(Transactions(r)[0].counterparty(), "EFTPOS WDL HANDYWAY ALDI STORE");
  EXPECT_TRUE(absl::StartsWith(Transactions(r)[0].description(), "EFTPOS WDL HANDYWAY ALDI STORE"))
      << Transactions(r)[0].description();
  EXPECT_EQ(Statements(r).size(), 1u);
}

TEST(PeerOfx, CardStatementsAndTheLedgerBalance) {
  FeedResult card = ParseOfxFeed(Peer("ofxparse-anzcc.gbp.ofx"), "bank");
  ASSERT_EQ(Transactions(card).size(), 1u);
  EXPECT_EQ(Transactions(card)[0].description(), "SOME MEMO");
  EXPECT_FALSE(Transactions(card)[0].has_counterparty());
  ASSERT_EQ(Statements(card).size(), 1u);
  EXPECT_EQ(Statements(card)[0].closing_balance_pence(), -12345);  // LEDGERBAL, not AVAILBAL.
  FeedResult checking = ParseOfxFeed(Peer("ofxparse-checking.gbp.ofx"), "bank");
  EXPECT_EQ(Ids(checking), (std::set<std::string>{"0000486", "0000487", "0000488"}));
  ASSERT_EQ(Statements(checking).size(), 1u);
  EXPECT_EQ(Statements(checking)[0].date(), "2013-05-25");
}

TEST(PeerOfx, NoFitidIsReportedForEachTransaction) {
  for (const std::string file : {"bank-account-statement-rb-2.1.1_CHECKING.ofx",
                                 "bank-account-statement-rb-2.1.1_CREDITLINE.ofx"}) {
    SCOPED_TRACE(file);
    const std::string text = Peer(file);
    FeedResult r = ParseOfxFeed(text, "bank");
    EXPECT_TRUE(Transactions(r).empty());
    EXPECT_EQ(Statements(r).size(), 1u);
    EXPECT_EQ(r.invalid.size(), static_cast<size_t>(Count(text, "<STMTTRN>")));
    for (const FeedProblem& p : r.invalid) EXPECT_EQ(p.field, "FITID");
  }
}

TEST(PeerOfx, AnAccountListIsRefusedWholeSayingWhatItIs) {
  FeedResult r = ParseOfxFeed(Peer("ofxparse-account_listing_aggregation.ofx"), "bank");
  EXPECT_TRUE(r.entries.empty());
  ASSERT_EQ(r.invalid.size(), 1u);
  EXPECT_TRUE(absl::StrContains(r.invalid[0].reason, "account-information")) << r.invalid[0].reason;
}

TEST(PeerCamt, OtherCurrenciesAreRefusedItemByItemNamingThem) {
  for (const auto& [file, currencies] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"oca-test-camt053.xml", {"EUR"}},
           {"genkgo-camt053.v8.xml", {"EUR", "SEK"}},
           {"pyiso20022-gs-camt053_001_02.xml", {"USD", "EUR"}},
           {"moov-FI_camt_053_sample.xml", {"EUR"}},
           {"moov-postfinance-camt.053.001.04.xml", {"CHF"}}}) {
    SCOPED_TRACE(file);
    const std::string text = Peer(file);
    FeedResult r = ParseCamt053Feed(text, "bank");
    // Every entry, and every closing balance (CLBD).
    ExpectAllRefused(r, currencies, Count(text, "<Ntry>") + Count(text, ">CLBD<"));
  }
}

TEST(PeerCamt, ReportsAreRefusedWholeSayingWhatTheyAre) {
  for (const std::string file : {"genkgo-camt052.v2.xml", "genkgo-camt052.v2.gbp.xml"}) {
    FeedResult r = ParseCamt053Feed(Peer(file), "bank");
    EXPECT_TRUE(r.entries.empty());
    ASSERT_EQ(r.invalid.size(), 1u);
    EXPECT_TRUE(absl::StrContains(r.invalid[0].reason, "camt.052")) << r.invalid[0].reason;
  }
}

TEST(PeerCamt, AReusedServicerReferenceIsNotARepeat) {
  const std::string text = Peer("moov-postfinance-camt.053.001.04.gbp.xml");
  FeedResult r = ParseCamt053Feed(text, "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  // Five booked entries; two credits share AcctSvcrRef 07582000303KBMSU.
  EXPECT_EQ(Count(text, "<Ntry>"), 5);
  EXPECT_EQ(Ids(r), (std::set<std::string>{"0758103031480900/41100000000872849", "0758103031480977",
                                           "07582000303F0C7U", "07582000303KBMSU/014295803",
                                           "07582000303KBMSU/CH7730000001250094239"}));
  int64_t sum = 0;
  for (const auto& t : Transactions(r)) sum += t.amount_pence();
  EXPECT_EQ(sum, 450 - 7770 + 150000 + 153700 + 169222);  // The file's Amt and CdtDbtInd.
  ASSERT_EQ(Statements(r).size(), 1u);
}

TEST(PeerCamt, OneTransactionPerBookedEntryAndTheBalanceItself) {
  const std::string text = Peer("moov-FI_camt_053_sample.gbp.xml");
  FeedResult r = ParseCamt053Feed(text, "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  EXPECT_EQ(Transactions(r).size(), static_cast<size_t>(Count(text, "<Ntry>")));
  for (const auto& t : Transactions(r)) {
    EXPECT_TRUE(absl::StartsWith(t.external_id(), "091029ACCTSTMTARCH")) << t.external_id();
  }
  // OPBD 10000.00 plus the entries gives CLBD 23644.83 (not its credit line).
  int64_t sum = 1000000;
  for (const auto& t : Transactions(r)) sum += t.amount_pence();
  ASSERT_EQ(Statements(r).size(), 1u);
  EXPECT_EQ(Statements(r)[0].closing_balance_pence(), 2364483);
  EXPECT_EQ(sum, 2364483);
}

TEST(PeerCamt, BanksLayoutsReversalsAndDebitBalances) {
  const std::string text = Peer("pyiso20022-gs-camt053_001_02.gbp.xml");
  FeedResult r = ParseCamt053Feed(text, "bank");
  EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
  EXPECT_EQ(Transactions(r).size(), static_cast<size_t>(Count(text, "<Ntry>")));
  EXPECT_TRUE(Ids(r).count("52198201"));  // NtryRef.
  int reversals = 0;
  for (const auto& t : Transactions(r)) {
    if (absl::StartsWith(t.description(), "reversal")) {
      ++reversals;
      EXPECT_GT(t.amount_pence(), 0);  // CRDT reversals keep their own sign.
    }
  }
  EXPECT_EQ(reversals, Count(text, "<RvslInd>true</RvslInd>"));
  ASSERT_EQ(Statements(r).size(), 1u);
  EXPECT_EQ(Statements(r)[0].date(), "2023-09-30");
  EXPECT_LT(Statements(r)[0].closing_balance_pence(), 0);

  FeedResult oca = ParseCamt053Feed(Peer("oca-test-camt053.gbp.xml"), "bank");
  EXPECT_EQ(Transactions(oca).size(), 3u);  // The batch entry is one booking.
  EXPECT_EQ(Transactions(oca)[1].amount_pence(), -66405);
  EXPECT_TRUE(absl::StartsWith(Transactions(oca)[1].description(), "reversal"));

  FeedResult v8 = ParseCamt053Feed(Peer("genkgo-camt053.v8.gbp.xml"), "bank");
  ASSERT_EQ(Transactions(v8).size(), 1u);
  EXPECT_EQ(Transactions(v8)[0].external_id(), "AAAASESS-FP-CN_98765/01");
  EXPECT_EQ(Transactions(v8)[0].booking_date(), "2014-12-31");
  ASSERT_EQ(Statements(v8).size(), 1u);
  EXPECT_EQ(Statements(v8)[0].date(), "2014-12-30");
}

}  // namespace
}  // namespace dpmon::feeds
