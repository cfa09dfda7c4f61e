// Backups: taken while ingest runs, they hold every write acknowledged
// before they began; a restore gives a store that checks clean; a damaged
// file is found by verify; restore never overwrites a directory.
#include "storage/backup.h"

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store_test_util.h"

namespace dpmon {
namespace {

class BackupTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    backups_ = dir_.string() + "-backups";
    restored_ = dir_.string() + "-restored";
    std::filesystem::remove_all(backups_);
    std::filesystem::remove_all(restored_);
  }
  void TearDown() override {
    StoreTest::TearDown();
    std::filesystem::remove_all(backups_);
    std::filesystem::remove_all(restored_);
  }
  // Ingests one transaction of 1p a day for `account`, request by request.
  void IngestOne(int i) {
    std::vector<LedgerWrite> items;
    Date day = D("2025-01-01").AddDays(i % 600);
    items.push_back(Txn("R1", absl::StrCat("t", i), day.ToString().c_str(), -1));
    Ingest(std::move(items));
  }
  std::string backups_, restored_;
};

TEST_F(BackupTest, ABackupTakenDuringIngestHoldsEveryAcknowledgedWriteAndChecksClean) {
  CreateAccount("A1", "R1");
  for (int i = 0; i < 300; ++i) IngestOne(i);
  ASSERT_TRUE(store_->Flush().ok());  // Some of it in tables, the rest in the log.
  std::atomic<int> acknowledged{300};
  std::atomic<bool> stop{false};
  std::thread feed([&] {
    for (int i = 300; !stop; ++i) {
      IngestOne(i);
      acknowledged = i + 1;
    }
  });
  while (acknowledged < 400) std::this_thread::yield();
  const int before = acknowledged;
  absl::StatusOr<BackupInfo> b = store_->CreateBackup(backups_, {});
  stop = true;
  feed.join();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->id, 1u);
  EXPECT_EQ(b->schema_version, kSchemaVersion);
  EXPECT_GT(b->size_bytes, 0u);
  // The backup directory is the service's alone.
  EXPECT_EQ(std::filesystem::status(backups_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);

  absl::StatusOr<BackupInfo> r = RestoreBackup(backups_, 0, restored_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, 1u);
  std::unique_ptr<Store> restored;
  StoreOptions options;
  options.path = restored_;
  ASSERT_TRUE(Store::Open(options, &restored).ok());
  absl::StatusOr<Store::IntegrityReport> check = restored->CheckIntegrity("", 10);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->problem_count, 0);
  // Every transaction acknowledged before the backup began is there (and
  // none that was not acknowledged when it ended).
  EXPECT_GE(check->transactions, before);
  EXPECT_LE(check->transactions, acknowledged.load());
  absl::StatusOr<Page<v1::Transaction>> page =
      restored->ListTransactions("c", "A1", D("2025-01-01"), D("2027-01-01"), "", 100000);
  ASSERT_TRUE(page.ok());
  std::set<std::string> ids;
  for (const auto& t : page->items) ids.insert(t.input().external_id());
  for (int i = 0; i < before; ++i) EXPECT_TRUE(ids.count(absl::StrCat("t", i))) << i;
  // The same balance as the source had for what it holds.
  absl::StatusOr<domain::Totals> t = restored->SumThrough("c", "A1", D("2027-01-01"));
  ASSERT_TRUE(t.ok());
  int64_t balance = 0;
  ASSERT_TRUE(t->NetPence(&balance).ok());
  EXPECT_EQ(balance, -static_cast<int64_t>(page->items.size()));
}

TEST_F(BackupTest, BackupsAreIncrementalListedVerifiedAndPruned) {
  CreateAccount("A1", "R1");
  for (int i = 0; i < 50; ++i) IngestOne(i);
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(store_->CreateBackup(backups_, {}).ok());
  for (int i = 50; i < 100; ++i) IngestOne(i);
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(store_->CreateBackup(backups_, {}).ok());
  ASSERT_TRUE(store_->CreateBackup(backups_, {}).ok());
  absl::StatusOr<std::vector<BackupInfo>> all = ListBackups(backups_);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 1u);
  EXPECT_EQ((*all)[2].id, 3u);
  for (const BackupInfo& b : *all) EXPECT_TRUE(VerifyBackup(backups_, b.id).ok());

  // Damage a table file the latest backup holds: verify names the damage,
  // and a restore of it is refused.
  std::filesystem::path victim;
  for (const auto& e : std::filesystem::recursive_directory_iterator(backups_)) {
    if (e.path().extension() == ".sst") victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x5a');
    f.put('\xa5');
  }
  absl::StatusOr<BackupInfo> v = VerifyBackup(backups_, 3);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDataLoss) << v.status();
  EXPECT_FALSE(RestoreBackup(backups_, 3, restored_).ok());
  EXPECT_EQ(VerifyBackup(backups_, 9).status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<uint32_t>> pruned = PruneBackups(backups_, 1);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, (std::vector<uint32_t>{1, 2}));
  all = ListBackups(backups_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, 3u);
  EXPECT_FALSE(PruneBackups(backups_, 0).ok());
  EXPECT_EQ(ListBackups(backups_ + "-none").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BackupTest, RestoreNeverWritesIntoADirectoryThatHoldsAnything) {
  CreateAccount("A1", "R1");
  ASSERT_TRUE(store_->CreateBackup(backups_, {}).ok());
  std::filesystem::create_directories(restored_);
  std::ofstream(restored_ + "/keep-me") << "x";
  absl::StatusOr<BackupInfo> r = RestoreBackup(backups_, 0, restored_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(std::filesystem::exists(restored_ + "/keep-me"));
  // The live data directory itself is refused too.
  EXPECT_EQ(RestoreBackup(backups_, 0, dir_.string()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dpmon
