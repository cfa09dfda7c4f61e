#include "storage/store.h"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/flag_index.h"
#include "storage/group_commit.h"
#include "storage/store_test_util.h"

namespace dpmon {
namespace {

using O = v1::ItemOutcome;

// The committer writes group N while the writer builds N+1 on N's writes.
// If N's write fails, N+1 must fail too, and nothing either held may be
// remembered: not their ids, their sequences, their totals rows.
TEST_F(StoreTest, AFailedWriteFailsTheGroupBuiltOnItAndLeavesNothing) {
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, writing = false, release = false;
  int built_since_armed = 0;
  before_write_ = [&]() -> absl::Status {
    std::unique_lock<std::mutex> lock(mu);
    if (!armed) return absl::OkStatus();
    armed = false;
    writing = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return absl::UnavailableError("the disk went away");
  };
  after_build_ = [&] {
    std::lock_guard<std::mutex> lock(mu);
    ++built_since_armed;
    cv.notify_all();
  };
  Reopen();
  CreateAccount("A1", "R1");
  EXPECT_EQ(Ingest({Txn("R1", "T0", "2025-01-05", 1000, v1::COUNCIL_PAYMENT)}),
            (std::vector<O>{v1::ACCEPTED}));

  auto submit = [&](std::vector<LedgerWrite> items, absl::Notification* done,
                    absl::StatusOr<storage::IngestOutcome>* out) {
    storage::IngestOutcome response;
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].index = static_cast<int>(i);
      response.add_results()->set_index(static_cast<int>(i));
    }
    store_->IngestAsync("c", std::move(items), response, {"IngestBatch", "", ""},
                        [done, out](absl::StatusOr<storage::IngestOutcome> r) {
                          *out = std::move(r);
                          done->Notify();
                        });
  };
  {
    std::lock_guard<std::mutex> lock(mu);
    armed = true;
    built_since_armed = 0;
  }
  absl::Notification done1, done2;
  absl::StatusOr<storage::IngestOutcome> r1, r2;
  submit({Txn("R1", "T1", "2025-01-06", -500, v1::PA_WAGES)}, &done1, &r1);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return writing; });  // group N is being written
  }
  // Group N+1 repeats T1 (a DUPLICATE, read from N's writes) and adds T2.
  submit({Txn("R1", "T1", "2025-01-06", -500, v1::PA_WAGES),
          Txn("R1", "T2", "2025-01-06", -200, v1::PA_WAGES)},
         &done2, &r2);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return built_since_armed >= 2; });  // N+1 is built
    release = true;
    cv.notify_all();
  }
  done1.WaitForNotification();
  done2.WaitForNotification();
  EXPECT_EQ(r1.status().code(), absl::StatusCode::kUnavailable) << r1.status();
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kUnavailable) << r2.status();

  // Neither group left anything: both transactions are new again, and the
  // balance counts only what was written.
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-06", -500, v1::PA_WAGES),
                    Txn("R1", "T2", "2025-01-06", -200, v1::PA_WAGES)}),
            (std::vector<O>{v1::ACCEPTED, v1::ACCEPTED}));
  EXPECT_EQ(Balance("A1", "2025-12-31"), 300);
  auto txns = store_->ListTransactions("c", "A1", D("2025-01-01"), D("2025-12-31"), "", 100);
  ASSERT_TRUE(txns.ok());
  EXPECT_EQ(txns->items.size(), 3u);
  before_write_ = nullptr;
  after_build_ = nullptr;
  Reopen();
  EXPECT_EQ(Balance("A1", "2025-12-31"), 300);
}

// The writer remembers, across requests, who holds a reference, which
// accounts exist and their categorisation rules: each must follow the
// record as soon as it is written.
TEST_F(StoreTest, WhatTheWriterRemembersFollowsTheRecords) {
  CreateAccount("A1", "R1");
  CreateAccount("A2", "");
  LedgerWrite to_a3 = Txn("", "T0", "2025-01-04", -100);
  to_a3.transaction.set_account("A3");
  EXPECT_EQ(Ingest({Txn("R9", "T1", "2025-01-05", -100),
                    Txn("R1", "T2", "2025-01-05", -100, v1::PA_WAGES), to_a3}),
            (std::vector<O>{v1::SUSPENSE, v1::ACCEPTED, v1::INVALID}));
  // A reference nobody held, now taken: the next item goes to the account.
  v1::ExternalRef ref;
  ref.set_source("card");
  ref.set_ref("R9");
  ASSERT_TRUE(store_->AddExternalRef("c", "A2", ref, {}).ok());
  EXPECT_EQ(Ingest({Txn("R9", "T3", "2025-01-06", -200)}), (std::vector<O>{v1::ACCEPTED}));
  EXPECT_EQ(Balance("A2", "2025-12-31"), -300);  // T1 attached, and T3
  // An account that did not exist, now created.
  CreateAccount("A3", "");
  to_a3.transaction.set_external_id("T4");
  EXPECT_EQ(Ingest({to_a3}), (std::vector<O>{v1::ACCEPTED}));
  // The account's rules, read for one item, then changed.
  v1::CategoryRule rule;
  rule.set_counterparty_contains("Taxi");
  rule.set_category(v1::TRANSPORT);
  auto set_rule = [&](v1::Category c) {
    rule.set_category(c);
    ASSERT_TRUE(store_
                    ->UpdateAccount("c", "A1",
                                    [&](v1::Account* a) {
                                      a->clear_category_rules();
                                      *a->add_category_rules() = rule;
                                      return absl::OkStatus();
                                    },
                                    {})
                    .ok());
  };
  set_rule(v1::TRANSPORT);
  LedgerWrite taxi = Txn("R1", "T5", "2025-01-07", -700);
  taxi.transaction.set_counterparty("City Taxi");
  EXPECT_EQ(Ingest({taxi}), (std::vector<O>{v1::ACCEPTED}));
  set_rule(v1::OTHER);
  taxi.transaction.set_external_id("T6");
  EXPECT_EQ(Ingest({taxi}), (std::vector<O>{v1::ACCEPTED}));
  absl::StatusOr<domain::Totals> t = store_->SumThrough("c", "A1", D("2025-12-31"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->net_pence[domain::SlotOf(domain::TRANSPORT, domain::DEBIT)], -700);
  EXPECT_EQ(t->net_pence[domain::SlotOf(domain::OTHER, domain::DEBIT)], -700);
}

TEST_F(StoreTest, EverythingSurvivesCloseAndReopen) {
  CreateAccount("A1", "R1");
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-05", 10000, v1::COUNCIL_PAYMENT),
                    Txn("R1", "T2", "2025-02-05", -2500, v1::PA_WAGES),
                    Stmt("R1", "2025-02-28", 7500), Txn("NOBODY", "T3", "2025-02-06", -100)}),
            (std::vector<O>{v1::ACCEPTED, v1::ACCEPTED, v1::ACCEPTED, v1::SUSPENSE}));
  Reopen();
  EXPECT_EQ(Balance("A1", "2025-12-31"), 7500);
  EXPECT_TRUE(store_->GetCouncil("c").ok());
  EXPECT_TRUE(store_->GetAccount("c", "A1").ok());
  auto txns = store_->ListTransactions("c", "A1", D("2025-01-01"), D("2025-12-31"), "", 100);
  ASSERT_TRUE(txns.ok());
  EXPECT_EQ(txns->items.size(), 2u);
  auto stmts = store_->ListStatements("c", "A1", D("2025-01-01"), D("2025-12-31"), "", 100);
  ASSERT_TRUE(stmts.ok());
  EXPECT_EQ(stmts->items.size(), 1u);
  auto suspense = store_->ListSuspense("c", "", 100);
  ASSERT_TRUE(suspense.ok());
  ASSERT_EQ(suspense->items.size(), 1u);
  EXPECT_EQ(suspense->items[0].account_ref(), "NOBODY");
  // Sequences continue after reopening: a new item does not reuse one.
  EXPECT_EQ(Ingest({Txn("R1", "T4", "2025-01-05", 1, v1::REFUND)}), (std::vector<O>{v1::ACCEPTED}));
  txns = store_->ListTransactions("c", "A1", D("2025-01-05"), D("2025-01-05"), "", 100);
  ASSERT_EQ(txns->items.size(), 2u);
  EXPECT_NE(txns->items[0].sequence(), txns->items[1].sequence());
}

// The account index of a version-3 directory (which had none) is built
// when the store opens it, and the directory becomes version 4.
TEST_F(StoreTest, OpeningASchema3Or4DirectoryBuildsTheAccountIndex) {
  CreateAccount("A1", "R1");
  CreateAccount("A2", "R2");
  ASSERT_TRUE(store_
                  ->UpdateAccount("c", "A1",
                                  [](v1::Account* a) {
                                    a->set_display_name("Ann Smith");
                                    a->set_person_ref("CM-1");
                                    a->set_assigned_officer("keys/k1");
                                    v1::Recovery* r = a->add_recoveries();
                                    r->set_id("R");
                                    return absl::OkStatus();
                                  },
                                  {})
                  .ok());
  auto all_hits = [&] {
    std::vector<std::string> out;
    for (auto [kind, value] :
         {std::pair{Store::IndexKind::kNameWord, "smi"},
          std::pair{Store::IndexKind::kPersonRef, ""}, std::pair{Store::IndexKind::kOfficer, "k1"},
          std::pair{Store::IndexKind::kExternalRef, "R"},
          std::pair{Store::IndexKind::kRecoveries, ""}}) {
      auto page = store_->FindAccounts("c", kind, value, true, "", 100);
      EXPECT_TRUE(page.ok()) << page.status();
      for (const auto& h : page->items) {
        out.push_back(
            absl::StrCat(std::string(1, static_cast<char>(kind)), h.value, "=", h.account_id));
      }
    }
    return out;
  };
  // A name word's entry holds the whole display name.
  auto name_of = [&](const char* word) -> std::string {
    auto page = store_->FindAccounts("c", Store::IndexKind::kNameWord, word, true, "", 100);
    if (!page.ok() || page->items.size() != 1) return "(not one hit)";
    return page->items[0].stored;
  };
  EXPECT_EQ(name_of("smi"), "Ann Smith");
  const std::vector<std::string> want = {"Nsmith=A1", "PCM-1=A1", "Ok1=A1",
                                         "FR1=A1",    "FR2=A2",   "R=A1"};
  ASSERT_EQ(all_hits(), want);
  // Make it a version-3 directory: no index, schema 3.
  WithRawDb([](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    ASSERT_TRUE(db->DeleteRange(rocksdb::WriteOptions(), handles[kAccountIndex], "", "\xff").ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[kMeta], kMetaSchema, "3").ok());
  });
  Reopen();
  EXPECT_EQ(all_hits(), want);
  // A directory of a version this build cannot upgrade is refused by name.
  WithRawDb([](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    std::string version;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[kMeta], kMetaSchema, &version).ok());
    EXPECT_EQ(version, absl::StrCat(kSchemaVersion));
    // A version-4 directory: name words' entries without the name.
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[kAccountIndex]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[kAccountIndex], it->key(), "").ok());
    }
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[kMeta], kMetaSchema, "4").ok());
  });
  Reopen();
  EXPECT_EQ(all_hits(), want);
  EXPECT_EQ(name_of("smi"), "Ann Smith");
  // A new name with the same words rewrites the entries' name.
  ASSERT_TRUE(store_
                  ->UpdateAccount("c", "A1",
                                  [](v1::Account* a) {
                                    a->set_display_name("Smith Ann");
                                    return absl::OkStatus();
                                  },
                                  {})
                  .ok());
  EXPECT_EQ(name_of("smi"), "Smith Ann");
  EXPECT_EQ(name_of("ann"), "Smith Ann");
  // A version-5 directory is opened, its flag index rebuilt, and marked 8
  // (IntegrityTest.FlagIndexEntriesHoldingWholeFlagsAreRewrittenWhenOpened).
  WithRawDb([](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[kMeta], kMetaSchema, "5").ok());
  });
  Reopen();
  EXPECT_EQ(all_hits(), want);
  EXPECT_EQ(name_of("smi"), "Smith Ann");
  WithRawDb([](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    std::string version;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[kMeta], kMetaSchema, &version).ok());
    EXPECT_EQ(version, absl::StrCat(kSchemaVersion));
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[kMeta], kMetaSchema, "2").ok());
  });
  StoreOptions o;
  o.path = dir_.string();
  absl::Status s = Store::Open(o, &store_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "schema version 2")) << s;
}

TEST_F(StoreTest, SameItemTwiceIsDuplicateAndChangedContentIsConflict) {
  CreateAccount("A1", "R1");
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-05", -500, v1::EQUIPMENT)}),
            (std::vector<O>{v1::ACCEPTED}));
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-05", -500, v1::EQUIPMENT),
                    Txn("R1", "T1", "2025-01-05", -501, v1::EQUIPMENT),
                    Txn("R1", "T1", "2025-01-06", -500, v1::EQUIPMENT),
                    Txn("R1", "T1", "2025-01-05", -500, v1::TRANSPORT)}),
            (std::vector<O>{v1::DUPLICATE, v1::CONFLICT, v1::CONFLICT, v1::CONFLICT}));
  // Within one batch as well: the first stands.
  EXPECT_EQ(Ingest({Txn("R1", "T9", "2025-01-07", -100), Txn("R1", "T9", "2025-01-07", -100),
                    Txn("R1", "T9", "2025-01-07", -200)}),
            (std::vector<O>{v1::ACCEPTED, v1::DUPLICATE, v1::CONFLICT}));
  EXPECT_EQ(Balance("A1", "2025-12-31"), -600);
  EXPECT_EQ(Ingest({Stmt("R1", "2025-01-31", -600), Stmt("R1", "2025-01-31", -600),
                    Stmt("R1", "2025-01-31", -601)}),
            (std::vector<O>{v1::ACCEPTED, v1::DUPLICATE, v1::CONFLICT}));
}

TEST_F(StoreTest, UnknownAccountIdIsInvalidAndTheRestStillApply) {
  CreateAccount("A1", "R1");
  LedgerWrite bad = Txn("", "T2", "2025-01-05", -100);
  bad.transaction.set_account("NOPE");
  auto outcomes =
      Ingest({Txn("R1", "T1", "2025-01-05", -100), bad, Txn("R1", "T3", "2025-01-06", -100)});
  EXPECT_EQ(outcomes, (std::vector<O>{v1::ACCEPTED, v1::INVALID, v1::ACCEPTED}));
  EXPECT_EQ(Balance("A1", "2025-12-31"), -200);
}

TEST_F(StoreTest, FailedMutationWritesNothing) {
  CreateAccount("A1", "R1");
  absl::StatusOr<v1::Account> r =
      store_->UpdateAccount("c", "A1",
                            [](v1::Account* a) {
                              a->set_care_plan_review_date("2026-01-01");
                              return absl::FailedPreconditionError("no");
                            },
                            {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetAccount("c", "A1")->care_plan_review_date(), "");
  // Ingest into a council that does not exist: nothing at all is written.
  storage::IngestOutcome response;
  response.add_results()->set_index(0);
  std::vector<LedgerWrite> items{Txn("R1", "T1", "2025-01-05", -100)};
  auto ingest = store_->Ingest("nope", items, response, {});
  EXPECT_EQ(ingest.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreTest, SuspenseAttachesWhenAnAccountTakesTheReference) {
  EXPECT_EQ(
      Ingest({Txn("R9", "T1", "2025-03-01", 20000, v1::COUNCIL_PAYMENT),
              Txn("R9", "T2", "2025-03-02", -5000, v1::RESPITE), Stmt("R9", "2025-03-31", 15000)}),
      (std::vector<O>{v1::SUSPENSE, v1::SUSPENSE, v1::SUSPENSE}));
  // Resent while still in suspense: duplicate.
  EXPECT_EQ(Ingest({Txn("R9", "T1", "2025-03-01", 20000, v1::COUNCIL_PAYMENT)}),
            (std::vector<O>{v1::DUPLICATE}));
  CreateAccount("A9", "R9");
  EXPECT_EQ(Balance("A9", "2025-03-01"), 20000);
  EXPECT_EQ(Balance("A9", "2025-03-31"), 15000);
  EXPECT_TRUE(store_->ListSuspense("c", "", 100)->items.empty());
  EXPECT_EQ(
      store_->ListStatements("c", "A9", D("2025-01-01"), D("2025-12-31"), "", 10)->items.size(),
      1u);
  // Resent after attaching: still a duplicate, still counted once.
  EXPECT_EQ(Ingest({Txn("R9", "T1", "2025-03-01", 20000, v1::COUNCIL_PAYMENT)}),
            (std::vector<O>{v1::DUPLICATE}));
  EXPECT_EQ(Balance("A9", "2025-12-31"), 15000);
  // A reference added later attaches too.
  EXPECT_EQ(Ingest({Txn("R10", "T5", "2025-04-01", -1000, v1::TRANSPORT)}),
            (std::vector<O>{v1::SUSPENSE}));
  v1::ExternalRef ref;
  ref.set_source("card");
  ref.set_ref("R10");
  auto added = store_->AddExternalRef("c", "A9", ref, {});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->attached_transactions(), 1);
  EXPECT_EQ(Balance("A9", "2025-12-31"), 14000);
}

// Suspense as it stood at a time: what had come by then, dated by the day,
// not yet given to an account; what was given since says to which account.
TEST_F(StoreTest, SuspenseAsOfATimeIsWhatHadComeAndWasNotYetGiven) {
  auto at = [](LedgerWrite w, int64_t micros) {
    w.received_micros = micros;
    return w;
  };
  CreateAccount("A1", "");
  Ingest({at(Txn("R1", "T1", "2025-01-05", -100), 1000),
          at(Txn("R2", "T4", "2025-01-10", -400), 2000)});
  Ingest({at(Txn("R1", "T2", "2025-01-20", -200), 3000), at(Stmt("R1", "2025-01-31", -300), 3000),
          Txn("R2", "T0", "2025-01-02", -50)});  // T0: no arrival time, as before it was kept.
  v1::ExternalRef ref;
  ref.set_source("card");
  ref.set_ref("R1");
  ASSERT_TRUE(store_->AddExternalRef("c", "A1", ref, {}, 5000).ok());
  auto waiting = [&](const char* date, int64_t end, int limit) {
    std::vector<std::string> out;
    std::string after;
    for (int pages = 0; pages < 20; ++pages) {
      absl::StatusOr<Page<v1::SuspenseItem>> page =
          store_->ListSuspense("c", after, limit, Store::SuspenseAsOf{D(date), end});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const v1::SuspenseItem& i : page->items) {
        out.push_back(absl::StrCat(
            i.has_transaction() ? i.transaction().external_id() : "S " + i.statement().date(),
            i.attached_account().empty() ? "" : " given to " + i.attached_account()));
      }
      after = page->next_key;
      if (after.empty()) break;
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(waiting("2025-12-31", 500, 100), V{"T0"});
  EXPECT_EQ(waiting("2025-12-31", 1500, 100), (V{"T0", "T1 given to A1"}));
  EXPECT_EQ(waiting("2025-12-31", 4000, 100),
            (V{"S 2025-01-31 given to A1", "T0", "T1 given to A1", "T2 given to A1", "T4"}));
  EXPECT_EQ(waiting("2025-12-31", 4000, 1), waiting("2025-12-31", 4000, 100));
  EXPECT_EQ(waiting("2025-01-15", 4000, 1), (V{"T0", "T1 given to A1", "T4"}));
  // Given at 5000: up to then it waited; from just after, it did not.
  EXPECT_EQ(waiting("2025-12-31", 5000, 100), waiting("2025-12-31", 4000, 100));
  EXPECT_EQ(waiting("2025-12-31", 5001, 100), (V{"T0", "T4"}));
  // Now: only R2's; and the account holds R1's as ever.
  EXPECT_EQ(store_->ListSuspense("c", "", 100)->items.size(), 2u);
  EXPECT_EQ(Balance("A1", "2025-12-31"), -300);
}

TEST_F(StoreTest, ReversalCountsAsItsOriginalWhicheverArrivesFirst) {
  CreateAccount("A1", "R1");
  // Reversal first: counts as sent (REFUND credit) until the original arrives.
  EXPECT_EQ(Ingest({Txn("R1", "REV", "2025-02-10", 2500, v1::REFUND, "ORIG")}),
            (std::vector<O>{v1::ACCEPTED}));
  auto refund = store_->SumRange("c", "A1", D("2025-02-10"), D("2025-02-10"));
  EXPECT_EQ(refund->net_pence[domain::SlotOf(domain::REFUND, domain::CREDIT)], 2500);
  EXPECT_EQ(Ingest({Txn("R1", "ORIG", "2025-02-01", -2500, v1::RESPITE)}),
            (std::vector<O>{v1::ACCEPTED}));
  auto feb = store_->SumRange("c", "A1", D("2025-02-01"), D("2025-02-28"));
  ASSERT_TRUE(feb.ok());
  EXPECT_EQ(feb->net_pence[domain::SlotOf(domain::REFUND, domain::CREDIT)], 0);
  EXPECT_EQ(feb->count[domain::SlotOf(domain::REFUND, domain::CREDIT)], 0);
  EXPECT_EQ(feb->net_pence[domain::SlotOf(domain::RESPITE, domain::DEBIT)], 0);
  EXPECT_EQ(feb->count[domain::SlotOf(domain::RESPITE, domain::DEBIT)], 2);
  // Booked in its own window: RESPITE spend reduced on the reversal's date.
  auto tenth = store_->SumRange("c", "A1", D("2025-02-10"), D("2025-02-10"));
  EXPECT_EQ(tenth->net_pence[domain::SlotOf(domain::RESPITE, domain::DEBIT)], 2500);
  auto txns = store_->ListTransactions("c", "A1", D("2025-02-10"), D("2025-02-10"), "", 10);
  ASSERT_EQ(txns->items.size(), 1u);
  EXPECT_TRUE(txns->items[0].reversal_linked());
  EXPECT_EQ(txns->items[0].effective_category(), v1::RESPITE);
  EXPECT_EQ(txns->items[0].direction(), v1::DEBIT);
}

TEST_F(StoreTest, RequestIdReturnsTheFirstAnswer) {
  CreateAccount("A1", "R1");
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-05", -100)}, "req-1"), (std::vector<O>{v1::ACCEPTED}));
  // The retry gets ACCEPTED again (the first answer), and nothing changes.
  EXPECT_EQ(Ingest({Txn("R1", "T1", "2025-01-05", -100)}, "req-1"), (std::vector<O>{v1::ACCEPTED}));
  EXPECT_EQ(Balance("A1", "2025-12-31"), -100);
}

TEST_F(StoreTest, ACouncilsPolicyAsOfATimeIsTheVersionInForceThen) {
  auto set_weeks = [&](int weeks, const std::string& time) {
    return store_
        ->UpdateCouncil(
            "c",
            [weeks](v1::Council* c) {
              c->mutable_policy()->set_surplus_threshold_weeks(weeks);
              return absl::OkStatus();
            },
            {}, time)
        .status();
  };
  auto as_of = [&](const std::string& council, const std::string& time) {
    absl::StatusOr<v1::Council> c = store_->GetCouncilAsOf(council, time);
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return std::string();
    return absl::StrCat(c->policy().has_surplus_threshold_weeks()
                            ? absl::StrCat(c->policy().surplus_threshold_weeks())
                            : std::string("unset"),
                        " since ", c->policy_since());
  };
  // "c" was made with no time (as before the history was kept): one policy.
  EXPECT_EQ(as_of("c", "2025-01-01T00:00:00.000Z"), "unset since ");
  ASSERT_TRUE(set_weeks(10, "2026-01-01T00:00:00.000Z").ok());
  ASSERT_TRUE(set_weeks(12, "2026-06-01T00:00:00.000Z").ok());
  ASSERT_TRUE(set_weeks(12, "2026-07-01T00:00:00.000Z").ok());  // No change: no version.
  Reopen();
  EXPECT_EQ(as_of("c", "2025-12-31T23:59:59.999Z"), "unset since ");
  EXPECT_EQ(as_of("c", "2026-01-01T00:00:00.000Z"), "10 since 2026-01-01T00:00:00.000Z");
  EXPECT_EQ(as_of("c", "2026-05-31T23:59:59.999Z"), "10 since 2026-01-01T00:00:00.000Z");
  EXPECT_EQ(as_of("c", "2026-06-01T00:00:00.000Z"), "12 since 2026-06-01T00:00:00.000Z");
  EXPECT_EQ(as_of("c", "2026-07-02T00:00:00.000Z"), "12 since 2026-06-01T00:00:00.000Z");
  EXPECT_EQ(as_of("c", ""), "12 since 2026-06-01T00:00:00.000Z");
  // A council made at a time: before it, its first policy.
  v1::Council d;
  d.set_name(CouncilName("d"));
  d.mutable_policy()->set_surplus_threshold_weeks(6);
  ASSERT_TRUE(store_->CreateCouncil("d", d, {}, "2026-03-01T00:00:00.000Z").ok());
  EXPECT_EQ(as_of("d", "2026-01-01T00:00:00.000Z"), "6 since 2026-03-01T00:00:00.000Z");
  EXPECT_EQ(as_of("d", ""), "6 since 2026-03-01T00:00:00.000Z");
}

// The aggregates must equal a brute-force sum of the raw transactions, for
// random data arriving in random order with duplicates, conflicts, suspense
// and reversals.
TEST_F(StoreTest, AggregatesEqualBruteForceOverRandomData) {
  std::mt19937 rng(20251122);
  const std::vector<std::string> refs = {"R0", "R1", "R2", "R3"};
  CreateAccount("A0", "R0");
  CreateAccount("A1", "R1");
  // R2 and R3 start in suspense; R2 is attached half way.
  struct Raw {
    std::string ref;
    std::string id;
    Date date;
    int64_t amount;
  };
  std::map<std::string, Raw> first;  // external id -> the version that stands
  std::vector<LedgerWrite> all;
  const Date base = D("2023-01-01");
  for (int i = 0; i < 3000; ++i) {
    std::string id = absl::StrCat("T", rng() % 2500);  // repeats: duplicates and conflicts
    std::string ref = refs[rng() % refs.size()];
    Date date = base.AddDays(static_cast<int32_t>(rng() % 1100));
    int64_t amount = static_cast<int64_t>(rng() % 200000) - 100000;
    if (amount == 0) amount = 1;
    auto it = first.find(id);
    if (it != first.end() && rng() % 2 == 0) {  // an exact resend
      ref = it->second.ref;
      date = it->second.date;
      amount = it->second.amount;
    }
    std::string date_text = date.ToString();
    LedgerWrite w = Txn(ref, id, date_text.c_str(), amount);
    if (rng() % 10 == 0 && !first.empty()) {
      auto other = first.begin();
      std::advance(other, rng() % first.size());
      if (other->first != id) w.transaction.set_reverses(other->first);
    }
    if (it == first.end()) first[id] = Raw{ref, id, date, amount};
    all.push_back(w);
  }
  for (size_t start = 0; start < all.size(); start += 500) {
    std::vector<LedgerWrite> chunk(all.begin() + start,
                                   all.begin() + std::min(all.size(), start + 500));
    Ingest(chunk);
    if (start == 1500) CreateAccount("A2", "R2");
  }
  Reopen();
  const std::map<std::string, std::string> account_of = {{"R0", "A0"}, {"R1", "A1"}, {"R2", "A2"}};
  for (const auto& [ref, account] : account_of) {
    for (int probe = 0; probe < 40; ++probe) {
      Date from = base.AddDays(static_cast<int32_t>(rng() % 1200) - 50);
      Date to = from.AddDays(static_cast<int32_t>(rng() % 400));
      int64_t want_net = 0, want_count = 0, want_balance = 0;
      for (const auto& [id, raw] : first) {
        if (raw.ref != ref) continue;
        if (raw.date <= to) want_balance += raw.amount;
        if (raw.date >= from && raw.date <= to) {
          want_net += raw.amount;
          ++want_count;
        }
      }
      absl::StatusOr<domain::Totals> got = store_->SumRange("c", account, from, to);
      ASSERT_TRUE(got.ok());
      int64_t net;
      ASSERT_TRUE(got->NetPence(&net).ok());
      EXPECT_EQ(net, want_net) << account << " " << from.ToString() << ".." << to.ToString();
      EXPECT_EQ(got->TransactionCount(), want_count);
      EXPECT_EQ(Balance(account, to.ToString().c_str()), want_balance);
    }
  }
  // The balance through every few days and every month's and year's end:
  // each way of reading it (rows before, or the enclosing row less those
  // after) meets the raw sum.
  std::vector<Date> ends;
  for (Date d = base.AddDays(-3); d <= base.AddDays(1110); d = d.AddDays(3)) {
    ends.push_back(d);
    ends.push_back(d.FirstOfMonth().AddDays(-1));
  }
  for (Date to : ends) {
    int64_t want_balance = 0;
    for (const auto& [id, raw] : first) {
      if (raw.ref == "R0" && raw.date <= to) want_balance += raw.amount;
    }
    EXPECT_EQ(Balance("A0", to.ToString().c_str()), want_balance) << to.ToString();
  }
  // Whatever has no account is still in suspense, none lost.
  int64_t want_suspense = 0;
  for (const auto& [id, raw] : first) want_suspense += raw.ref == "R3";
  auto suspense = store_->ListSuspense("c", "", 1000);
  ASSERT_TRUE(suspense.ok());
  int64_t got_suspense = 0;
  for (const auto& item : suspense->items) got_suspense += item.has_transaction();
  EXPECT_EQ(got_suspense, want_suspense);
}

// A watched debit is reversed as of a date when a reversal of it is booked
// in the same account on or before that date, as a reader's snapshot has
// it: not before the reversal is ingested (a reader made earlier keeps its
// answer), not before the reversal's date, not by a reversal in another
// account. (The readers skip the read for debits no reversal ever named.)
TEST_F(StoreTest, LedgerFactsSeeAReversalOfAWatchedDebitFromItsDate) {
  CreateAccount("A1", "R1");
  CreateAccount("A2", "R2");
  Ingest({Txn("R1", "t1", "2026-01-06", -2000, v1::CASH_WITHDRAWAL),
          Txn("R1", "t2", "2026-01-07", -300, v1::CASH_WITHDRAWAL)});
  auto watched = [&](Store::FactsReader* reader, const char* as_of) {
    domain::LedgerFacts f;
    EXPECT_TRUE(reader->Read("c", "A1", D(as_of), D(as_of).AddDays(-83), D("2026-01-01"), &f).ok());
    std::string out;
    for (const domain::WatchedDebit& d : f.watched_debits) {
      absl::StrAppend(&out, d.external_id, d.reversed ? "=reversed " : "=standing ");
    }
    return out;
  };
  std::unique_ptr<Store::FactsReader> before = store_->NewFactsReader();
  EXPECT_EQ(watched(before.get(), "2026-01-31"), "t1=standing t2=standing ");
  Ingest({Txn("R1", "t9", "2026-01-10", 2000, v1::CATEGORY_UNSPECIFIED, "t1"),
          Txn("R2", "u9", "2026-01-11", 300, v1::CATEGORY_UNSPECIFIED, "t2")});
  std::unique_ptr<Store::FactsReader> after = store_->NewFactsReader();
  EXPECT_EQ(watched(after.get(), "2026-01-31"), "t1=reversed t2=standing ");
  EXPECT_EQ(watched(after.get(), "2026-01-09"), "t1=standing t2=standing ");
  EXPECT_EQ(watched(before.get(), "2026-01-31"), "t1=standing t2=standing ");
  before.reset();
  after.reset();
  Reopen();  // the markers loaded when the store opens
  std::unique_ptr<Store::FactsReader> reopened = store_->NewFactsReader();
  EXPECT_EQ(watched(reopened.get(), "2026-01-31"), "t1=reversed t2=standing ");
}

TEST_F(StoreTest, LedgerFactsFindTheLastFeedDayAcrossMonthsAndYears) {
  CreateAccount("A1", "R1");
  CreateAccount("A2", "R2");  // a neighbour whose rows lie between A1's
  Ingest({Txn("R1", "t1", "2023-11-05", 100, v1::COUNCIL_PAYMENT),
          Txn("R1", "t2", "2024-03-10", -40, v1::PA_WAGES),
          Txn("R2", "u1", "2024-03-20", 7, v1::COUNCIL_PAYMENT),
          Txn("R2", "u2", "2025-01-02", 7, v1::COUNCIL_PAYMENT), Stmt("R1", "2024-03-31", 61)});
  std::unique_ptr<Store::FactsReader> reader = store_->NewFactsReader();
  struct Case {
    const char* as_of;
    const char* last;  // "" = none
    int64_t balance;
  };
  for (const Case& c :
       {Case{"2023-11-04", "", 0}, Case{"2023-11-05", "2023-11-05", 100},
        Case{"2024-02-01", "2023-11-05", 100}, Case{"2024-03-09", "2023-11-05", 100},
        Case{"2024-03-10", "2024-03-10", 60}, Case{"2024-12-31", "2024-03-10", 60},
        Case{"2025-06-30", "2024-03-10", 60}}) {
    SCOPED_TRACE(c.as_of);
    domain::LedgerFacts f;
    ASSERT_TRUE(
        reader->Read("c", "A1", D(c.as_of), D(c.as_of).AddDays(-83), D(c.as_of).AddDays(-364), &f)
            .ok());
    EXPECT_EQ(f.balance_pence, c.balance);
    if (*c.last) {
      EXPECT_EQ(f.last_transaction, D(c.last));
    } else {
      EXPECT_EQ(f.last_transaction, std::nullopt);
    }
  }
  // The statement and the ledger on its date, and the last council payment.
  domain::LedgerFacts f;
  ASSERT_TRUE(reader->Read("c", "A1", D("2024-04-15"), D("2024-01-23"), D("2023-04-17"), &f).ok());
  ASSERT_TRUE(f.last_statement.has_value());
  EXPECT_EQ(f.last_statement->date, D("2024-03-31"));
  EXPECT_EQ(f.last_statement->closing_balance_pence, 61);
  EXPECT_EQ(f.last_statement->ledger_balance_pence, 60);
  EXPECT_EQ(f.last_council_payment, D("2023-11-05"));
  // Window 2024-01-23..2024-04-15 holds only the wages.
  EXPECT_EQ(f.window.net_pence[domain::SlotOf(domain::PA_WAGES, domain::DEBIT)], -40);
  EXPECT_EQ(f.window.net_pence[domain::SlotOf(domain::COUNCIL_PAYMENT, domain::CREDIT)], 0);
}

// What the rules read of an account (balance, the window's totals, the
// latest day with transactions, the latest statement and the ledger on its
// date) against sums worked out here from the items themselves, for dates
// every few days over two years and windows within a month, across months
// and across years: every way the reader can take (the days of a month up
// to the date, or the month less the days after it; the months before, or
// read again for an earlier year).
TEST_F(StoreTest, LedgerFactsAgreeWithSumsOfTheItemsOnEveryDate) {
  CreateAccount("A1", "R1");
  CreateAccount("A2", "R2");  // a neighbour whose rows lie between A1's
  struct Item {
    std::string date;
    int64_t amount;
    v1::Category category;
  };
  std::mt19937 rng(20261201);
  std::vector<Item> items;
  std::vector<std::pair<std::string, int64_t>> statements;  // date, closing balance
  std::vector<LedgerWrite> batch;
  std::vector<std::string> dates;  // kept alive for Txn's char pointers
  const Date first = D("2024-01-01");
  for (int day = 0; day < 731; ++day) {
    const Date d = first.AddDays(day);
    const int n = rng() % 4 == 0 ? static_cast<int>(rng() % 3) + 1 : 0;  // some days none
    for (int k = 0; k < n; ++k) {
      const bool pay = rng() % 5 == 0;
      items.push_back({d.ToString(),
                       pay ? 1000 + static_cast<int64_t>(rng() % 90000)
                           : -1 - static_cast<int64_t>(rng() % 30000),
                       pay ? v1::COUNCIL_PAYMENT : v1::PA_WAGES});
    }
    if (d.AddDays(1).day() == 1 && rng() % 3 != 0) {  // most month ends
      statements.emplace_back(d.AddDays(-static_cast<int>(rng() % 3)).ToString(), 0);
    } else if (d >= D("2025-03-01") && d <= D("2025-04-20")) {  // a stretch of daily ones
      statements.emplace_back(d.ToString(), 0);
    }
  }
  for (auto& [date, closing] : statements) {
    closing = 7;  // any figure: the facts carry it as given
    for (const Item& i : items) closing += i.date <= date ? i.amount : 0;
  }
  // Shuffled, in several batches, the neighbour's items among them.
  std::vector<LedgerWrite> all;
  for (size_t i = 0; i < items.size(); ++i) {
    all.push_back(
        Txn("R1", absl::StrCat("t", i), items[i].date.c_str(), items[i].amount, items[i].category));
    all.push_back(Txn("R2", absl::StrCat("u", i), items[i].date.c_str(), 3, v1::COUNCIL_PAYMENT));
  }
  for (const auto& [date, closing] : statements) {
    all.push_back(Stmt("R1", date.c_str(), closing));
  }
  std::shuffle(all.begin(), all.end(), rng);
  for (size_t i = 0; i < all.size(); i += 300) {
    Ingest(std::vector<LedgerWrite>(all.begin() + i, all.begin() + std::min(all.size(), i + 300)));
  }

  const int wages = domain::SlotOf(domain::PA_WAGES, domain::DEBIT);
  const int pay = domain::SlotOf(domain::COUNCIL_PAYMENT, domain::CREDIT);
  std::unique_ptr<Store::FactsReader> reader = store_->NewFactsReader();
  int checked = 0;
  for (Date as_of = D("2023-12-28"); as_of <= D("2026-01-05"); as_of = as_of.AddDays(2)) {
    for (int window_days : {28, 84, 400}) {
      const Date ws = as_of.AddDays(-(window_days - 1));
      const std::string to = as_of.ToString(), from = ws.ToString();
      SCOPED_TRACE(absl::StrCat(to, " window ", window_days));
      int64_t balance = 0, wages_net = 0, wages_count = 0, pay_net = 0;
      std::optional<Date> last;
      for (const Item& i : items) {
        if (i.date > to) continue;
        balance += i.amount;
        if (!last || D(i.date.c_str()) > *last) last = D(i.date.c_str());
        if (i.date < from) continue;
        if (i.category == v1::PA_WAGES) {
          wages_net += i.amount;
          ++wages_count;
        } else {
          pay_net += i.amount;
        }
      }
      std::optional<Date> last_payment;
      for (const Item& i : items) {
        if (i.date <= to && i.category == v1::COUNCIL_PAYMENT) last_payment = D(i.date.c_str());
      }
      domain::LedgerFacts f;
      // The neighbour read first now and then, as an evaluation reads one
      // account after another with the same iterators.
      if (rng() % 2 == 0) {
        ASSERT_TRUE(reader->Read("c", "A2", as_of, ws, as_of, &f).ok());
        EXPECT_FALSE(f.last_statement.has_value());  // A1's are not A2's
      }
      ASSERT_TRUE(reader->Read("c", "A1", as_of, ws, as_of.AddDays(-364), &f).ok());
      ++checked;
      EXPECT_EQ(f.last_council_payment, last_payment);
      EXPECT_EQ(f.balance_pence, balance);
      EXPECT_EQ(f.window.net_pence[wages], wages_net);
      EXPECT_EQ(f.window.count[wages], wages_count);
      EXPECT_EQ(f.window.net_pence[pay], pay_net);
      EXPECT_EQ(f.last_transaction, last);
      // What FlagsStandUntil reads: no later than the first transaction or
      // statement after D (exact in D's month, the first of its month in
      // D's year, of its year after it; a statement exact); the rows of the
      // window's first kWindowLeavingDays days; no later than the first
      // transaction in the window after those (exact in the months read).
      std::optional<Date> next_txn, next_stmt, later_in;
      std::map<Date, std::pair<int64_t, int64_t>> leaving;  // wages, pay
      for (const Item& i : items) {
        const Date d = D(i.date.c_str());
        if (d > as_of && (!next_txn || d < *next_txn)) next_txn = d;
        if (d < ws || d > as_of) continue;
        if (d < ws.AddDays(domain::kWindowLeavingDays)) {
          (i.category == v1::PA_WAGES ? leaving[d].first : leaving[d].second) += i.amount;
        } else if (!later_in || d < *later_in) {
          later_in = d;
        }
      }
      for (const auto& st : statements) {
        const Date d = D(st.first.c_str());
        if (d > as_of && (!next_stmt || d < *next_stmt)) next_stmt = d;
      }
      std::optional<Date> next = next_stmt;
      if (next_txn) {
        Date bound = *next_txn;
        if (next_txn->FirstOfYear() != as_of.FirstOfYear()) {
          bound = next_txn->FirstOfYear();
        } else if (next_txn->FirstOfMonth() != as_of.FirstOfMonth()) {
          bound = next_txn->FirstOfMonth();
        }
        if (!next || bound < *next) next = bound;
      }
      EXPECT_EQ(f.next_entry, next);
      ASSERT_EQ(f.window_leaving.size(), leaving.size());
      size_t k = 0;
      for (const auto& [day, sums] : leaving) {
        EXPECT_EQ(f.window_leaving[k].first, day);
        EXPECT_EQ(f.window_leaving[k].second.net_pence[wages], sums.first);
        EXPECT_EQ(f.window_leaving[k].second.net_pence[pay], sums.second);
        ++k;
      }
      // The months read: the window's first, and the next if its first
      // days run into it.
      const Date span_end = std::min(ws.AddDays(domain::kWindowLeavingDays), as_of.AddDays(1));
      const Date second = AddMonths(ws.FirstOfMonth(), 1);
      const Date limit = span_end > second ? AddMonths(second, 1) : second;
      if (later_in && *later_in < limit) {
        EXPECT_EQ(f.later_in_window, later_in);
      } else if (limit <= as_of) {
        EXPECT_EQ(f.later_in_window, limit);
      } else {
        EXPECT_EQ(f.later_in_window, std::nullopt);
      }
      const std::pair<std::string, int64_t>* st = nullptr;
      for (const auto& s : statements) {
        if (s.first <= to) st = &s;
      }
      if (st == nullptr) {
        EXPECT_FALSE(f.last_statement.has_value());
        continue;
      }
      ASSERT_TRUE(f.last_statement.has_value());
      EXPECT_EQ(f.last_statement->date, D(st->first.c_str()));
      EXPECT_EQ(f.last_statement->closing_balance_pence, st->second);
      EXPECT_EQ(f.last_statement->ledger_balance_pence, st->second - 7);
    }
  }
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace dpmon

namespace dpmon {
namespace {

// The writer serializes a transaction record around its input's bytes
// (already known from the idempotency check); that must be the record's
// own serialization, however long the input.
TEST(TransactionRecordBytes, EqualsTheRecordsOwnSerialization) {
  for (int description_length : {0, 10, 100, 200, 20000}) {
    storage::TransactionRecord rec;
    v1::TransactionInput* in = rec.mutable_input();
    in->set_source("card");
    in->set_external_id("T1");
    in->set_account_ref("R1");
    in->set_booking_date("2025-03-04");
    in->set_amount_pence(-1234);
    in->set_mcc("5411");
    in->set_description(std::string(description_length, 'd'));
    rec.set_fingerprint(0xfeedfacecafebeefull);
    rec.set_sequence(99);
    rec.set_effective_category(v1::PA_WAGES);
    rec.set_direction(v1::DEBIT);
    rec.set_reversal_linked(true);
    rec.set_from_suspense(true);
    rec.add_category_history()->set_to(v1::TRANSPORT);
    const std::string want = rec.SerializeAsString();
    const std::string input_bytes = in->SerializeAsString();
    EXPECT_EQ(TransactionRecordBytes(&rec, input_bytes), want) << description_length;
    // And the record keeps its input.
    EXPECT_EQ(rec.input().SerializeAsString(), input_bytes);
  }
}

}  // namespace
}  // namespace dpmon

namespace dpmon {
namespace {

// The memtable's insert hints group keys by account: for totals the prefix
// must be exactly an account's rows of one level and period, whatever bytes
// the period's date holds (some are 0x00).
TEST(AccountHintPrefix, IsTheAccountsPrefix) {
  AccountHintPrefix rows(false), totals(true);
  for (int days : {0, 1, 255, 256, 19723, 20000, -5}) {
    const Date d = Date::FromDays(days);
    for (keys::Level level : {keys::Level::kYear, keys::Level::kMonth, keys::Level::kDay}) {
      const std::string key = keys::Totals("wilts", "A1", level, d);
      const std::string want =
          keys::TotalsPrefix("wilts", "A1", level, keys::TotalsPeriod(level, d));
      ASSERT_TRUE(totals.InDomain(key));
      EXPECT_EQ(totals.Transform(key).ToString(), want) << days;
    }
    const std::string txn = keys::Txn("wilts", "A1", d, 7);
    ASSERT_TRUE(rows.InDomain(txn));
    EXPECT_EQ(rows.Transform(txn).ToString(), keys::AccountParent("wilts", "A1"));
  }
  EXPECT_FALSE(rows.InDomain("no-separator"));
}

// What a flag_index entry holds: the state in one byte. Anything else is
// refused, a copy of the whole flag (as written before schema 6, and
// rewritten by the upgrade to 8) included.
TEST(FlagIndexEntry, HoldsTheStateAlone) {
  for (v1::FlagState state : {v1::OPEN, v1::ACKNOWLEDGED, v1::RESOLVED, v1::CLEARED}) {
    v1::Flag f;
    f.set_account("councils/c/accounts/A1");
    f.set_kind(v1::SURPLUS);
    f.set_state(state);
    const std::string value = FlagIndexValue(f);
    EXPECT_EQ(value.size(), 1u);
    absl::StatusOr<v1::FlagState> read = FlagIndexEntryState(value);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, state);
    read = FlagIndexEntryState(f.SerializeAsString());
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  }
  v1::Flag no_state;
  no_state.set_kind(v1::SURPLUS);
  for (const std::string& bad : {std::string(), std::string(1, '\0'), std::string(1, 99),
                                 std::string("\xff\xff\xff"), no_state.SerializeAsString()}) {
    absl::StatusOr<v1::FlagState> read = FlagIndexEntryState(bad);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << bad.size();
  }
}

// The flag index's hints: one run per (group or kind, severity, raised_on),
// whatever bytes the date holds, and the kind's name never cut short; the
// family's other keys (counts, evaluation record) are outside the domain.
TEST(FlagIndexHintPrefix, IsTheRunUpToTheRaisedOnDate) {
  FlagIndexHintPrefix hint;
  for (int days : {0, 1, 255, 256, 20453, -5}) {
    const Date d = Date::FromDays(days);
    for (int severity : {1, 2, 3}) {
      const std::string tail = keys::FlagIndexTail(severity, d, "A1", "SURPLUS", "", 1);
      // The run: the severity rank and the date's 4 bytes, before the account.
      const std::string run = tail.substr(0, 5);
      ASSERT_EQ(tail.substr(5, 3), std::string("A1\0", 3));
      for (char group : {'A', 'R', 'X'}) {
        for (const std::string& prefix : {keys::FlagByGroupPrefix("wilts", group),
                                          keys::FlagByKindPrefix("wilts", "SURPLUS", group),
                                          keys::FlagByKindPrefix("wilts", "S", group)}) {
          const std::string key = prefix + tail;
          ASSERT_TRUE(hint.InDomain(key)) << days;
          EXPECT_EQ(hint.Transform(key).ToString(), prefix + run) << days << " " << severity;
          // A different account, subject or occurrence: the same run.
          const std::string other =
              prefix + keys::FlagIndexTail(severity, d, "B22", "SURPLUS", "x", 2);
          EXPECT_EQ(hint.Transform(other).ToString(), prefix + run);
        }
      }
    }
  }
  EXPECT_FALSE(hint.InDomain(keys::FlagCounts("wilts")));
  EXPECT_FALSE(hint.InDomain(keys::CouncilEvaluation("wilts")));
  EXPECT_FALSE(hint.InDomain("no-separator"));
}

}  // namespace
}  // namespace dpmon

namespace dpmon {
namespace {

// What the evaluator keeps at a clean shutdown is written as the store's
// last write and taken by the next Open only if nothing at all was written
// to the directory after it: a program that does not know of it (an older
// dpmon, a RocksDB tool) writing in between makes it void; opening without
// writing does not. Taken once.
TEST_F(StoreTest, EvaluatorMemoryIsTakenOnlyIfNothingWasWrittenAfterIt) {
  // Opens the directory with RocksDB alone, as another program would, and
  // writes a key of its own to the default family if told.
  auto other_program = [this](bool write) {
    store_.reset();
    rocksdb::Options o;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : kCfNames) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.string(), families, &handles, &db).ok());
    if (write) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "other", "1").ok());
    }
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  };
  EXPECT_FALSE(store_->TakeEvaluatorMemory().has_value());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    store_->KeepEvaluatorMemory(absl::StrCat("known ", round), store_->WriteClock());
    if (round == 1) other_program(false);
    if (round == 2) other_program(true);
    Reopen();
    std::optional<std::string> taken = store_->TakeEvaluatorMemory();
    if (round == 2) {
      EXPECT_FALSE(taken.has_value());
    } else {
      ASSERT_TRUE(taken.has_value());
      EXPECT_EQ(*taken, absl::StrCat("known ", round));
    }
    EXPECT_FALSE(store_->TakeEvaluatorMemory().has_value());
    // Deleted when taken: the next opening finds nothing.
    Reopen();
    EXPECT_FALSE(store_->TakeEvaluatorMemory().has_value());
  }
  // Kept at a clock an account was written after: not written at all.
  CreateAccount("A", "CARD-A");
  const uint64_t clock = store_->WriteClock();
  CreateAccount("B", "CARD-B");
  store_->KeepEvaluatorMemory("stale", clock);
  Reopen();
  EXPECT_FALSE(store_->TakeEvaluatorMemory().has_value());
}

}  // namespace
}  // namespace dpmon
