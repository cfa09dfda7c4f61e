// Backups, restore and the integrity check, on the real server over gRPC
// and through dpctl: a backup taken while a feed streams holds every
// transaction acknowledged before it began; a restored server checks clean
// and gives the same balances and flag report; a damaged backup is found
// by verify and never restored; a backup cut short by kill -9 leaves the
// earlier ones usable.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "client/importer.h"
#include "common/fingerprint.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

constexpr char kCouncil[] = "councils/demo";
constexpr char kAsOf[] = "2026-06-30";

void ImportDemo(Client& client) {
  std::ifstream in(std::string(DPMON_SHARED_DIR) + "/scenarios/council-demo.jsonl");
  ASSERT_TRUE(in.good());
  Importer importer(&client, {});
  ImportSummary summary;
  ASSERT_TRUE(importer.Run(in, &summary).ok());
  ASSERT_TRUE(summary.rejected.empty());
}

// One batch of `n` new 1p debits for the demo's first card, ids from `first`.
absl::Status IngestLive(Client& client, int first, int n, bool long_text = false) {
  v1::IngestBatchRequest r;
  r.set_parent(kCouncil);
  for (int i = first; i < first + n; ++i) {
    v1::TransactionInput* t = r.add_items()->mutable_transaction();
    t->set_source("cardco");
    t->set_account_ref("CARD-101-0");
    t->set_external_id(absl::StrCat("live-", i));
    t->set_booking_date("2026-06-01");
    t->set_amount_pence(-1);
    // Text that does not compress, so that the data takes real space.
    t->set_description(long_text
                           ? absl::StrCat("live ", absl::Hex(Fingerprint64(absl::StrCat(i, "a"))),
                                          absl::Hex(Fingerprint64(absl::StrCat(i, "b"))),
                                          absl::Hex(Fingerprint64(absl::StrCat(i, "c"))))
                           : "live");
  }
  v1::IngestBatchResponse out;
  absl::Status s = client.Call(client.ledger(), &v1::Ledger::Stub::IngestBatch, r, &out);
  for (const auto& item : out.results()) {
    if (s.ok() && item.outcome() != v1::ACCEPTED) s = absl::InternalError(item.reason());
  }
  return s;
}

// Every account's balance and the council's flag report as of kAsOf.
std::string Picture(Client& client) {
  std::string out;
  v1::ListAccountsRequest list;
  list.set_parent(kCouncil);
  list.set_page_size(1000);
  v1::ListAccountsResponse accounts;
  EXPECT_TRUE(
      client.Call(client.accounts(), &v1::Accounts::Stub::ListAccounts, list, &accounts).ok());
  EXPECT_GT(accounts.accounts_size(), 10);
  for (const v1::Account& a : accounts.accounts()) {
    v1::GetBalanceRequest r;
    r.set_account(a.name());
    r.set_as_of_date(kAsOf);
    v1::Balance b;
    EXPECT_TRUE(client.Call(client.ledger(), &v1::Ledger::Stub::GetBalance, r, &b).ok());
    absl::StrAppend(&out, a.name(), " ", b.balance_pence(), " ", b.transaction_count(), "\n");
  }
  v1::ComputeFlagReportRequest fr;
  fr.set_council(kCouncil);
  fr.set_as_of_date(kAsOf);
  v1::ComputeFlagReportResponse report;
  EXPECT_TRUE(
      client.Call(client.monitoring(), &v1::Monitoring::Stub::ComputeFlagReport, fr, &report).ok());
  EXPECT_GT(report.flags_size(), 0);
  absl::StrAppend(&out, report.SerializeAsString());
  return out;
}

std::set<std::string> LiveIds(Client& client) {
  std::set<std::string> ids;
  v1::ListTransactionsRequest r;
  r.set_parent("councils/demo/accounts/A10100000");
  r.set_start_date("2026-06-01");
  r.set_end_date("2026-06-01");
  r.set_page_size(1000);
  for (;;) {
    v1::ListTransactionsResponse page;
    EXPECT_TRUE(client.Call(client.ledger(), &v1::Ledger::Stub::ListTransactions, r, &page).ok());
    for (const auto& t : page.transactions()) {
      if (absl::StartsWith(t.input().external_id(), "live-")) ids.insert(t.input().external_id());
    }
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  return ids;
}

TEST(Backups, TakenDuringIngestRestoredAndCheckedGiveTheSameLedger) {
  TestServer server("backup_live");
  const std::string backups = server.Scratch("backups");
  ASSERT_TRUE(server.Start({"--backup_dir=" + backups, "--reevaluate_delay_ms=-1"}));
  Client client(server.Options());
  ImportDemo(client);

  // A feed streams batches of 20 while the backup is taken.
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::thread feed([&] {
    for (int batch = 0; !stop; ++batch) {
      ASSERT_TRUE(IngestLive(client, batch * 20, 20).ok());
      acked = (batch + 1) * 20;
    }
  });
  while (acked < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int before = acked;
  std::string out;
  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "backup", "create"}), &out), 0);
  EXPECT_TRUE(absl::StartsWith(out, "backup 1 ")) << out;
  const int at_end = acked + 20;  // A batch in flight may have been in it.
  while (acked < at_end + 40) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  feed.join();

  // The feed has stopped: flags as of kAsOf, then a second backup.
  v1::EvaluateCouncilRequest ev;
  ev.set_council(kCouncil);
  ev.set_as_of_date(kAsOf);
  v1::EvaluateCouncilResponse evaluated;
  ASSERT_TRUE(
      client.Call(client.monitoring(), &v1::Monitoring::Stub::EvaluateCouncil, ev, &evaluated)
          .ok());
  v1::CreateBackupRequest second;
  second.set_directory(backups);
  v1::Backup b2;
  ASSERT_TRUE(client.Call(client.admin(), &v1::Admin::Stub::CreateBackup, second, &b2).ok());
  EXPECT_EQ(b2.backup_id(), 2u);
  EXPECT_EQ(b2.directory(), backups);
  const std::string picture = Picture(client);
  const std::set<std::string> all_live = LiveIds(client);

  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "backup", "list"}), &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "backup 1 ") && absl::StrContains(out, "backup 2 ")) << out;
  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "backup", "verify", "1"}), &out), 0) << out;
  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "check"}), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "integrity: 0 problems in 1 council")) << out;
  const std::string admin_key = server.AdminKey();
  ASSERT_TRUE(server.Terminate());

  // Backup 1 holds every transaction acknowledged before it began.
  TestServer first("backup_restore_1");
  ASSERT_TRUE(first.Start({"--restore_from=" + backups, "--backup_id=1"})) << first.Log();
  EXPECT_TRUE(absl::StrContains(first.Log(), "integrity: 0 problems")) << first.Log();
  {
    Client restored(first.OptionsWithKey(admin_key));
    std::set<std::string> live = LiveIds(restored);
    for (int i = 0; i < before; ++i) EXPECT_TRUE(live.count(absl::StrCat("live-", i))) << i;
    EXPECT_LE(live.size(), static_cast<size_t>(at_end));
  }
  // Backup 2 is the server as it stopped: the same balances, flags and
  // transactions; and it checks clean offline too.
  TestServer latest("backup_restore_2");
  ASSERT_TRUE(latest.Start({"--restore_from=" + backups})) << latest.Log();
  {
    Client restored(latest.OptionsWithKey(admin_key));
    EXPECT_EQ(Picture(restored), picture);
    EXPECT_EQ(LiveIds(restored), all_live);
  }
  ASSERT_TRUE(latest.Terminate());
  EXPECT_EQ(latest.CheckOffline(&out), 0) << out;
  // A restore never writes over a directory that holds something.
  EXPECT_FALSE(latest.Start({"--restore_from=" + backups}));
  EXPECT_TRUE(absl::StrContains(latest.Log(), "is not empty")) << latest.Log();
}

TEST(Backups, ADamagedBackupIsFoundByVerifyAndNeverRestored) {
  TestServer server("backup_damaged");
  const std::string backups = server.Scratch("backups");
  ASSERT_TRUE(server.Start());
  Client client(server.Options());
  ImportDemo(client);
  std::string out;
  ASSERT_EQ(RunCommand(server.Dpctl({"admin", "backup", "create", "--to=" + backups}), &out), 0);
  std::filesystem::path victim;
  for (const auto& e : std::filesystem::recursive_directory_iterator(backups)) {
    if (e.path().extension() == ".log" || e.path().extension() == ".sst") victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  EXPECT_NE(RunCommand(server.Dpctl({"admin", "backup", "verify", "--dir=" + backups}), &out), 0);
  v1::VerifyBackupRequest r;
  r.set_directory(backups);
  v1::Backup b;
  absl::Status s = client.Call(client.admin(), &v1::Admin::Stub::VerifyBackup, r, &b);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), victim.filename().string())) << s;
  // A relative directory, or none with no --backup_dir, is refused by field.
  r.set_directory("backups");
  s = client.Call(client.admin(), &v1::Admin::Stub::VerifyBackup, r, &b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "absolute")) << s;
  r.set_directory("");
  s = client.Call(client.admin(), &v1::Admin::Stub::VerifyBackup, r, &b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "--backup_dir")) << s;

  TestServer restored("backup_damaged_restore");
  EXPECT_FALSE(restored.Start({"--restore_from=" + backups}));
  EXPECT_TRUE(absl::StrContains(restored.Log(), "damaged")) << restored.Log();
  EXPECT_FALSE(std::filesystem::exists(restored.data_dir() + "/CURRENT"));
}

TEST(Backups, ABackupCutShortByKill9LeavesTheEarlierOnesUsable) {
  TestServer server("backup_killed");
  const std::string backups = server.Scratch("backups");
  ASSERT_TRUE(server.Start({"--backup_dir=" + backups}));
  {
    Client client(server.Options());
    std::string out;
    ASSERT_EQ(RunCommand(server.Dpctl({"admin", "backup", "create"}), &out), 0) << out;
    ImportDemo(client);
    // About 5 MB more, that the next backup copies at 1 MiB/s.
    for (int batch = 0; batch < 40; ++batch) {
      ASSERT_TRUE(IngestLive(client, batch * 1000, 1000, true).ok());
    }
  }
  ASSERT_TRUE(server.Terminate());
  // Slowly, so that the kill lands while files are being copied.
  ASSERT_TRUE(server.Start({"--backup_dir=" + backups, "--backup_rate_limit_mib=1"}));
  std::atomic<bool> returned{false};
  std::thread backup([&] {
    std::string out;
    RunCommand(server.Dpctl({"admin", "backup", "create"}), &out);
    returned = true;
  });
  // Wait until the copy has started (a file more in the backup directory),
  // then cut it short.
  const auto files = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(backups)) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  };
  const int before = files();
  for (int i = 0; i < 1000 && files() == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.Kill9();
  backup.join();
  ASSERT_TRUE(returned);

  ASSERT_TRUE(server.Start({"--backup_dir=" + backups}));
  std::string out;
  ASSERT_EQ(RunCommand(server.Dpctl({"admin", "backup", "list"}), &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(out, "backup 1 ")) << out;
  EXPECT_FALSE(absl::StrContains(out, "backup 2 ")) << "the kill came too late: " << out;
  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "backup", "verify", "1"}), &out), 0) << out;
  // A new backup after the cut-short one is whole, and restores.
  ASSERT_EQ(RunCommand(server.Dpctl({"admin", "backup", "create"}), &out), 0) << out;
  EXPECT_EQ(RunCommand(server.Dpctl({"admin", "backup", "verify"}), &out), 0) << out;
  TestServer restored("backup_killed_restore");
  ASSERT_TRUE(restored.Start({"--restore_from=" + backups})) << restored.Log();
  ASSERT_TRUE(restored.Terminate());
  EXPECT_EQ(restored.CheckOffline(&out), 0) << out;
  TestServer earliest("backup_killed_restore_1");
  ASSERT_TRUE(earliest.Start({"--restore_from=" + backups, "--backup_id=1"})) << earliest.Log();
}

}  // namespace
}  // namespace dpmon
