// The MT940 parser on other projects' test files (shared/feeds-peer/mt940,
// with what each must give in its README). Counts come from the files'
// lines; where the README says a file's balances add up, each statement's
// opening balance plus its entries is checked against its closing balance,
// both read from the file's own balance lines.
#include "client/feeds/mt940_feed.h"

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "client/feeds/feed_test_util.h"
#include "gtest/gtest.h"

namespace dpmon::feeds {
namespace {

using testing::ProblemLines;
using testing::ReadFile;
using testing::Statements;
using testing::Transactions;

std::string Mt940(const std::string& name) {
  return ReadFile(std::string(DPMON_SHARED_DIR) + "/feeds-peer/mt940/" + name);
}

// Lines of the file that start with `tag` (":61:").
int Lines(const std::string& text, const std::string& tag) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) n += absl::StartsWith(line, tag);
  return n;
}

void ExpectUniqueIds(const FeedResult& r) {
  std::set<std::string> ids;
  for (const auto& t : Transactions(r)) {
    EXPECT_TRUE(ids.insert(t.external_id()).second) << t.external_id();
    EXPECT_LE(t.external_id().size(), 128u);
  }
}

// A balance line's value in pence: "C020315GBP105000,00".
int64_t BalancePence(absl::string_view v) {
  std::string amount(v.substr(10));
  absl::StrReplaceAll({{",", "."}}, &amount);
  const size_t dot = amount.find('.');
  std::string pounds = amount.substr(0, dot), pence = amount.substr(dot + 1);
  while (!pence.empty() && (pence.back() == '\r' || pence.back() == ' ')) pence.pop_back();
  pence.resize(2, '0');
  int64_t p = 0, q = 0;
  EXPECT_TRUE(absl::SimpleAtoi(pounds.empty() ? "0" : pounds, &p)) << v;
  EXPECT_TRUE(absl::SimpleAtoi(pence, &q)) << v;
  return (v[0] == 'D' ? -1 : 1) * (p * 100 + q);
}

// For every opening (:60F:/:60M:) line and the next closing (:62F:/:62M:)
// line, the entries read from the lines between them add up.
void ExpectBalancesAddUp(const std::string& text, const FeedResult& r) {
  std::map<int, int64_t> by_line;  // Entry line -> pence.
  for (const FeedEntry& e : r.entries) {
    if (!e.transaction) continue;
    int line = 0;
    ASSERT_TRUE(absl::SimpleAtoi(e.where.substr(5), &line)) << e.where;
    by_line[line] += e.transaction->amount_pence();
  }
  int number = 0, opened_at = 0, pages = 0;
  int64_t opening = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (absl::StartsWith(line, ":60F:") || absl::StartsWith(line, ":60M:")) {
      opened_at = number;
      opening = BalancePence(line.substr(5));
    } else if (absl::StartsWith(line, ":62F:") || absl::StartsWith(line, ":62M:")) {
      int64_t sum = opening;
      for (auto it = by_line.upper_bound(opened_at); it != by_line.end() && it->first < number;
           ++it) {
        sum += it->second;
      }
      EXPECT_EQ(sum, BalancePence(line.substr(5))) << "the page closing on line " << number;
      ++pages;
    }
  }
  EXPECT_GT(pages, 0);
}

TEST(Mt940, OtherCurrenciesAreRefusedNamingThem) {
  for (const auto& [file, currency] : std::vector<std::pair<std::string, std::string>>{
           {"sharpmt940lib-abnamro.txt", "EUR"},
           {"betterplace-sepa_mt9401.txt", "EUR"},
           {"mt940-rs-MT940_DK_Example.sta", "DKK"},
           {"jejik-sparkasse2.txt", "EUR"},
           {"zilverline-knab_date_and_accounting_date_different_year.txt", "EUR"},
           {"qoomon-valid-mt940.txt", "USD"},
           {"ofxstatement-mt940-mt940_ASN.txt", "EUR"},
           {"mt940-js-base-1.mta", "DEM"},
           {"wolph-raiffeisen-cmi.sta", "HUF"},
           {"wolph-february_30.sta", "EUR"}}) {
    SCOPED_TRACE(file);
    const std::string text = Mt940(file);
    FeedResult r = ParseMt940Feed(text, "bank");
    EXPECT_TRUE(r.entries.empty());
    EXPECT_EQ(r.invalid.size(), static_cast<size_t>(Lines(text, ":61:") + Lines(text, ":62F:")))
        << ::testing::PrintToString(ProblemLines(r.invalid));
    for (const FeedProblem& p : r.invalid) {
      EXPECT_TRUE(absl::StrContains(p.reason, "currency " + currency))
          << p.where << " " << p.reason;
    }
  }
}

TEST(Mt940, EveryEntryAndEveryDaysClosingBalance) {
  // File, entries refused, whether its balances add up.
  struct Case {
    std::string file;
    bool adds_up;
  };
  for (const Case& c :
       std::vector<Case>{{"sharpmt940lib-StandardBank_transactions_GB.txt", true},
                         {"sharpmt940lib-abnamro.gbp.txt", true},
                         {"betterplace-sepa_mt9401.gbp.txt", true},
                         {"mt940-rs-MT940_DK_Example.gbp.sta", true},
                         {"jejik-sparkasse2.gbp.txt", false},
                         {"zilverline-knab_date_and_accounting_date_different_year.gbp.txt", true},
                         {"qoomon-valid-mt940.gbp.txt", false},
                         {"ofxstatement-mt940-mt940_ASN.gbp.txt", false},
                         {"mt940-js-base-1.gbp.mta", true},
                         {"wolph-raiffeisen-cmi.gbp.sta", false}}) {
    SCOPED_TRACE(c.file);
    const std::string text = Mt940(c.file);
    FeedResult r = ParseMt940Feed(text, "bank");
    EXPECT_TRUE(r.invalid.empty()) << ProblemLines(r.invalid)[0];
    EXPECT_TRUE(r.conflicts.empty());
    EXPECT_EQ(Transactions(r).size(), static_cast<size_t>(Lines(text, ":61:")));
    EXPECT_EQ(Statements(r).size(), static_cast<size_t>(Lines(text, ":62F:")));
    ExpectUniqueIds(r);
    if (c.adds_up) ExpectBalancesAddUp(text, r);
    // Parsing again gives the same ids: pushing again adds nothing.
    FeedResult again = ParseMt940Feed(text, "bank");
    ASSERT_EQ(again.entries.size(), r.entries.size());
    for (size_t i = 0; i < r.entries.size(); ++i) {
      if (r.entries[i].transaction) {
        EXPECT_EQ(again.entries[i].transaction->external_id(),
                  r.entries[i].transaction->external_id());
      }
    }
  }
}

TEST(Mt940, ReversalsFundsCodesAndDates) {
  // RDR: the reversal of a debit (funds code R) is money in, booked on its
  // entry date (0219), weeks after its value date (2020-02-01).
  FeedResult sparkasse = ParseMt940Feed(Mt940("jejik-sparkasse2.gbp.txt"), "bank");
  ASSERT_EQ(Transactions(sparkasse).size(), 1u);
  const v1::TransactionInput rd = Transactions(sparkasse)[0];
  EXPECT_EQ(rd.amount_pence(), 102725);
  EXPECT_EQ(rd.booking_date(), "2020-02-19");
  EXPECT_TRUE(absl::StartsWith(rd.description(), "reversal")) << rd.description();
  EXPECT_TRUE(absl::StrContains(rd.counterparty(), "GEB\xC3\x9CHREN")) << rd.counterparty();
  ASSERT_EQ(Statements(sparkasse).size(), 1u);
  EXPECT_EQ(Statements(sparkasse)[0].closing_balance_pence(), 93130450);  // As written.

  // RCR: the reversal of a credit is money out (the file's balances say so).
  FeedResult betterplace = ParseMt940Feed(Mt940("betterplace-sepa_mt9401.gbp.txt"), "bank");
  int reversals = 0;
  for (const auto& t : Transactions(betterplace)) {
    if (absl::StartsWith(t.description(), "reversal")) {
      ++reversals;
      EXPECT_LT(t.amount_pence(), 0);
    }
  }
  EXPECT_EQ(reversals, 2);

  // A value date in January and an entry date in December: the year before.
  FeedResult knab = ParseMt940Feed(
      Mt940("zilverline-knab_date_and_accounting_date_different_year.gbp.txt"), "bank");
  ASSERT_EQ(Transactions(knab).size(), 1u);
  EXPECT_EQ(Transactions(knab)[0].booking_date(), "2013-12-29");
  EXPECT_EQ(Transactions(knab)[0].account_ref(), "NL92 KNAB 0123 4567 89");

  // Dots as decimal marks, DR as debit with funds code R.
  FeedResult standard =
      ParseMt940Feed(Mt940("sharpmt940lib-StandardBank_transactions_GB.txt"), "bank");
  ASSERT_FALSE(Transactions(standard).empty());
  EXPECT_EQ(Transactions(standard)[0].amount_pence(), -5258);
  EXPECT_EQ(Transactions(standard)[0].booking_date(), "2015-01-25");  // Value date 26th.
}

TEST(Mt940, AlikeEntriesAreEachABooking) {
  // Three :61: lines identical byte for byte; in mt940-js, seven of 20000,00
  // on 22 March: six identical S051 lines across a page break, one NCHG.
  for (const auto& [file, alike] : std::vector<std::pair<std::string, int>>{
           {"qoomon-valid-mt940.gbp.txt", 3}, {"mt940-js-base-1.gbp.mta", 7}}) {
    SCOPED_TRACE(file);
    FeedResult r = ParseMt940Feed(Mt940(file), "bank");
    std::map<std::string, int> by_amount_and_date;
    for (const auto& t : Transactions(r)) {
      ++by_amount_and_date[t.booking_date() + " " + std::to_string(t.amount_pence())];
    }
    int most = 0;
    for (const auto& [key, n] : by_amount_and_date) most = std::max(most, n);
    EXPECT_EQ(most, alike);
    ExpectUniqueIds(r);
  }
  // The last day of the ASN month holds two identical entries.
  FeedResult asn = ParseMt940Feed(Mt940("ofxstatement-mt940-mt940_ASN.gbp.txt"), "bank");
  int on_31st = 0;
  for (const auto& t : Transactions(asn)) on_31st += t.amount_pence() == 100018;
  EXPECT_EQ(on_31st, 2);
}

TEST(Mt940, IdsDoNotDependOnWhatElseTheFileHolds) {
  // The next day's file repeats yesterday's message: its entries keep their
  // ids. Drop the first message of the Danske Bank file and compare.
  const std::string text = Mt940("mt940-rs-MT940_DK_Example.gbp.sta");
  const size_t second = text.find(":20:", text.find(":20:") + 1);
  ASSERT_NE(second, std::string::npos);
  FeedResult whole = ParseMt940Feed(text, "bank");
  FeedResult rest = ParseMt940Feed(text.substr(second), "bank");
  std::set<std::string> whole_ids, rest_ids;
  for (const auto& t : Transactions(whole)) whole_ids.insert(t.external_id());
  for (const auto& t : Transactions(rest)) rest_ids.insert(t.external_id());
  EXPECT_LT(rest_ids.size(), whole_ids.size());
  for (const std::string& id : rest_ids) EXPECT_TRUE(whole_ids.count(id)) << id;
}

TEST(Mt940, TextInCodePage852) {
  FeedResult r = ParseMt940Feed(Mt940("wolph-raiffeisen-cmi.gbp.sta"), "bank", Charset::kCp852);
  ASSERT_FALSE(Transactions(r).empty());
  // 0xA0 0x74 0xA3 ... in code page 852: "átutalás".
  EXPECT_TRUE(absl::StrContains(Transactions(r)[0].counterparty(), "\xC3\xA1tutal\xC3\xA1s"))
      << Transactions(r)[0].counterparty();
  EXPECT_EQ(Transactions(r)[0].account_ref(), "UBRTHUHB/123456789150ABCDEF002/HUF");
  // Without the operator's charset the bytes are still read, as Windows-1252.
  FeedResult guessed = ParseMt940Feed(Mt940("wolph-raiffeisen-cmi.gbp.sta"), "bank");
  EXPECT_EQ(Transactions(guessed).size(), Transactions(r).size());
}

TEST(Mt940, MalformedFiles) {
  // An impossible value date refuses the entry, never repairs it.
  FeedResult feb30 = ParseMt940Feed(Mt940("wolph-february_30.gbp.sta"), "bank");
  EXPECT_TRUE(Transactions(feb30).empty());
  EXPECT_EQ(Statements(feb30).size(), 1u);
  EXPECT_EQ(ProblemLines(feb30.invalid),
            (std::vector<std::string>{"line 6 61 value date: \"160230\" is not a real date"}));
  // Two accounts in one statement: the whole file, nothing pushed.
  for (const std::string file :
       {"betterplace-sepa_snippet_broken.txt", "betterplace-sepa_snippet_broken.gbp.txt"}) {
    FeedResult broken = ParseMt940Feed(Mt940(file), "bank");
    EXPECT_TRUE(broken.entries.empty());
    ASSERT_EQ(broken.invalid.size(), 1u);
    EXPECT_EQ(broken.invalid[0].where, "line 6");
    EXPECT_TRUE(absl::StrContains(broken.invalid[0].reason, "nothing was pushed"));
  }
  // MT940's relatives that are not statements, written from the standard:
  // refused whole, saying what they are.
  const std::string mt942 =
      ":20:INTRADAY1\r\n:25:20044412345678\r\n:28C:1/1\r\n:34F:GBP0,\r\n"
      ":13D:2611301015+0000\r\n:61:2611301130D12,50NMSCNONREF\r\n:86:Shop\r\n"
      ":90D:1GBP12,50\r\n:90C:0GBP0,\r\n";
  for (const auto& [text, where, what] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {mt942, "line 4", "an MT942 interim transaction report"},
           {"{1:F01BANKGB2LAXXX0000000000}{2:O9421015261130BANKGB2LAXXX00000000002611301015N}{4:"
            "\n" +
                mt942 + "-}",
            "file", "an MT942 interim transaction report"},
           {"{1:F01BANKGB2LAXXX0000000000}{2:I941BANKGB2LXXXXN}{4:\n:20:BAL1\n:25:20044412345678\n"
            ":28:1\n:13D:2611301800+0000\n:60F:C261129GBP100,00\n:90D:0GBP0,\n"
            ":90C:0GBP0,\n:62F:C261130GBP100,00\n-}",
            "file", "an MT941 balance report"},
       }) {
    FeedResult r = ParseMt940Feed(text, "bank");
    EXPECT_TRUE(r.entries.empty());
    ASSERT_EQ(r.invalid.size(), 1u);
    EXPECT_EQ(r.invalid[0].where, where);
    EXPECT_TRUE(absl::StartsWith(r.invalid[0].reason, "the file is " + what))
        << r.invalid[0].reason;
    EXPECT_TRUE(absl::StrContains(r.invalid[0].reason, "nothing was pushed"));
  }
  EXPECT_FALSE(ParseMt940Feed("", "bank").invalid.empty());
  EXPECT_FALSE(ParseMt940Feed("not a statement\n", "bank").invalid.empty());
}

}  // namespace
}  // namespace dpmon::feeds
