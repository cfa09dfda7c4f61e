// The store tests' fixture: a store on a fresh directory with council "c",
// and helpers to create accounts, ingest and read balances.
#ifndef DPMON_STORAGE_STORE_TEST_UTIL_H_
#define DPMON_STORAGE_STORE_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "gtest/gtest.h"
#include "storage/db.h"
#include "storage/store.h"

namespace dpmon {

inline Date D(const char* s) { return *Date::Parse(s); }

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("dpmon_store_test_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                        getpid());
    std::filesystem::remove_all(dir_);
    Reopen();
    v1::Council c;
    c.set_name(CouncilName("c"));
    c.set_display_name("Test Council");
    ASSERT_TRUE(store_->CreateCouncil("c", c, {}).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.string();
    o.before_write_for_test = before_write_;
    o.after_build_for_test = after_build_;
    ASSERT_TRUE(Store::Open(o, &store_).ok());
  }
  void CreateAccount(const std::string& id, const std::string& ref) {
    v1::Account a;
    a.set_start_date("2025-01-01");
    a.set_holding(v1::PREPAID_CARD);
    a.set_management(v1::SELF);
    a.set_recipient(v1::SERVICE_USER);
    if (!ref.empty()) {
      v1::ExternalRef* r = a.add_external_refs();
      r->set_source("card");
      r->set_ref(ref);
    }
    a.set_name(AccountName("c", id));
    ASSERT_TRUE(store_->CreateAccount("c", id, a, {}).ok());
  }
  static LedgerWrite Txn(const std::string& ref, const std::string& id, const char* date,
                         int64_t amount, v1::Category cat = v1::CATEGORY_UNSPECIFIED,
                         const std::string& reverses = "") {
    LedgerWrite w;
    w.is_transaction = true;
    w.transaction.set_source("card");
    w.transaction.set_account_ref(ref);
    w.transaction.set_external_id(id);
    w.transaction.set_booking_date(date);
    w.transaction.set_amount_pence(amount);
    w.transaction.set_category(cat);
    if (!reverses.empty()) w.transaction.set_reverses(reverses);
    w.date = D(date);
    return w;
  }
  static LedgerWrite Stmt(const std::string& ref, const char* date, int64_t balance) {
    LedgerWrite w;
    w.is_transaction = false;
    w.statement.set_source("card");
    w.statement.set_account_ref(ref);
    w.statement.set_date(date);
    w.statement.set_closing_balance_pence(balance);
    w.date = D(date);
    return w;
  }
  // Ingests and returns the outcomes in order.
  std::vector<v1::ItemOutcome> Ingest(std::vector<LedgerWrite> items,
                                      const std::string& request_id = "") {
    storage::IngestOutcome response;
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].index = static_cast<int>(i);
      response.add_results()->set_index(static_cast<int>(i));
    }
    absl::StatusOr<storage::IngestOutcome> r =
        store_->Ingest("c", std::move(items), response, {"IngestBatch", request_id, request_id});
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<v1::ItemOutcome> out;
    if (r.ok()) {
      for (const auto& res : r->results()) out.push_back(res.outcome());
    }
    return out;
  }
  int64_t Balance(const std::string& account, const char* date) {
    absl::StatusOr<domain::Totals> t = store_->SumThrough("c", account, D(date));
    EXPECT_TRUE(t.ok());
    int64_t b = 0;
    EXPECT_TRUE(t->NetPence(&b).ok());
    return b;
  }

  // The directory with RocksDB alone, the store closed (and not reopened).
  void WithRawDb(
      const std::function<void(rocksdb::DB*, std::vector<rocksdb::ColumnFamilyHandle*>&)>& fn) {
    store_.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (int i = 0; i < kCfCount; ++i) {
      cfs.emplace_back(kCfNames[i], rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_.string(), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    fn(db.get(), handles);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::function<absl::Status()> before_write_;
  std::function<void()> after_build_;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_STORE_TEST_UTIL_H_
