// `dpctl feed push` against the real server: the project's sample exports go
// in with a summary per file, a second push changes nothing, unknown cards
// wait in suspense until an account takes their reference, and a malformed
// file imports nothing of its bad rows and exits non-zero.
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

const std::string kSamples = std::string(DPMON_SOURCE_DIR) + "/tests/feeds/";

int64_t Balance(Client& client, const std::string& account, const std::string& date) {
  v1::GetBalanceRequest r;
  r.set_account("councils/wilts/accounts/" + account);
  r.set_as_of_date(date);
  v1::Balance b;
  grpc::ClientContext ctx;
  client.PrepareContext(&ctx);
  EXPECT_TRUE(client.ledger().GetBalance(&ctx, r, &b).ok());
  return b.balance_pence();
}

class FeedPush : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
    const std::string setup = server_.data_dir() + "-setup.jsonl";
    std::ofstream(setup)
        << R"({"type":"council","council":"wilts","name":"Wiltshire"})"
           "\n"
        << R"({"type":"account","council":"wilts","account":"A1","start_date":"2026-01-01","holding":"PREPAID_CARD","management":"SELF","recipient":"SERVICE_USER","external_refs":[{"source":"pfs","ref":"CARD-77"}]})"
           "\n"
        << R"({"type":"account","council":"wilts","account":"B1","start_date":"2026-01-01","holding":"BANK_ACCOUNT","management":"SELF","recipient":"SERVICE_USER","external_refs":[{"source":"lloyds","ref":"ACC-9"}]})"
           "\n";
    std::string out;
    ASSERT_EQ(RunCommand(server_.Dpctl({"--progress=false", "import", setup}), &out), 0) << out;
    client_ = std::make_unique<Client>(server_.Options());
  }
  int Push(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> all = {"feed", "push", "--council", "wilts"};
    all.insert(all.end(), args.begin(), args.end());
    return RunCommand(server_.Dpctl(all), out);
  }
  TestServer server_{"feed"};
  std::unique_ptr<Client> client_;
};

TEST_F(FeedPush, SamplesGoInOnceAndUnknownCardsWait) {
  std::string out;
  ASSERT_EQ(Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card",
                  kSamples + "prepaid-card.csv"},
                 &out),
            0)
      << out;
  // CARD-77: 4 transactions and 3 statements; CARD-78 (no account yet): 2 and 1.
  EXPECT_NE(out.find("accepted 7, duplicate 0, conflict 0, suspense 3, invalid 0, denied 0, "
                     "skipped 2"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("line 3: SKIPPED skipped: Authorisation"), std::string::npos) << out;
  // 500 − 180 − 25 + 25 (the reversal).
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 32000);
  ASSERT_EQ(Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card",
                  kSamples + "prepaid-card.csv"},
                 &out),
            0)
      << out;
  EXPECT_NE(out.find("accepted 0, duplicate 10, conflict 0, suspense 0"), std::string::npos) << out;
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 32000);
  // An account takes CARD-78: its waiting transactions arrive with their dates.
  ASSERT_EQ(RunCommand(server_.Dpctl({"accounts", "add-ref", "--council", "wilts", "--account",
                                      "B1", "--source", "pfs", "--ref", "CARD-78"}),
                       &out),
            0)
      << out;
  EXPECT_EQ(Balance(*client_, "B1", "2026-03-06"), 120050);
  EXPECT_EQ(Balance(*client_, "B1", "2026-03-05"), 0);

  // The bank export, with its account given on the command line, and a
  // mapping file instead of a preset.
  ASSERT_EQ(Push({"--source", "lloyds", "--file_format", "csv", "--mapping",
                  std::string(DPMON_SOURCE_DIR) + "/client/feeds/presets/bank.map", "--account_ref",
                  "ACC-9", kSamples + "bank.csv"},
                 &out),
            0)
      << out;
  EXPECT_NE(out.find("accepted 9, duplicate 0"), std::string::npos) << out;
  // CARD-78's 1,200.50 and the bank file's own movements (the bank's
  // running balance includes an opening balance the file does not hold).
  EXPECT_EQ(Balance(*client_, "B1", "2026-03-14"), 120050 + (200000 - 23000 - 4560 - 23000 - 425));
}

TEST_F(FeedPush, CategorisationRulesOfTheAccountThenTheCouncil) {
  // Council: MCC 8050 is agency care, MCC 6011 cash, "council" payments in.
  v1::UpdatePolicyRequest up;
  up.set_council("councils/wilts");
  auto rule = [](v1::CategoryRule* r, const char* mcc, const char* cp, v1::Category c) {
    r->set_mcc(mcc);
    r->set_counterparty_contains(cp);
    r->set_category(c);
  };
  rule(up.mutable_policy()->add_category_rules(), "8050", "", v1::AGENCY_CARE);
  rule(up.mutable_policy()->add_category_rules(), "6011", "", v1::CASH_WITHDRAWAL);
  rule(up.mutable_policy()->add_category_rules(), "", "council", v1::COUNCIL_PAYMENT);
  up.mutable_update_mask()->add_paths("category_rules");
  v1::Council council;
  {
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    grpc::Status s = client_->councils().UpdatePolicy(&ctx, up, &council);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // A1's own rule: its care agency is respite, before the council's MCC rule.
  v1::UpdateAccountRequest ua;
  ua.mutable_account()->set_name("councils/wilts/accounts/A1");
  rule(ua.mutable_account()->add_category_rules(), "", "care agency", v1::RESPITE);
  ua.mutable_update_mask()->add_paths("category_rules");
  v1::Account account;
  {
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    grpc::Status s = client_->accounts().UpdateAccount(&ctx, ua, &account);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string out;
  ASSERT_EQ(Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card",
                  kSamples + "prepaid-card.csv"},
                 &out),
            0)
      << out;
  ASSERT_EQ(RunCommand(server_.Dpctl({"accounts", "add-ref", "--council", "wilts", "--account",
                                      "B1", "--source", "pfs", "--ref", "CARD-78"}),
                       &out),
            0)
      << out;
  std::map<std::string, v1::Category> got;
  for (const char* a : {"A1", "B1"}) {
    v1::ListTransactionsRequest r;
    r.set_parent(absl::StrCat("councils/wilts/accounts/", a));
    v1::ListTransactionsResponse resp;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    ASSERT_TRUE(client_->ledger().ListTransactions(&ctx, r, &resp).ok());
    for (const auto& t : resp.transactions()) got[t.input().external_id()] = t.effective_category();
  }
  EXPECT_EQ(got, (std::map<std::string, v1::Category>{
                     {"PC-1001", v1::COUNCIL_PAYMENT},  // council rule
                     {"PC-1003", v1::RESPITE},          // A1's rule before the council's MCC
                     {"PC-1004", v1::UNCATEGORISED},    // nothing matches
                     {"PC-1005", v1::UNCATEGORISED},    // a reversal takes its original's
                     {"PC-1007", v1::COUNCIL_PAYMENT},  // attached from suspense: rules then
                     {"PC-1008", v1::CASH_WITHDRAWAL},
                 }));
  // A rule without a condition is refused, naming it.
  up.mutable_policy()->add_category_rules()->set_category(v1::OTHER);
  grpc::ClientContext ctx;
  client_->PrepareContext(&ctx);
  grpc::Status s = client_->councils().UpdatePolicy(&ctx, up, &council);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "policy.category_rules[3]");
}

TEST_F(FeedPush, AnOfficerRecategorisesAndTheHistoryIsKept) {
  std::string out;
  ASSERT_EQ(Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card",
                  kSamples + "prepaid-card.csv"},
                 &out),
            0)
      << out;
  auto recategorise = [this](const std::string& id, v1::Category c, v1::Transaction* t) {
    v1::RecategoriseTransactionRequest r;
    r.set_account("councils/wilts/accounts/A1");
    r.set_source("pfs");
    r.set_external_id(id);
    r.set_category(c);
    r.set_note("invoice seen");
    r.set_actor("J. Officer");
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    return client_->ledger().RecategoriseTransaction(&ctx, r, t);
  };
  auto totals = [this] {
    v1::GetCategoryTotalsRequest r;
    r.set_account("councils/wilts/accounts/A1");
    r.set_start_date("2026-03-01");
    r.set_end_date("2026-03-31");
    v1::CategoryTotals t;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    EXPECT_TRUE(client_->ledger().GetCategoryTotals(&ctx, r, &t).ok());
    std::map<std::string, std::pair<int64_t, int64_t>> out;
    for (const auto& c : t.totals()) {
      out[v1::Category_Name(c.category()) + "/" + v1::Direction_Name(c.direction())] = {
          c.net_pence(), c.transaction_count()};
    }
    return out;
  };
  // PC-1004 (-25.00, reversed by PC-1005) was uncategorised; the reversal follows it.
  v1::Transaction t;
  grpc::Status s = recategorise("PC-1004", v1::RESPITE, &t);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(t.category_history_size(), 1);
  EXPECT_EQ(t.category_history(0).from(), v1::UNCATEGORISED);
  EXPECT_EQ(t.category_history(0).to(), v1::RESPITE);
  EXPECT_EQ(t.category_history(0).actor(), "J. Officer");
  EXPECT_FALSE(t.category_history(0).at().empty());
  // PC-1003 (care, -180.00) becomes a cash withdrawal: watched by rule 9.
  ASSERT_TRUE(recategorise("PC-1003", v1::CASH_WITHDRAWAL, &t).ok());
  EXPECT_EQ(totals(), (std::map<std::string, std::pair<int64_t, int64_t>>{
                          {"UNCATEGORISED/CREDIT", {50000, 1}},
                          {"RESPITE/DEBIT", {0, 2}},
                          {"CASH_WITHDRAWAL/DEBIT", {-18000, 1}},
                      }));
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 32000);  // Balances never move.
  // The report as of the month's end now watches it (a cash withdrawal).
  auto flagged = [this](const std::string& subject) {
    v1::ComputeFlagReportRequest r;
    r.set_council("councils/wilts");
    r.set_as_of_date("2026-03-31");
    r.set_page_size(1000);
    v1::ComputeFlagReportResponse resp;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    EXPECT_TRUE(client_->monitoring().ComputeFlagReport(&ctx, r, &resp).ok());
    for (const auto& f : resp.flags()) {
      if (f.subject() == subject) return true;
    }
    return false;
  };
  EXPECT_TRUE(flagged("pfs:PC-1003"));
  // Again, back: two entries in the history.
  ASSERT_TRUE(recategorise("PC-1003", v1::AGENCY_CARE, &t).ok());
  ASSERT_EQ(t.category_history_size(), 2);
  EXPECT_EQ(t.category_history(1).from(), v1::CASH_WITHDRAWAL);
  EXPECT_EQ(totals().count("CASH_WITHDRAWAL/DEBIT"), 0u);
  EXPECT_FALSE(flagged("pfs:PC-1003"));
  // With dpctl.
  ASSERT_EQ(RunCommand(
                server_.Dpctl({"transactions", "recategorise", "--council", "wilts", "--account",
                               "A1", "--source", "pfs", "--id", "PC-1001", "--category",
                               "COUNCIL_PAYMENT", "--note", "remittance", "--actor", "J. Officer"}),
                &out),
            0)
      << out;
  EXPECT_NE(out.find("pfs:PC-1001 now COUNCIL_PAYMENT (1 changes)"), std::string::npos) << out;
  // The reversal itself, an unknown id, another account's: refused.
  EXPECT_EQ(recategorise("PC-1005", v1::OTHER, &t).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(recategorise("NOPE", v1::OTHER, &t).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(recategorise("PC-1007", v1::OTHER, &t).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // In suspense.
  // Stored and listed with its history.
  v1::ListTransactionsRequest lr;
  lr.set_parent("councils/wilts/accounts/A1");
  v1::ListTransactionsResponse listed;
  grpc::ClientContext ctx;
  client_->PrepareContext(&ctx);
  ASSERT_TRUE(client_->ledger().ListTransactions(&ctx, lr, &listed).ok());
  for (const auto& x : listed.transactions()) {
    if (x.input().external_id() == "PC-1003") {
      EXPECT_EQ(x.effective_category(), v1::AGENCY_CARE);
      EXPECT_EQ(x.category_history_size(), 2);
    }
  }
}

TEST_F(FeedPush, OfxFilesFromOtherProjects) {
  std::string out;
  const std::string real = std::string(DPMON_SHARED_DIR) + "/feeds-real/";
  // GBP: three transactions and the ledger balance, into suspense (nobody
  // holds the account yet); again: nothing new.
  ASSERT_EQ(
      Push({"--source", "bank", "--file_format", "ofx", real + "ofxparse-bank_medium.gbp.ofx"},
           &out),
      0)
      << out;
  EXPECT_NE(out.find("accepted 0, duplicate 0, conflict 0, suspense 4, invalid 0"),
            std::string::npos)
      << out;
  ASSERT_EQ(
      Push({"--source", "bank", "--file_format", "ofx", real + "ofxparse-bank_medium.gbp.ofx"},
           &out),
      0)
      << out;
  EXPECT_NE(out.find("duplicate 4, conflict 0, suspense 0, invalid 0"), std::string::npos) << out;
  // CAD: everything rejected with the reason, exit 3.
  EXPECT_EQ(
      Push({"--source", "bank2", "--file_format", "ofx", real + "ofxparse-bank_medium.ofx"}, &out),
      3)
      << out;
  EXPECT_NE(out.find("STMTRS[1]/STMTTRN[1]: INVALID CURRENCY: currency CAD; only GBP is accepted"),
            std::string::npos)
      << out;
  // The account takes the reference: the ledger balance reconciles.
  ASSERT_EQ(RunCommand(server_.Dpctl({"accounts", "add-ref", "--council", "wilts", "--account",
                                      "B1", "--source", "bank", "--ref", "12300 000012345678"}),
                       &out),
            0)
      << out;
  EXPECT_EQ(Balance(*client_, "B1", "2009-05-23"), -660 - 31667 - 2200);
}

TEST_F(FeedPush, Camt053TwiceAddsNothingAndReportsTheSecondBalance) {
  std::string out;
  const std::string file =
      std::string(DPMON_SHARED_DIR) + "/feeds-real/genkgo-camt053.v2.multi.statement.gbp.xml";
  // The second statement's different closing balance for the same date is a
  // conflict: exit 3, the rest in.
  EXPECT_EQ(Push({"--source", "rabo", "--file_format", "camt053", file}, &out), 3) << out;
  EXPECT_NE(out.find("accepted 0, duplicate 0, conflict 1, suspense 3, invalid 0"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Stmt[2]/Bal[2]: CONFLICT Bal: a second closing balance"), std::string::npos)
      << out;
  EXPECT_EQ(Push({"--source", "rabo", "--file_format", "camt053", file}, &out), 3) << out;
  EXPECT_NE(out.find("accepted 0, duplicate 3, conflict 1, suspense 0"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(server_.Dpctl({"accounts", "add-ref", "--council", "wilts", "--account",
                                      "B1", "--source", "rabo", "--ref", "NL26VAYB8060476890"}),
                       &out),
            0)
      << out;
  EXPECT_EQ(Balance(*client_, "B1", "2014-12-31"), 885 - 700);
}

TEST_F(FeedPush, BadRowsAreReportedAndNothingOfThemImported) {
  const std::string file = server_.data_dir() + "-bad.csv";
  std::ofstream(file)
      << "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
         "Card Balance,Original Transaction ID\n"
      << "X1,01/03/2026,CARD-77,Load,Council,,,100.00,100.00,\n"
      << "X2,31/02/2026,CARD-77,Purchase,Shop,5411,,-1.00,99.00,\n"
      << "X3,02/03/2026,CARD-77,Purchase,Shop,5411,,-1.005,99.00,\n";
  std::string out;
  EXPECT_EQ(
      Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card", file}, &out), 3)
      << out;
  EXPECT_NE(out.find("line 3: INVALID Settlement Date: \"31/02/2026\" is not a real date"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("line 4: INVALID Amount: \"-1.005\" has more than two decimals"),
            std::string::npos)
      << out;
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 10000);
  // An unknown preset: nothing pushed, exit 1.
  EXPECT_EQ(Push({"--source", "pfs", "--file_format", "csv", "--preset", "nope", file}, &out), 1);
}

// Recategorisation keeps the money's direction (issue 13): a debit cannot
// become a council payment, a credit cannot become wages, and a reversal
// goes its original's way; UNCATEGORISED fits either.
TEST_F(FeedPush, RecategorisationKeepsTheMoneysDirection) {
  const std::string file = server_.data_dir() + "-direction.csv";
  std::ofstream(file)
      << "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
         "Card Balance,Original Transaction ID\n"
      << "D1,02/03/2026,CARD-77,Load,Wiltshire Council,,Direct payment,500.00,,\n"
      << "D2,04/03/2026,CARD-77,Purchase,Jo Bloggs,,Wages,-500.00,,\n"
      // A refund of a debit this account never saw: unlinked, on the debit side.
      << "D3,05/03/2026,CARD-77,Reversal,Shop,,Refund,25.00,,OLD-9\n";
  std::string out;
  ASSERT_EQ(
      Push({"--source", "pfs", "--file_format", "csv", "--preset", "prepaid-card", file}, &out), 0)
      << out;
  auto recategorise = [this](const std::string& id, v1::Category c) {
    v1::RecategoriseTransactionRequest r;
    r.set_account("councils/wilts/accounts/A1");
    r.set_source("pfs");
    r.set_external_id(id);
    r.set_category(c);
    r.set_note("checked");
    r.set_actor("J. Officer");
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    v1::Transaction t;
    return client_->ledger().RecategoriseTransaction(&ctx, r, &t);
  };
  auto refused_on_category = [](const grpc::Status& s) {
    return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT && BadRequestField(s) == "category";
  };
  // 500.00 in, 500.00 out, 25.00 back.
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 2500);
  grpc::Status s = recategorise("D2", v1::COUNCIL_PAYMENT);
  EXPECT_TRUE(refused_on_category(s)) << s.error_message();
  EXPECT_NE(s.error_message().find("money out"), std::string::npos) << s.error_message();
  EXPECT_TRUE(refused_on_category(recategorise("D1", v1::PA_WAGES)));
  EXPECT_TRUE(refused_on_category(recategorise("D3", v1::REFUND)));
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 2500);
  EXPECT_TRUE(recategorise("D2", v1::PA_WAGES).ok());
  EXPECT_TRUE(recategorise("D2", v1::UNCATEGORISED).ok());
  EXPECT_TRUE(recategorise("D1", v1::UNCATEGORISED).ok());
  EXPECT_TRUE(recategorise("D3", v1::RESPITE).ok());
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 2500);
}

// --format is the output format for every command, feed push included; the
// file's format has a name of its own.
TEST_F(FeedPush, JsonSummaryForCronAndTheFileFormatHasItsOwnFlag) {
  const std::string file = server_.data_dir() + "-json.csv";
  std::ofstream(file)
      << "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
         "Card Balance,Original Transaction ID\n"
      << "J1,01/03/2026,CARD-77,Load,Council,,,100.00,100.00,\n"
      << "J2,31/02/2026,CARD-77,Purchase,Shop,5411,,-1.00,99.00,\n";
  std::string out;
  EXPECT_EQ(Push({"--format", "json", "--source", "pfs", "--file_format", "csv", "--preset",
                  "prepaid-card", file},
                 &out),
            3)
      << out;
  EXPECT_EQ(out.rfind("{\"file\":", 0), 0u) << out;
  EXPECT_NE(out.find("\"transactions\":1,\"statements\":"), std::string::npos) << out;
  // J1 gives a transaction and, from its card balance, a statement.
  EXPECT_NE(out.find("\"ACCEPTED\":2,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"INVALID\":1,"), std::string::npos) << out;
  EXPECT_NE(out.find("{\"where\":\"line 3\",\"outcome\":\"INVALID\",\"field\":\"Settlement Date\""),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one object, one line: " << out;
  // The old spelling says what to write instead (on stderr), and pushes nothing.
  std::string shell;
  for (const std::string& a :
       server_.Dpctl({"feed", "push", "--council", "wilts", "--source", "pfs", "--format", "csv",
                      "--preset", "prepaid-card", file})) {
    absl::StrAppend(&shell, "'", a, "' ");
  }
  EXPECT_EQ(RunCommand({"/bin/sh", "-c", shell + "2>&1"}, &out), 1) << out;
  EXPECT_NE(out.find("a feed file's format is --file_format"), std::string::npos) << out;
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), 10000);
}

// One bad entry at the start, in the middle and at the end of a batch: each
// is refused on its own with its line and field, every other entry arrives,
// and the summary accounts for every item read (issue 14). The CSV path
// streams as it reads; the OFX path reads the file first.
TEST_F(FeedPush, ABadEntryAnywhereInABatchLosesNoOther) {
  auto external_ids = [this](const std::string& account) {
    std::set<std::string> ids;
    v1::ListTransactionsRequest r;
    r.set_parent("councils/wilts/accounts/" + account);
    r.set_page_size(1000);
    v1::ListTransactionsResponse page;
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    EXPECT_TRUE(client_->ledger().ListTransactions(&ctx, r, &page).ok());
    for (const v1::Transaction& t : page.transactions()) ids.insert(t.input().external_id());
    return ids;
  };
  // Five entries a batch; rows 1, 8 and 15 (the first, the middle and the
  // last of the three batches as written) are bad in ways only the server's
  // rules would see: an id over its limit, a description over its limit, a
  // merchant with a control character.
  const std::string csv = server_.data_dir() + "-batch.csv";
  std::set<std::string> good_csv;
  {
    std::ofstream f(csv);
    f << "Transaction ID,Settlement Date,Card Reference,Type,Merchant,MCC,Description,Amount,"
         "Card Balance,Original Transaction ID\n";
    for (int row = 1; row <= 15; ++row) {
      std::string id = absl::StrCat("R", row), merchant = "Shop", description = "Groceries";
      if (row == 1) id = std::string(200, 'L');
      if (row == 8) description = std::string(2000, 'd');
      if (row == 15) merchant = "Sh\x07op";
      if (row != 1 && row != 8 && row != 15) good_csv.insert(id);
      f << id << "," << absl::StrFormat("%02d/03/2026", row) << ",CARD-77,Purchase," << merchant
        << ",5411," << description << ",-1.00,,\n";
    }
  }
  std::string out;
  EXPECT_EQ(Push({"--format", "json", "--batch_size", "5", "--source", "pfs", "--file_format",
                  "csv", "--preset", "prepaid-card", csv},
                 &out),
            3)
      << out;
  EXPECT_NE(out.find("\"items_read\":15,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"outcomes\":{\"ACCEPTED\":12,\"DUPLICATE\":0,\"CONFLICT\":0,\"SUSPENSE\":0,"
                     "\"INVALID\":3,\"DENIED\":0,\"SKIPPED\":0},\"unsent\":0,"),
            std::string::npos)
      << out;
  for (const char* bad : {R"({"where":"line 2","outcome":"INVALID","field":"external_id")",
                          R"({"where":"line 9","outcome":"INVALID","field":"description")",
                          R"({"where":"line 16","outcome":"INVALID","field":"counterparty")"}) {
    EXPECT_NE(out.find(bad), std::string::npos) << bad << "\n" << out;
  }
  EXPECT_EQ(external_ids("A1"), good_csv);
  EXPECT_EQ(Balance(*client_, "A1", "2026-03-31"), -1200);

  // OFX: seven entries, three a batch; entries 1, 5 and 7 have ids over the
  // limit. Pushed again, the good ones are all repeats.
  const std::string ofx = server_.data_dir() + "-batch.ofx";
  std::set<std::string> good_ofx;
  {
    std::ofstream f(ofx);
    f << "<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\" VERSION=\"220\"?>\n"
         "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STMTRS><CURDEF>GBP</CURDEF>"
         "<BANKACCTFROM><BANKID>1</BANKID><ACCTID>ACC-9</ACCTID></BANKACCTFROM><BANKTRANLIST>\n";
    for (int n = 1; n <= 7; ++n) {
      const std::string id = (n == 1 || n == 5 || n == 7)
                                 ? std::string(129, 'F') + std::to_string(n)
                                 : absl::StrCat("F", n);
      if (id.size() < 10) good_ofx.insert(id);
      f << "<STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>202603" << absl::StrFormat("%02d", n)
        << "</DTPOSTED><TRNAMT>10.00</TRNAMT><FITID>" << id << "</FITID><NAME>Council</NAME>"
        << "</STMTTRN>\n";
    }
    f << "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n";
  }
  for (const char* repeat : {"ACCEPTED\":4,\"DUPLICATE\":0", "ACCEPTED\":0,\"DUPLICATE\":4"}) {
    EXPECT_EQ(Push({"--format", "json", "--batch_size", "3", "--source", "lloyds", "--file_format",
                    "ofx", ofx},
                   &out),
              3)
        << out;
    EXPECT_NE(out.find("\"items_read\":7,"), std::string::npos) << out;
    EXPECT_NE(out.find(repeat), std::string::npos) << repeat << "\n" << out;
    EXPECT_NE(out.find("\"INVALID\":3,"), std::string::npos) << out;
    EXPECT_NE(out.find("\"unsent\":0,"), std::string::npos) << out;
    for (int n : {1, 5, 7}) {
      const std::string where =
          absl::StrFormat(R"({"where":"STMTRS[1]/STMTTRN[%d]","outcome":"INVALID",)"
                          R"("field":"external_id")",
                          n);
      EXPECT_NE(out.find(where), std::string::npos) << where << "\n" << out;
    }
  }
  EXPECT_EQ(external_ids("B1"), good_ofx);
  EXPECT_EQ(Balance(*client_, "B1", "2026-03-31"), 4000);

  // With the server gone, nothing is answered: every item read is still
  // accounted for, as refused here or unsent, and the error is given.
  ASSERT_TRUE(server_.Terminate());
  EXPECT_EQ(Push({"--format", "json", "--source", "pfs", "--file_format", "csv", "--preset",
                  "prepaid-card", csv},
                 &out),
            1)
      << out;
  EXPECT_NE(out.find("\"items_read\":15,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"ACCEPTED\":0,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"error\":\"UNAVAILABLE"), std::string::npos) << out;
  int64_t accounted = 0;
  for (const char* key : {"\"INVALID\":", "\"unsent\":"}) {
    const size_t at = out.find(key);
    ASSERT_NE(at, std::string::npos) << key << "\n" << out;
    accounted += std::stoll(out.substr(at + std::string(key).size()));
  }
  EXPECT_EQ(accounted, 15) << out;
}

// MT940 through dpctl: two days' statements, two alike entries that are
// each a booking; pushed again, every entry and balance is a repeat. An
// MT942 interim report is refused whole and nothing of it arrives.
TEST_F(FeedPush, Mt940TwiceAddsNothingAndAnInterimReportIsRefused) {
  const std::string file = server_.data_dir() + "-day.sta";
  std::ofstream(file) << "{1:F01BANKGB2LAXXX0000000000}{2:I940BANKGB2LXXXXN}{4:\r\n"
                         ":20:DAY1\r\n:25:ACC-9\r\n:28C:1/1\r\n:60F:C261101GBP0,00\r\n"
                         ":61:2611021102C500,00NTRFDP NOV//B1\r\n:86:Wiltshire Council\r\n"
                         ":61:2611021102D12,50NMSCNONREF\r\n:86:Corner shop\r\n"
                         ":61:2611021102D12,50NMSCNONREF\r\n:86:Corner shop\r\n"
                         ":62F:C261102GBP475,00\r\n-}\r\n"
                         "{1:F01BANKGB2LAXXX0000000000}{2:I940BANKGB2LXXXXN}{4:\r\n"
                         ":20:DAY2\r\n:25:ACC-9\r\n:28C:2/1\r\n:60F:C261102GBP475,00\r\n"
                         ":61:2611031103RD25,00NMSCNONREF\r\n:86:Refund from shop\r\n"
                         ":62F:C261103GBP500,00\r\n-}\r\n";
  std::string out;
  ASSERT_EQ(Push({"--source", "lloyds", "--file_format", "mt940", file}, &out), 0) << out;
  EXPECT_NE(out.find("6 items read (4 transactions and 2 statements)"), std::string::npos) << out;
  EXPECT_NE(out.find("accepted 6, duplicate 0"), std::string::npos) << out;
  EXPECT_EQ(Balance(*client_, "B1", "2026-11-02"), 50000 - 1250 - 1250);
  EXPECT_EQ(Balance(*client_, "B1", "2026-11-03"), 50000 - 1250 - 1250 + 2500);
  ASSERT_EQ(Push({"--source", "lloyds", "--file_format", "mt940", file}, &out), 0) << out;
  EXPECT_NE(out.find("accepted 0, duplicate 6, conflict 0"), std::string::npos) << out;
  EXPECT_EQ(Balance(*client_, "B1", "2026-11-03"), 50000);

  const std::string interim = server_.data_dir() + "-interim.sta";
  std::ofstream(interim) << ":20:INTRADAY\n:25:ACC-9\n:28C:3/1\n:34F:GBP0,\n:13D:2611041015+0000\n"
                            ":61:2611041104D99,00NMSCNONREF\n:86:Shop\n:90D:1GBP99,00\n";
  EXPECT_EQ(Push({"--source", "lloyds", "--file_format", "mt940", interim}, &out), 3) << out;
  EXPECT_NE(out.find("line 4: INVALID file: the file is an MT942 interim transaction report"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("accepted 0, duplicate 0"), std::string::npos) << out;
  EXPECT_EQ(Balance(*client_, "B1", "2026-11-30"), 50000);
}

}  // namespace
}  // namespace dpmon
