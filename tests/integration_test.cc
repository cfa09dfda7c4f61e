// The real server on a real RocksDB directory over real gRPC: import the
// shared scenarios with dpctl and check every balance against sums this test
// computes itself from the file.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "dpmon/v1/import.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

// What the file says, computed without dpmon: the first version of each
// (source, external_id) stands; a transaction counts for the account that
// names it directly or holds its (source, account_ref).
struct Expected {
  std::string council;
  std::set<std::string> accounts;
  std::map<std::pair<std::string, std::string>, std::string> ref_owner;
  struct Txn {
    std::string account, source, ref, date;
    int64_t amount;
  };
  std::map<std::pair<std::string, std::string>, Txn> txns;  // first one stands

  static Expected FromFile(const std::string& path) {
    Expected e;
    std::ifstream in(path);
    std::string text;
    while (std::getline(in, text)) {
      v1::ImportLine l;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &l).ok()) << text;
      if (l.type() == "council") e.council = l.council();
      if (l.type() == "account") {
        e.accounts.insert(l.account());
        for (const auto& r : l.external_refs()) e.ref_owner[{r.source(), r.ref()}] = l.account();
      }
      if (l.type() == "transaction") {
        e.txns.emplace(
            std::make_pair(l.source(), l.external_id()),
            Txn{l.account(), l.source(), l.account_ref(), l.booking_date(), l.amount_pence()});
      }
    }
    return e;
  }
  std::string AccountOf(const Txn& t) const {
    if (!t.account.empty()) return t.account;
    auto it = ref_owner.find({t.source, t.ref});
    return it == ref_owner.end() ? "" : it->second;
  }
  int64_t Balance(const std::string& account, const std::string& as_of) const {
    int64_t sum = 0;
    for (const auto& [id, t] : txns) {
      if (AccountOf(t) == account && t.date <= as_of) sum += t.amount;
    }
    return sum;
  }
  int64_t Count(const std::string& account) const {
    int64_t n = 0;
    for (const auto& [id, t] : txns) n += AccountOf(t) == account;
    return n;
  }
  int64_t Unattached() const {
    int64_t n = 0;
    for (const auto& [id, t] : txns) n += AccountOf(t).empty();
    return n;
  }
};

int64_t GetBalance(Client& client, const std::string& council, const std::string& account,
                   const std::string& date) {
  v1::GetBalanceRequest r;
  r.set_account(absl::StrCat("councils/", council, "/accounts/", account));
  r.set_as_of_date(date);
  v1::Balance b;
  grpc::ClientContext ctx;
  client.PrepareContext(&ctx);
  grpc::Status s = client.ledger().GetBalance(&ctx, r, &b);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return b.balance_pence();
}

int64_t CountTransactions(Client& client, const std::string& council, const std::string& account) {
  v1::ListTransactionsRequest r;
  r.set_parent(absl::StrCat("councils/", council, "/accounts/", account));
  r.set_page_size(97);  // Not a divisor of anything: exercises page boundaries.
  int64_t n = 0;
  std::set<std::string> seen;
  do {
    v1::ListTransactionsResponse page;
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    grpc::Status s = client.ledger().ListTransactions(&ctx, r, &page);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (const auto& t : page.transactions()) {
      EXPECT_TRUE(seen.insert(t.input().source() + ":" + t.input().external_id()).second);
      ++n;
    }
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return n;
}

int64_t CountSuspenseTransactions(Client& client, const std::string& council) {
  v1::ListSuspenseRequest r;
  r.set_parent(absl::StrCat("councils/", council));
  r.set_page_size(50);
  int64_t n = 0;
  do {
    v1::ListSuspenseResponse page;
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    grpc::Status s = client.ledger().ListSuspense(&ctx, r, &page);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (const auto& i : page.items()) n += i.has_transaction();
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty());
  return n;
}

void CheckScenario(const std::string& name) {
  const std::string path = absl::StrCat(DPMON_SHARED_DIR, "/scenarios/", name, ".jsonl");
  Expected want = Expected::FromFile(path);
  ASSERT_FALSE(want.accounts.empty());
  TestServer server(name);
  ASSERT_TRUE(server.Start());
  std::string out;
  int rc = RunCommand({DPMON_DPCTL_BIN, "--server=" + server.address(),
                       "--key_file=" + server.admin_key_file(), "import", path},
                      &out);
  // 0: all applied; 3: some lines rejected. Only conflicts may be rejected here.
  ASSERT_TRUE(rc == 0 || rc == 3) << out;
  for (const std::string& line : {std::string("not a valid"), std::string("INVALID")}) {
    EXPECT_EQ(out.find(line), std::string::npos) << out;
  }
  Client client(server.Options());
  auto check_all = [&] {
    for (const std::string& account : want.accounts) {
      for (const char* date :
           {"2023-12-31", "2024-06-30", "2024-12-31", "2025-03-31", "2025-09-15", "2025-10-05",
            "2025-12-31", "2026-01-20", "2026-06-30", "2099-12-31"}) {
        EXPECT_EQ(GetBalance(client, want.council, account, date), want.Balance(account, date))
            << account << " as of " << date;
      }
      EXPECT_EQ(CountTransactions(client, want.council, account), want.Count(account)) << account;
    }
    EXPECT_EQ(CountSuspenseTransactions(client, want.council), want.Unattached());
  };
  check_all();
  // Importing the same file again changes nothing.
  rc = RunCommand({DPMON_DPCTL_BIN, "--server=" + server.address(),
                   "--key_file=" + server.admin_key_file(), "import", path},
                  &out);
  ASSERT_TRUE(rc == 0 || rc == 3) << out;
  check_all();
  // And everything is still there after a clean restart.
  ASSERT_TRUE(server.Terminate());
  ASSERT_TRUE(server.Start());
  Client again(server.Options());
  client = std::move(again);
  check_all();
}

TEST(Scenario, CouncilDemoBalancesMatchIndependentSums) { CheckScenario("council-demo"); }
TEST(Scenario, EdgesBalancesMatchIndependentSums) { CheckScenario("edges"); }

TEST(Dpctl, ExitsNonZeroWhenTheServerIsUnreachable) {
  std::string out;
  int rc = RunCommand({DPMON_DPCTL_BIN, "--server=127.0.0.1:1", "--deadline_seconds=2", "balance",
                       "--council=c", "--account=a", "--as_of=2025-01-01"},
                      &out);
  EXPECT_EQ(rc, 1);
}

// Files on disk are private (issue 13, item 5): whatever the umask the
// server starts with, its data directory is 0700 and every file in it 0600;
// it refuses a directory others may read unless told it must be shared.
TEST(Files, TheDataDirectoryIsTheServicesAlone) {
  const mode_t old_umask = ::umask(022);
  TestServer server("files");
  const bool started = server.Start({"--evaluate_at=off"});
  ::umask(old_umask);
  ASSERT_TRUE(started);
  {
    Client client(server.Options());
    v1::ListCouncilsRequest r;
    v1::ListCouncilsResponse out;
    ASSERT_TRUE(client.Call(client.councils(), &v1::Councils::Stub::ListCouncils, r, &out).ok());
  }
  ASSERT_TRUE(server.Terminate());
  struct stat st;
  ASSERT_EQ(::stat(server.data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(server.data_dir())) {
    if (!e.is_regular_file()) continue;
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << e.path() << " is open to others";
    ++files;
  }
  EXPECT_GT(files, 3);
  ASSERT_EQ(::stat(server.admin_key_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Opened up by hand: refused, with what to do about it.
  ASSERT_EQ(::chmod(server.data_dir().c_str(), 0755), 0);
  if (server.Start({"--evaluate_at=off"})) {
    ADD_FAILURE() << "started on a directory others may read";
    server.Terminate();
  }
  std::ifstream log(std::filesystem::path(server.data_dir()).parent_path() / "server.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("chmod 700"), std::string::npos) << text;
  EXPECT_NE(text.find("--allow_shared_data_dir"), std::string::npos) << text;
  // Unless the operator says it must be shared.
  ASSERT_TRUE(server.Start({"--evaluate_at=off", "--allow_shared_data_dir"}));
  ASSERT_TRUE(server.Terminate());
}

// An import that never reached the server says so, and claims nothing.
TEST(Dpctl, AnImportThatCannotReachTheServerClaimsNothing) {
  const std::string file = ::testing::TempDir() + "/unreachable.jsonl";
  std::ofstream(file) << R"({"type":"council","council":"c","name":"C"})"
                      << "\n";
  std::string out;
  int rc = RunCommand({"/bin/sh", "-c",
                       std::string("'") + DPMON_DPCTL_BIN +
                           "' --server=127.0.0.1:1 --deadline_seconds=2 --progress=false import '" +
                           file + "' 2>&1"},
                      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.find("applied"), std::string::npos) << out;
  EXPECT_NE(out.find("nothing imported"), std::string::npos) << out;
}

// The usage text is made from the command table: every command is in it.
TEST(Dpctl, UsageListsEveryCommand) {
  std::string out;
  // dpctl alone lists the commands by area (issue 19: on stdout, exit 0).
  EXPECT_EQ(RunCommand({"/bin/sh", "-c", std::string("'") + DPMON_DPCTL_BIN + "' 2>&1"}, &out), 0);
  for (const char* command : {"import",
                              "transactions list",
                              "transactions recategorise",
                              "statements list",
                              "balance",
                              "totals",
                              "suspense list",
                              "councils list",
                              "councils get",
                              "accounts list",
                              "accounts get",
                              "accounts add-ref",
                              "evaluate",
                              "flags list",
                              "flags counts",
                              "flags ack",
                              "flags resolve",
                              "overview",
                              "audit due",
                              "audit risks",
                              "audit pack",
                              "audit run",
                              "audit record",
                              "recovery record",
                              "feed push",
                              "whoami",
                              "admin keys create",
                              "admin keys list",
                              "admin keys revoke",
                              "admin access-log"}) {
    const std::string line = std::string("\n  ") + command + "  ";
    EXPECT_NE(out.find(line), std::string::npos) << command << "\n" << out;
  }
  EXPECT_EQ(RunCommand(
                {"/bin/sh", "-c", std::string("'") + DPMON_DPCTL_BIN + "' balance extra-word 2>&1"},
                &out),
            1);
  EXPECT_NE(out.find("unexpected \"extra-word\""), std::string::npos) << out;
}

TEST(Dpctl, AddRefAttachesSuspenseOnce) {
  TestServer server("addref");
  ASSERT_TRUE(server.Start({"--evaluate_at=off"}));
  const std::string file = server.data_dir() + ".addref.jsonl";
  {
    std::ofstream f(file);
    f << R"({"type":"council","council":"c1","name":"C1"})"
      << "\n"
      << R"({"type":"account","council":"c1","account":"A1","start_date":"2025-01-01",)"
      << R"("holding":"PREPAID_CARD","management":"SELF","recipient":"SERVICE_USER"})"
      << "\n"
      << R"({"type":"transaction","council":"c1","source":"cardco","account_ref":"NEW-1",)"
      << R"("external_id":"T1","booking_date":"2025-02-01","amount_pence":5000,)"
      << R"("category":"COUNCIL_PAYMENT"})"
      << "\n";
  }
  std::string out;
  ASSERT_EQ(RunCommand({DPMON_DPCTL_BIN, "--server=" + server.address(),
                        "--key_file=" + server.admin_key_file(), "import", file},
                       &out),
            0)
      << out;
  Client client(server.Options());
  EXPECT_EQ(CountSuspenseTransactions(client, "c1"), 1);
  EXPECT_EQ(GetBalance(client, "c1", "A1", "2025-12-31"), 0);
  const std::vector<std::string> add = {DPMON_DPCTL_BIN,
                                        "--server=" + server.address(),
                                        "--key_file=" + server.admin_key_file(),
                                        "accounts",
                                        "add-ref",
                                        "--council=c1",
                                        "--account=A1",
                                        "--source=cardco",
                                        "--ref=NEW-1"};
  ASSERT_EQ(RunCommand(add, &out), 0) << out;
  EXPECT_NE(out.find("attached 1 transactions"), std::string::npos) << out;
  EXPECT_EQ(CountSuspenseTransactions(client, "c1"), 0);
  EXPECT_EQ(GetBalance(client, "c1", "A1", "2025-12-31"), 5000);
  // A rerun (a retried cron job) changes nothing.
  ASSERT_EQ(RunCommand(add, &out), 0) << out;
  EXPECT_EQ(GetBalance(client, "c1", "A1", "2025-12-31"), 5000);
  std::remove(file.c_str());
}

}  // namespace
}  // namespace dpmon
