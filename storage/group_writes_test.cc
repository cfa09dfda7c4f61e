#include "storage/group_writes.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dpmon {
namespace {

// What a group holds, kept the plain way: per family, key -> value or
// deletion (nullopt).
using Model = std::vector<std::map<std::string, std::optional<std::string>>>;

// Records what a WriteBatch would do, in order.
class Recorder : public rocksdb::WriteBatch::Handler {
 public:
  std::vector<std::tuple<uint32_t, std::string, std::optional<std::string>>> ops;
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    ops.emplace_back(cf, k.ToString(), v.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    ops.emplace_back(cf, k.ToString(), std::nullopt);
    return rocksdb::Status::OK();
  }
};

// Column family handles for Fill without a database: only their ids count.
class FakeHandle : public rocksdb::ColumnFamilyHandle {
 public:
  explicit FakeHandle(uint32_t id) : id_(id) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override {
    return rocksdb::Status::NotSupported();
  }
  const rocksdb::Comparator* GetComparator() const override {
    return rocksdb::BytewiseComparator();
  }

 private:
  uint32_t id_;
  std::string name_ = "fake";
};

void ExpectSame(const GroupWrites& g, const Model& model, int cfs) {
  size_t count = 0;
  for (int cf = 0; cf < cfs; ++cf) {
    count += model[cf].size();
    for (const auto& [k, v] : model[cf]) {
      const GroupWrites::Value* got = g.Find(cf, k);
      ASSERT_NE(got, nullptr) << cf << " " << k;
      EXPECT_EQ(got->deleted, !v.has_value()) << k;
      if (v) {
        EXPECT_EQ(got->bytes, *v) << k;
      }
    }
    for (const std::string prefix : {"", "a", "b1", "c2\x01"}) {
      std::vector<std::pair<std::string, GroupWrites::Value>> got = g.Prefix(cf, prefix);
      std::vector<std::pair<std::string, std::optional<std::string>>> want;
      for (const auto& [k, v] : model[cf]) {
        if (absl::StartsWith(k, prefix)) want.emplace_back(k, v);
      }
      ASSERT_EQ(got.size(), want.size()) << "cf " << cf << " prefix " << prefix;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].first, want[i].first);
        EXPECT_EQ(got[i].second.deleted, !want[i].second.has_value());
        if (want[i].second) {
          EXPECT_EQ(got[i].second.bytes, *want[i].second);
        }
      }
    }
  }
  EXPECT_EQ(g.size(), count);
}

TEST(GroupWrites, MatchesAPlainModelThroughWritesUndoesAndScans) {
  constexpr int kCfs = 3;
  std::mt19937 rng(11);
  // Family 1 keeps its keys ordered as written; 0 and 2 sort when scanned.
  GroupWrites g(kCfs, {false, true, false});
  Model model(kCfs);
  for (int round = 0; round < 300; ++round) {
    Model before = model;
    g.Mark();
    const int writes = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < writes; ++i) {
      const int cf = static_cast<int>(rng() % kCfs);
      std::string key = absl::StrCat(std::string(1, "abc"[rng() % 3]), rng() % 4,
                                     std::string(1, static_cast<char>(rng() % 3)), rng() % 50);
      if (rng() % 4 == 0) {
        g.Delete(cf, key);
        model[cf][key] = std::nullopt;
      } else {
        std::string value = absl::StrCat("v", round, ".", i);
        g.Put(cf, key, value);
        model[cf][key] = value;
      }
    }
    if (rng() % 3 == 0) {
      g.Undo();  // a mutation that failed
      model = before;
    } else {
      g.Keep();
    }
    ASSERT_NO_FATAL_FAILURE(ExpectSame(g, model, kCfs)) << "round " << round;
  }

  // The batch holds every key once, with the model's final value (in the
  // order first written; compared here sorted).
  std::vector<std::unique_ptr<FakeHandle>> owned;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  for (uint32_t i = 0; i < kCfs; ++i) {
    owned.push_back(std::make_unique<FakeHandle>(i));
    handles.push_back(owned.back().get());
  }
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(g.Fill(handles, &batch).ok());
  Recorder r;
  ASSERT_TRUE(batch.Iterate(&r).ok());
  std::vector<std::tuple<uint32_t, std::string, std::optional<std::string>>> want;
  for (uint32_t cf = 0; cf < kCfs; ++cf) {
    for (const auto& [k, v] : model[cf]) want.emplace_back(cf, k, v);
  }
  std::sort(r.ops.begin(), r.ops.end());
  EXPECT_EQ(r.ops, want);
}

TEST(GroupWrites, UndoAfterKeepTakesBackOnlyTheRunningMutation) {
  GroupWrites g(1, {true});
  g.Mark();
  g.Put(0, "k", "first");
  g.Keep();
  g.Mark();
  g.Put(0, "k", "second");
  g.Put(0, "new", "x");
  g.Delete(0, "k");
  g.Undo();
  ASSERT_NE(g.Find(0, "k"), nullptr);
  EXPECT_EQ(g.Find(0, "k")->bytes, "first");
  EXPECT_FALSE(g.Find(0, "k")->deleted);
  EXPECT_EQ(g.Find(0, "new"), nullptr);
  EXPECT_EQ(g.Prefix(0, "").size(), 1u);
  EXPECT_EQ(g.size(), 1u);
}

}  // namespace
}  // namespace dpmon
