// ForwardSeekIterator answers every call as the iterator it wraps does,
// whatever mix of seeks and moves is asked of it, over keys that share
// prefixes and differ by a trailing zero byte, with a snapshot and with
// writes in the memtable; and it does step instead of seeking when the
// target is where it stands.
#include "storage/forward_seek_iterator.h"

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace dpmon {
namespace {

class ForwardSeekIteratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / absl::StrCat("dpmon_forward_seek_test_", getpid());
    std::filesystem::remove_all(dir_);
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.string(), &db).ok());
    db_.reset(db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A key from a small alphabet (with the zero byte), so that keys share
  // prefixes and targets often fall on or between stored keys.
  std::string RandomKey() {
    static const char kAlphabet[] = {'\0', 'a', 'b', 'c', '\xff'};
    std::string k;
    const int len = std::uniform_int_distribution<int>(0, 4)(rng_);
    for (int i = 0; i < len; ++i) k.push_back(kAlphabet[rng_() % sizeof(kAlphabet)]);
    return k;
  }

  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::mt19937 rng_{20261201};
};

// Where an iterator stands, as a string to compare.
std::string Position(const rocksdb::Iterator& it) {
  if (!it.status().ok()) return "error: " + it.status().ToString();
  if (!it.Valid()) return "(end)";
  return it.key().ToString() + "=" + it.value().ToString();
}

TEST_F(ForwardSeekIteratorTest, AnswersAsTheIteratorItWrapsWhateverItIsAsked) {
  for (int i = 0; i < 300; ++i) {
    const std::string k = RandomKey();
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), k, absl::StrCat("v", i)).ok());
  }
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());  // some in a table, some in the memtable
  for (int i = 0; i < 100; ++i) {
    const std::string k = RandomKey();
    if (i % 3 == 0) {
      ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), k).ok());
    } else {
      ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), k, absl::StrCat("w", i)).ok());
    }
  }
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  // Written after the snapshot: neither iterator may see these.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), RandomKey(), "later").ok());
  }
  int64_t stepped = 0, sought = 0;
  for (int round = 0; round < 200; ++round) {
    std::unique_ptr<rocksdb::Iterator> plain(db_->NewIterator(ro));
    ForwardSeekIterator forward(db_->NewIterator(ro));
    std::string trail;
    std::string last_target;
    for (int step = 0; step < 60; ++step) {
      const int op = std::uniform_int_distribution<int>(0, 99)(rng_);
      std::string target = RandomKey();
      // Most seeks go forwards a little, as an evaluation's do.
      if (op < 50 && !last_target.empty()) target = last_target + target;
      // The same call on both, written down for a failure's message.
      auto both = [&](const std::string& what,
                      const std::function<void(rocksdb::Iterator*)>& call) {
        call(plain.get());
        call(&forward);
        absl::StrAppend(&trail, " ", what);
      };
      const std::string at = absl::StrCat("(", absl::CEscape(target), ")");
      if (op < 70) {
        both("Seek" + at, [&](rocksdb::Iterator* it) { it->Seek(target); });
        last_target = target;
      } else if (op < 90) {
        if (!plain->Valid()) continue;
        both("Next", [](rocksdb::Iterator* it) { it->Next(); });
      } else if (op < 94) {
        both("SeekForPrev" + at, [&](rocksdb::Iterator* it) { it->SeekForPrev(target); });
      } else if (op < 97) {
        if (!plain->Valid()) continue;
        both("Prev", [](rocksdb::Iterator* it) { it->Prev(); });
      } else if (op < 99) {
        both("SeekToFirst", [](rocksdb::Iterator* it) { it->SeekToFirst(); });
      } else {
        both("SeekToLast", [](rocksdb::Iterator* it) { it->SeekToLast(); });
      }
      ASSERT_EQ(Position(forward), Position(*plain)) << absl::CEscape(trail);
    }
    stepped += forward.stepped();
    sought += forward.sought();
  }
  db_->ReleaseSnapshot(snapshot);
  // Both kinds of answer were exercised.
  EXPECT_GT(stepped, 1000);
  EXPECT_GT(sought, 1000);
}

TEST_F(ForwardSeekIteratorTest, StepsToTheNextAccountsRowsInsteadOfSeeking) {
  // Rows of accounts in key order, each account's read from its first row
  // to the first key past it, as FactsReader reads them.
  for (int a = 0; a < 20; ++a) {
    for (int row = 0; row < 3; ++row) {
      ASSERT_TRUE(
          db_->Put(rocksdb::WriteOptions(), absl::StrCat("acc", a + 10, "/", row), "x").ok());
    }
  }
  ForwardSeekIterator it(db_->NewIterator(rocksdb::ReadOptions()));
  int rows = 0;
  for (int a = 0; a < 20; ++a) {
    const std::string prefix = absl::StrCat("acc", a + 10, "/");
    for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) ++rows;
  }
  EXPECT_EQ(rows, 60);
  EXPECT_EQ(it.sought(), 1);  // the first account's only
  EXPECT_EQ(it.stepped(), 19);
  // A target far ahead, or behind, is sought.
  it.Seek("acc10/");
  it.Seek("acc19/");
  EXPECT_EQ(it.sought(), 3);
  EXPECT_EQ(Position(it), "acc19/0=x");
}

}  // namespace
}  // namespace dpmon
