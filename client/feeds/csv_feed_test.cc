// The CSV feed parser: the project's sample exports through their presets
// give exactly the transactions and statements written out below by hand;
// malformed rows and files give precise problems and nothing half-read.
#include "client/feeds/csv_feed.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

std::string Read(const std::string& relative) {
  std::ifstream in(std::string(DPMON_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CsvMapping Preset(const std::string& name) {
  absl::StatusOr<CsvMapping> m = CsvMapping::Parse(Read("client/feeds/presets/" + name + ".map"));
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : CsvMapping();
}

// One line per entry, so a mismatch shows which.
std::string Describe(const FeedEntry& e) {
  std::ostringstream o;
  if (e.transaction) {
    const v1::TransactionInput& t = *e.transaction;
    o << "T " << t.source() << " " << t.account_ref() << " " << t.external_id() << " "
      << t.booking_date() << " " << t.amount_pence() << " mcc=" << (t.has_mcc() ? t.mcc() : "-")
      << " cp=" << (t.has_counterparty() ? t.counterparty() : "-")
      << " desc=" << (t.has_description() ? t.description() : "-")
      << " rev=" << (t.has_reverses() ? t.reverses() : "-")
      << " cat=" << v1::Category_Name(t.category());
  } else {
    const v1::StatementInput& s = *e.statement;
    o << "S " << s.source() << " " << s.account_ref() << " " << s.date() << " "
      << s.closing_balance_pence();
  }
  return o.str();
}

std::vector<std::string> Describe(const FeedResult& r) {
  std::vector<std::string> out;
  for (const FeedEntry& e : r.entries) out.push_back(Describe(e));
  return out;
}

TEST(CsvFeed, PrepaidCardSample) {
  FeedResult r = ParseCsvFeed(Read("tests/feeds/prepaid-card.csv"), Preset("prepaid-card"), "pfs");
  EXPECT_TRUE(r.invalid.empty()) << r.invalid[0].where << ": " << r.invalid[0].reason;
  EXPECT_EQ(Describe(r),
            (std::vector<std::string>{
                "T pfs CARD-77 PC-1001 2026-03-02 50000 mcc=- cp=Wiltshire Council "
                "desc=Direct payment rev=- cat=CATEGORY_UNSPECIFIED",
                "T pfs CARD-77 PC-1003 2026-03-04 -18000 mcc=8050 cp=Care Agency Ltd, Swindon "
                "desc=Care 24/02-01/03 rev=- cat=CATEGORY_UNSPECIFIED",
                "T pfs CARD-77 PC-1004 2026-03-04 -2500 mcc=7995 cp=Lucky Bet desc=- rev=- "
                "cat=CATEGORY_UNSPECIFIED",
                "T pfs CARD-77 PC-1005 2026-03-05 2500 mcc=7995 cp=Lucky Bet desc=Refund of "
                "PC-1004 rev=PC-1004 cat=CATEGORY_UNSPECIFIED",
                "T pfs CARD-78 PC-1007 2026-03-06 125050 mcc=- cp=Wiltshire Council "
                "desc=Direct payment rev=- cat=CATEGORY_UNSPECIFIED",
                "T pfs CARD-78 PC-1008 2026-03-06 -5000 mcc=6011 cp=Cash Machine desc=ATM "
                "withdrawal rev=- cat=CATEGORY_UNSPECIFIED",
                "S pfs CARD-77 2026-03-02 50000",
                "S pfs CARD-77 2026-03-04 29500",
                "S pfs CARD-77 2026-03-05 32000",
                "S pfs CARD-78 2026-03-06 120050",
            }));
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].where, "line 3");
  EXPECT_EQ(r.skipped[0].reason, "skipped: Authorisation");
  EXPECT_EQ(r.skipped[1].where, "line 7");
}

TEST(CsvFeed, BankSampleNewestFirst) {
  FeedResult r = ParseCsvFeed(Read("tests/feeds/bank.csv"), Preset("bank"), "lloyds", "ACC-9");
  EXPECT_TRUE(r.invalid.empty()) << r.invalid[0].where << ": " << r.invalid[0].reason;
  EXPECT_EQ(Describe(r),
            (std::vector<std::string>{
                "T lloyds ACC-9 BK-0005 2026-03-14 -23000 mcc=- cp=J Smith desc=Wages week 11 "
                "rev=- cat=CATEGORY_UNSPECIFIED",
                "T lloyds ACC-9 BK-0004 2026-03-14 -4560 mcc=- cp=HMRC desc=PAYE rev=- "
                "cat=CATEGORY_UNSPECIFIED",
                "T lloyds ACC-9 BK-0003 2026-03-07 -23000 mcc=- cp=J Smith desc=Wages week 10 "
                "rev=- cat=CATEGORY_UNSPECIFIED",
                "T lloyds ACC-9 BK-0002 2026-03-02 200000 mcc=- cp=Wiltshire Council "
                "desc=Direct payment rev=- cat=CATEGORY_UNSPECIFIED",
                "T lloyds ACC-9 BK-0001 2026-03-01 -425 mcc=- cp=Bank desc=Monthly fee rev=- "
                "cat=CATEGORY_UNSPECIFIED",
                "S lloyds ACC-9 2026-03-14 182015",
                "S lloyds ACC-9 2026-03-07 209575",
                "S lloyds ACC-9 2026-03-02 232575",
                "S lloyds ACC-9 2026-03-01 32575",
            }));
  // Without an account reference nothing is pushed, and every row says why.
  FeedResult none = ParseCsvFeed(Read("tests/feeds/bank.csv"), Preset("bank"), "lloyds");
  EXPECT_TRUE(none.entries.empty());
  EXPECT_EQ(none.invalid.size(), 5u);
}

TEST(CsvFeed, MalformedRowsArePreciseAndSkippedWhole) {
  const std::string text =
      "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
      "Card Balance,Original Transaction ID\n"
      "A1,31/02/2026,C1,Purchase,Shop,5411,,-1.00,10.00,\n"   // no such date
      "A2,01/03/2026,C1,Purchase,Shop,5411,,-1.005,10.00,\n"  // three decimals
      "A3,01/03/2026,C1,Purchase,Shop,54,,-1.00,10.00,\n"     // bad MCC
      "A4,01/03/2026,C1,Purchase,Shop,5411,,abc,10.00,\n"     // bad amount
      "A5,01/03/2026,C1,Purchase,Shop,5411,,-2.00,8.00,\n"    // fine
      "A5,02/03/2026,C1,Purchase,Shop,5411,,-2.00,6.00,\n"    // repeated id
      "A6,02/03/2026,C1,Reversal,Shop,5411,,2.00,8.00,\n"     // reversal of nothing
      ",02/03/2026,C1,Purchase,Shop,5411,,-2.00,6.00,\n"      // no id
      "A7,02/03/2026,C1,Purchase,Shop,5411,,0.00,6.00,\n";    // zero
  FeedResult r = ParseCsvFeed(text, Preset("prepaid-card"), "pfs");
  ASSERT_EQ(r.entries.size(), 2u);  // A5 and its day's balance.
  EXPECT_EQ(r.entries[0].transaction->external_id(), "A5");
  EXPECT_EQ(r.entries[1].statement->closing_balance_pence(), 800);
  std::vector<std::string> problems;
  for (const FeedProblem& p : r.invalid)
    problems.push_back(p.where + " " + p.field + ": " + p.reason);
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "line 2 Settlement Date: \"31/02/2026\" is not a real date",
                "line 3 Amount: \"-1.005\" has more than two decimals",
                "line 4 MCC: \"54\" is not a 4-digit MCC",
                "line 5 Amount: \"abc\" is not an amount",
                "line 7 Transaction ID: transaction id \"A5\" is repeated (first at line 6)",
                "line 8 Original Transaction ID: a reversal that names no original transaction",
                "line 9 Transaction ID: no transaction id",
                "line 10 Amount: is zero",
            }));
}

TEST(CsvFeed, BrokenFilesAndMappings) {
  const CsvMapping card = Preset("prepaid-card");
  FeedResult r = ParseCsvFeed("Transaction ID,Amount\nX,1.00\n", card, "pfs");
  EXPECT_TRUE(r.entries.empty());
  ASSERT_FALSE(r.invalid.empty());
  EXPECT_EQ(r.invalid[0].reason, "the header has no column \"Settlement Date\" (mapped as date)");
  const std::string header =
      "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
      "Card Balance,Original Transaction ID\n";
  r = ParseCsvFeed(header + "A1,01/03/2026,C1,Purchase,Shop,5411,,-1.00,,\n" +
                       "A2,01/03/2026,C1,Purchase,\"unterminated,5411,,-1.00,,\n",
                   card, "pfs");
  // The complete row before the broken quote is read; the rest is one problem.
  ASSERT_EQ(r.entries.size(), 1u);
  ASSERT_EQ(r.invalid.size(), 1u);
  EXPECT_EQ(r.invalid[0].reason, "line 3: a quoted field is never closed");
  EXPECT_TRUE(ParseCsvFeed("", card, "pfs").entries.empty());

  EXPECT_FALSE(CsvMapping::Parse("date = D\namount = A\n").ok());         // no id
  EXPECT_FALSE(CsvMapping::Parse("id = I\ndate = D\n").ok());             // no amount
  EXPECT_FALSE(CsvMapping::Parse("id = I\ndate = D\ndebit = X\n").ok());  // debit alone
  absl::Status s = CsvMapping::Parse("id = I\ndate = D\namount = A\ncolour = red\n").status();
  EXPECT_EQ(s.message(), "mapping line 4: unknown key \"colour\"");
  s = CsvMapping::Parse("id = I\ndate = D\namount = A\ndate_format = %Y/%d\n").status();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(CsvMapping::Parse("id=I\ndate=D\namount=A # signed\ndelimiter = tab\n").ok());
}

TEST(Amounts, ExactPenceOrAnError) {
  EXPECT_EQ(*ParseDecimalPence("12.34"), 1234);
  EXPECT_EQ(*ParseDecimalPence("-12.3"), -1230);
  EXPECT_EQ(*ParseDecimalPence("+7"), 700);
  EXPECT_EQ(*ParseDecimalPence("1,234.56"), 123456);
  EXPECT_EQ(*ParseDecimalPence("\xc2\xa3"
                               "5.00"),
            500);
  EXPECT_EQ(*ParseDecimalPence("(5.00)"), -500);
  EXPECT_EQ(*ParseDecimalPence("885.00000"), 88500);
  EXPECT_EQ(*ParseDecimalPence("100000000.00"), 10'000'000'000);
  EXPECT_FALSE(ParseDecimalPence("100000000.01").ok());
  EXPECT_FALSE(ParseDecimalPence("99999999999999999999").ok());
  EXPECT_FALSE(ParseDecimalPence("1.001").ok());
  EXPECT_FALSE(ParseDecimalPence("1.2.3").ok());
  EXPECT_FALSE(ParseDecimalPence("").ok());
  EXPECT_FALSE(ParseDecimalPence("-").ok());
  EXPECT_FALSE(ParseDecimalPence("1e5").ok());
  EXPECT_FALSE(ParseDecimalPence("(5.00").ok());
}

TEST(Dates, EachFormat) {
  EXPECT_EQ(ParseDateAs("2026-03-05", "%Y-%m-%d")->ToString(), "2026-03-05");
  EXPECT_EQ(ParseDateAs("05/03/2026", "%d/%m/%Y")->ToString(), "2026-03-05");
  EXPECT_EQ(ParseDateAs("03/05/2026", "%m/%d/%Y")->ToString(), "2026-03-05");
  EXPECT_EQ(ParseDateAs("05.03.2026", "%d.%m.%Y")->ToString(), "2026-03-05");
  EXPECT_EQ(ParseDateAs("20260305", "%Y%m%d")->ToString(), "2026-03-05");
  EXPECT_EQ(ParseDateAs("5 mar 2026", "%d %b %Y")->ToString(), "2026-03-05");
  EXPECT_FALSE(ParseDateAs("29/02/2026", "%d/%m/%Y").ok());
  EXPECT_TRUE(ParseDateAs("29/02/2028", "%d/%m/%Y").ok());
  EXPECT_FALSE(ParseDateAs("05/03/26", "%d/%m/%Y").ok());
  EXPECT_FALSE(ParseDateAs("2026-03-05", "%d/%m/%Y").ok());
}

}  // namespace
}  // namespace dpmon::feeds
