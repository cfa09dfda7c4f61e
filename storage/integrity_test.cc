// Store::CheckIntegrity: a clean store reports nothing; each kind of damage
// to what the store derives from its records is reported by account and key.
#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/ids.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/store_test_util.h"
#include "storage/totals_record.h"

namespace dpmon {
namespace {

using O = v1::ItemOutcome;

class IntegrityTest : public StoreTest {
 protected:
  // A1 (R1): spending over two years, a council payment, a cash withdrawal
  // (watched), a reversal linked to its original, and a reversal that came
  // before its original; A2 (R2): one transaction and a statement; A3: none.
  // Suspense: a transaction and a statement for R9. A flag on A1.
  void Fill() {
    CreateAccount("A1", "R1");
    CreateAccount("A2", "R2");
    CreateAccount("A3", "");
    ASSERT_EQ(
        Ingest({Txn("R1", "t1", "2025-12-30", -1500, v1::PA_WAGES),
                Txn("R1", "t2", "2026-01-05", 50000, v1::COUNCIL_PAYMENT),
                Txn("R1", "t3", "2026-01-06", -2000, v1::CASH_WITHDRAWAL),
                Txn("R1", "t4", "2026-02-01", 1500, v1::CATEGORY_UNSPECIFIED, "t1"),
                Txn("R1", "t6", "2026-02-03", 700, v1::CATEGORY_UNSPECIFIED, "t5"),
                Txn("R1", "t5", "2026-02-02", -700, v1::RESPITE),
                Txn("R2", "u1", "2026-02-10", -300, v1::PA_WAGES), Stmt("R2", "2026-02-28", -300),
                Txn("R9", "s1", "2026-02-11", -900), Stmt("R9", "2026-02-28", 100)}),
        (std::vector<O>{O::ACCEPTED, O::ACCEPTED, O::ACCEPTED, O::ACCEPTED, O::ACCEPTED,
                        O::ACCEPTED, O::ACCEPTED, O::ACCEPTED, O::SUSPENSE, O::SUSPENSE}));
    v1::Flag f;
    f.set_account("councils/c/accounts/A1");
    f.set_kind(v1::EVIDENCE_REQUIRED);
    f.set_severity(v1::WARNING);
    f.set_subject("card:t3");
    f.set_amount_pence(2000);
    f.set_date("2026-01-06");
    std::vector<Store::AccountEvaluation> e(1);
    e[0].account_id = "A1";
    e[0].flags.push_back(f);
    ASSERT_TRUE(store_->ApplyEvaluation("c", D("2026-02-28"), "2026-02-28T09:00:00Z", e).ok());
  }

  Store::IntegrityReport Check(const std::string& council = "", int max = 100) {
    absl::StatusOr<Store::IntegrityReport> r = store_->CheckIntegrity(council, max);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Store::IntegrityReport();
  }

  static bool Has(const Store::IntegrityReport& r, const std::string& account,
                  const std::string& where, const std::string& problem) {
    return std::any_of(r.problems.begin(), r.problems.end(), [&](const auto& p) {
      return p.council == "c" && p.account == account && absl::StartsWith(p.where, where) &&
             absl::StrContains(p.problem, problem);
    });
  }

  static std::string Dump(const Store::IntegrityReport& r) {
    std::string out;
    for (const auto& p : r.problems) {
      absl::StrAppend(&out, p.account, " | ", p.where, " | ", p.problem, "\n");
    }
    return out;
  }
};

TEST_F(IntegrityTest, ACleanStoreReportsNothingAndCountsWhatItRead) {
  Fill();
  Store::IntegrityReport r = Check();
  EXPECT_EQ(r.problem_count, 0) << Dump(r);
  EXPECT_EQ(r.councils, 1);
  EXPECT_EQ(r.accounts, 3);
  EXPECT_EQ(r.transactions, 7);
  EXPECT_EQ(r.statements, 1);
  EXPECT_EQ(r.suspense_items, 2);
  EXPECT_EQ(r.flags, 1);
  // Day rows: A1 on 6 days, A2 on 1; month rows: A1 3 (2025-12, 2026-01,
  // 2026-02), A2 1; year rows: A1 2, A2 1.
  EXPECT_EQ(r.totals_rows, (6 + 1) + (3 + 1) + (2 + 1));
  // A2 takes R9: the transaction is attached, and the statement stays in
  // suspense (A2 has another for that day). Still clean.
  ASSERT_TRUE(store_
                  ->AddExternalRef("c", "A2",
                                   [] {
                                     v1::ExternalRef ref;
                                     ref.set_source("card");
                                     ref.set_ref("R9");
                                     return ref;
                                   }(),
                                   {})
                  .ok());
  r = Check("c");
  EXPECT_EQ(r.problem_count, 0) << Dump(r);
  EXPECT_EQ(r.transactions, 8);
  EXPECT_EQ(r.suspense_items, 1);
  EXPECT_FALSE(store_->CheckIntegrity("nowhere", 10).ok());
}

// The flag index follows every change of a flag: evaluations raising,
// updating (an amount or date alone leaves the index entries as they are;
// a severity moves them), clearing and raising again, and officers
// acknowledging and resolving, at random over a few accounts. After each
// step the index lists exactly the stored flags (the integrity check reads
// both ways), every listing agrees with the flags read one account at a
// time, and the counts add up.
TEST_F(IntegrityTest, TheFlagIndexFollowsRandomFlagChanges) {
  for (const char* a : {"A1", "A2", "A3"}) CreateAccount(a, std::string("R") + a);
  std::mt19937 rng(20261201);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<v1::FlagKind> kinds = {v1::SURPLUS, v1::EVIDENCE_REQUIRED, v1::OVERSPEND};
  const std::vector<v1::Severity> severities = {v1::INFO, v1::WARNING, v1::CRITICAL};
  Date day = D("2026-01-01");
  int changes = 0;
  for (int step = 0; step < 120; ++step) {
    day = day.AddDays(1 + pick(3));
    if (pick(4) == 0) {
      // An officer acts on an open or acknowledged flag, if there is one.
      Store::FlagQuery q;
      q.groups = "A";
      absl::StatusOr<Page<v1::Flag>> open = store_->ListFlags("c", q, "", 100);
      ASSERT_TRUE(open.ok()) << open.status();
      if (!open->items.empty()) {
        const v1::Flag& f = open->items[pick(static_cast<int>(open->items.size()))];
        v1::FlagAction action;
        const bool resolve = f.kind() == v1::EVIDENCE_REQUIRED && pick(2) == 0;
        action.set_state(resolve ? v1::RESOLVED : v1::ACKNOWLEDGED);
        if (f.state() == v1::ACKNOWLEDGED && !resolve) continue;
        absl::StatusOr<v1::Flag> acted =
            store_->ActOnFlag("c", LastNameSegment(f.account()), f.kind(), f.subject(), action, {});
        ASSERT_TRUE(acted.ok()) << acted.status();
      }
    } else {
      std::vector<Store::AccountEvaluation> e;
      for (const char* a : {"A1", "A2", "A3"}) {
        if (pick(3) == 0) continue;
        Store::AccountEvaluation ae;
        ae.account_id = a;
        for (v1::FlagKind kind : kinds) {
          for (const char* subject : {"", "x"}) {
            if (pick(3) == 0) continue;  // not holding
            v1::Flag f;
            f.set_account(absl::StrCat("councils/c/accounts/", a));
            f.set_kind(kind);
            f.set_subject(subject);
            f.set_severity(severities[pick(pick(4) == 0 ? 3 : 1)]);  // mostly the same
            if (pick(2) == 0) f.set_amount_pence(100 * pick(5));
            if (pick(2) == 0) f.set_date(day.AddDays(-pick(3)).ToString());
            ae.flags.push_back(f);
          }
        }
        e.push_back(std::move(ae));
      }
      absl::StatusOr<Store::EvaluationCounts> counts =
          store_->ApplyEvaluation("c", day, day.ToString() + "T09:00:00Z", e);
      ASSERT_TRUE(counts.ok()) << counts.status();
      changes += counts->raised + counts->cleared + counts->updated;
    }
    if (step % 10 == 9) Reopen();
    Store::IntegrityReport r = Check();
    ASSERT_EQ(r.problem_count, 0) << "step " << step << "\n" << Dump(r);
    // Every listing, against the flags read account by account.
    std::vector<v1::Flag> all;
    for (const char* a : {"A1", "A2", "A3"}) {
      absl::StatusOr<std::vector<v1::Flag>> flags = store_->GetAccountFlags("c", a);
      ASSERT_TRUE(flags.ok());
      all.insert(all.end(), flags->begin(), flags->end());
    }
    for (const std::string groups : {"A", "R", "X", "ARX"}) {
      for (v1::FlagKind kind : {v1::FLAG_KIND_UNSPECIFIED, v1::SURPLUS, v1::OVERSPEND}) {
        Store::FlagQuery q;
        q.groups = groups;
        q.kind = kind;
        absl::StatusOr<Page<v1::Flag>> page = store_->ListFlags("c", q, "", 1000);
        ASSERT_TRUE(page.ok()) << page.status();
        std::multiset<std::string> listed, want;
        for (const v1::Flag& f : page->items) listed.insert(f.SerializeAsString());
        for (const v1::Flag& f : all) {
          const char group = f.state() == v1::RESOLVED ? 'R' : f.state() == v1::CLEARED ? 'X' : 'A';
          if (groups.find(group) == std::string::npos) continue;
          if (kind != v1::FLAG_KIND_UNSPECIFIED && f.kind() != kind) continue;
          want.insert(f.SerializeAsString());
        }
        ASSERT_EQ(listed, want) << "step " << step << " groups " << groups << " kind " << kind;
      }
    }
  }
  EXPECT_GT(changes, 300);
}

// Totals rows as schema 6 wrote them (every slot) are read as they are: the
// same balances, a clean check, the directory marked 7 on opening; a row
// that changes is written again with its non-zero slots only.
TEST_F(IntegrityTest, TotalsRowsWrittenBySchema6AreReadAndRewrittenWhenTheyChange) {
  Fill();
  const char* dates[] = {"2025-12-29", "2025-12-30", "2026-01-05", "2026-01-31",
                         "2026-02-02", "2026-02-28", "2027-01-01"};
  std::vector<int64_t> before;
  for (const char* d : dates) before.push_back(Balance("A1", d));
  auto raw_rows = [this] {
    std::map<std::string, std::string> rows;
    WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h[kTotals]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        rows[it->key().ToString()] = it->value().ToString();
      }
    });
    Reopen();
    return rows;
  };
  const std::map<std::string, std::string> written = raw_rows();
  ASSERT_GT(written.size(), 10u);
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    for (const auto& [key, value] : written) {
      storage::TotalsRecord record;
      ASSERT_TRUE(record.ParseFromString(value));
      ASSERT_EQ(record.slot_net_pence_size(), 0);  // written in the new form
      domain::Totals t;
      ASSERT_TRUE(TotalsFromRecord(record, &t).ok());
      storage::TotalsRecord old;
      for (int i = 0; i < domain::kSlotCount; ++i) {
        old.add_slot_net_pence(t.net_pence[i]);
        old.add_slot_count(t.count[i]);
      }
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kTotals], key, old.SerializeAsString()).ok());
    }
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kMeta], kMetaSchema, "6").ok());
  });
  Reopen();
  for (size_t i = 0; i < std::size(dates); ++i) EXPECT_EQ(Balance("A1", dates[i]), before[i]);
  Store::IntegrityReport r = Check();
  EXPECT_EQ(r.problem_count, 0);
  EXPECT_EQ(r.totals_rows, static_cast<int64_t>(written.size()));
  // 2026-01-06 changes: its day, month and year rows are written anew.
  ASSERT_EQ(Ingest({Txn("R1", "t7", "2026-01-06", -250, v1::PA_WAGES)}),
            (std::vector<O>{O::ACCEPTED}));
  const std::map<std::string, std::string> now = raw_rows();
  std::string version;
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), h[kMeta], kMetaSchema, &version).ok());
  });
  Reopen();
  EXPECT_EQ(version, absl::StrCat(kSchemaVersion));
  int rewritten = 0;
  for (const auto& [key, value] : now) {
    storage::TotalsRecord record;
    ASSERT_TRUE(record.ParseFromString(value));
    const bool changed = key == keys::Totals("c", "A1", keys::Level::kDay, D("2026-01-06")) ||
                         key == keys::Totals("c", "A1", keys::Level::kMonth, D("2026-01-01")) ||
                         key == keys::Totals("c", "A1", keys::Level::kYear, D("2026-01-01"));
    EXPECT_EQ(record.slot_net_pence_size(), changed ? 0 : domain::kSlotCount);
    EXPECT_EQ(record.slots().empty(), !changed);
    rewritten += changed;
  }
  EXPECT_EQ(rewritten, 3);
  EXPECT_EQ(Balance("A1", "2026-01-06"), before[2] - 2000 - 250);
  EXPECT_EQ(Balance("A1", "2027-01-01"), before[6] - 250);
  EXPECT_EQ(Check().problem_count, 0);
}

// The flag index holds each flag's state; a store written before schema 6
// held a copy of the whole flag in each entry, and one before 8 left a
// flag's entries under its old severity when that changed. Opening a
// directory from before 8 rebuilds the index: the same page, a clean check.
// In a version 8 directory each is reported; so is an entry whose state is
// not its flag's.
TEST_F(IntegrityTest, FlagIndexEntriesHoldingWholeFlagsAreRewrittenWhenOpened) {
  Fill();
  Store::FlagQuery query;
  query.groups = "ARX";
  Store::FlagQuery by_kind = query;
  by_kind.kind = v1::EVIDENCE_REQUIRED;
  auto list = [&](const Store::FlagQuery& q) {
    absl::StatusOr<Page<v1::Flag>> page = store_->ListFlags("c", q, "", 10);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const v1::Flag& f : page->items) out.push_back(f.SerializeAsString());
    }
    return out;
  };
  const std::vector<std::string> before = list(query);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(list(by_kind), before);
  int rewritten = 0;
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    std::string flag;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), h[kFlags],
                        keys::Flag("c", "A1", "EVIDENCE_REQUIRED", "card:t3", 1), &flag)
                    .ok());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h[kFlagIndex]));
    for (char form : {'S', 'K'}) {
      const std::string prefix = std::string("c\0", 2) + form;
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        ASSERT_EQ(it->value().size(), 1u);  // the state only
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kFlagIndex], it->key(), flag).ok());
        ++rewritten;
      }
    }
  });
  ASSERT_EQ(rewritten, 2);  // by group, and by kind
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    const std::string stale = keys::FlagByGroupPrefix("c", 'A') +
                              keys::FlagIndexTail(static_cast<int>(v1::INFO), D("2026-02-28"), "A1",
                                                  "EVIDENCE_REQUIRED", "card:t3", 1);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kFlagIndex], stale,
                        std::string(1, static_cast<char>(v1::OPEN)))
                    .ok());
  });
  // Left in a version 8 directory, a copy is reported (its flag's later
  // facts would not reach it) and the listing refuses it; so is the entry
  // under the old severity.
  Reopen();
  Store::IntegrityReport r = Check();
  // Each copy, from the flag and from the index; the stale entry.
  EXPECT_EQ(r.problem_count, 5) << Dump(r);
  EXPECT_TRUE(Has(r, "A1", "flag_index", "not stored so")) << Dump(r);
  EXPECT_TRUE(Has(r, "A1", "flags A1/EVIDENCE_REQUIRED/card:t3", "not a state")) << Dump(r);
  EXPECT_EQ(store_->ListFlags("c", query, "", 10).status().code(), absl::StatusCode::kDataLoss);
  // A version 7 directory (or any before it): opening it rebuilds the index.
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kMeta], kMetaSchema, "7").ok());
  });
  Reopen();
  EXPECT_EQ(list(query), before);
  EXPECT_EQ(list(by_kind), before);
  r = Check();
  EXPECT_EQ(r.problem_count, 0) << Dump(r);
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    std::string version;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), h[kMeta], kMetaSchema, &version).ok());
    EXPECT_EQ(version, absl::StrCat(kSchemaVersion));
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h[kFlagIndex]));
    int states = 0;
    for (char form : {'S', 'K'}) {
      const std::string prefix = std::string("c\0", 2) + form;
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        EXPECT_EQ(it->value().ToString(), std::string(1, static_cast<char>(v1::OPEN)));
        ++states;
      }
    }
    EXPECT_EQ(states, 2);
  });

  // The by-group entry says ACKNOWLEDGED; the flag is OPEN.
  WithRawDb([&](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h[kFlagIndex]));
    const std::string by_group = keys::FlagByGroupPrefix("c", 'A');
    it->Seek(by_group);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(by_group));
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[kFlagIndex], it->key(),
                        std::string(1, static_cast<char>(v1::ACKNOWLEDGED)))
                    .ok());
  });
  Reopen();
  r = Check();
  const std::string dump = Dump(r);
  EXPECT_TRUE(Has(r, "A1", "flags A1/EVIDENCE_REQUIRED/card:t3", "another version")) << dump;
  EXPECT_TRUE(Has(r, "A1", "flag_index", "not stored so")) << dump;
  EXPECT_EQ(r.problem_count, 2) << dump;
}

TEST_F(IntegrityTest, EachDamageIsReportedByAccountAndKey) {
  Fill();
  WithRawDb([](rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& h) {
    const rocksdb::WriteOptions wo;
    const rocksdb::ReadOptions ro;
    std::string v;
    // A1's day row of 2026-01-05 says 1p more.
    const std::string day = keys::Totals("c", "A1", keys::Level::kDay, D("2026-01-05"));
    ASSERT_TRUE(db->Get(ro, h[kTotals], day, &v).ok());
    domain::Totals t;
    ASSERT_TRUE(DecodeTotalsRow(v, &t).ok());
    ++t.net_pence[v1::COUNCIL_PAYMENT];
    storage::TotalsRecord record;
    TotalsToRecord(t, &record);
    ASSERT_TRUE(db->Put(wo, h[kTotals], day, record.SerializeAsString()).ok());
    // A2's month row is gone; A3, with no transactions, has a year row.
    ASSERT_TRUE(
        db->Delete(wo, h[kTotals], keys::Totals("c", "A2", keys::Level::kMonth, D("2026-02-01")))
            .ok());
    ASSERT_TRUE(
        db->Put(wo, h[kTotals], keys::Totals("c", "A3", keys::Level::kYear, D("2026-01-01")), v)
            .ok());
    // u1 lost its txn_ids entry; the cash withdrawal its watch mark.
    ASSERT_TRUE(db->Delete(wo, h[kTxnIds], keys::TxnId("c", "card", "u1")).ok());
    // An entry for a transaction that is stored nowhere.
    storage::TxnIndexEntry ghost;
    ghost.set_location_key(keys::Txn("c", "A1", D("2026-01-01"), 999));
    ASSERT_TRUE(
        db->Put(wo, h[kTxnIds], keys::TxnId("c", "card", "ghost"), ghost.SerializeAsString()).ok());
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, h[kMarks]));
    const std::string watched = keys::MarkPrefix("c", "A1", keys::kMarkWatched);
    it->Seek(watched);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(watched));
    ASSERT_TRUE(db->Delete(wo, h[kMarks], it->key()).ok());
    // The reversal t4 is no longer linked to t1.
    ASSERT_TRUE(db->Get(ro, h[kTxnIds], keys::TxnId("c", "card", "t4"), &v).ok());
    storage::TxnIndexEntry e;
    ASSERT_TRUE(e.ParseFromString(v));
    ASSERT_TRUE(db->Get(ro, h[kTxns], e.location_key(), &v).ok());
    storage::TransactionRecord rec;
    ASSERT_TRUE(rec.ParseFromString(v));
    ASSERT_TRUE(rec.reversal_linked());
    rec.set_reversal_linked(false);
    ASSERT_TRUE(db->Put(wo, h[kTxns], e.location_key(), rec.SerializeAsString()).ok());
    // t5's "some reversal names it" marker is gone.
    ASSERT_TRUE(db->Delete(wo, h[kReversals], keys::ReversedMarker("c", "card", "t5")).ok());
    // The flag's by-group index entry is gone, and its count says 2.
    it.reset(db->NewIterator(ro, h[kFlagIndex]));
    const std::string by_group = keys::FlagByGroupPrefix("c", 'A');
    it->Seek(by_group);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(by_group));
    ASSERT_TRUE(db->Delete(wo, h[kFlagIndex], it->key()).ok());
    storage::FlagCountsRecord counts;
    (*counts.mutable_counts())["EVIDENCE_REQUIRED/OPEN"] = 2;
    ASSERT_TRUE(db->Put(wo, h[kFlagIndex], keys::FlagCounts("c"), counts.SerializeAsString()).ok());
    // A2 lost its account index entry for R2; R9 is held by nobody's record.
    ASSERT_TRUE(db->Delete(wo, h[kAccountIndex],
                           keys::AccountIndex("c", keys::kIndexExternalRef, "R2", "A2"))
                    .ok());
    ASSERT_TRUE(db->Put(wo, h[kRefs], keys::Ref("c", "card", "R9"), "A2").ok());
  });
  Reopen();
  Store::IntegrityReport r = Check();
  const std::string dump = Dump(r);
  EXPECT_TRUE(Has(r, "A1", "totals D 2026-01-05", "COUNCIL_PAYMENT in: stored 50001")) << dump;
  EXPECT_TRUE(Has(r, "A2", "totals M 2026-02-01", "missing")) << dump;
  EXPECT_TRUE(Has(r, "A3", "totals Y 2026-01-01", "no transactions")) << dump;
  EXPECT_TRUE(Has(r, "A2", "txns 2026-02-10", "no txn_ids entry")) << dump;
  EXPECT_TRUE(Has(r, "", "txn_ids c/card/ghost", "not stored there")) << dump;
  EXPECT_TRUE(Has(r, "A1", "marks W 2026-01-06", "missing")) << dump;
  EXPECT_TRUE(Has(r, "A1", "txns 2026-02-01", "not linked")) << dump;
  EXPECT_TRUE(Has(r, "", "reversals card/t5", "missing")) << dump;
  EXPECT_TRUE(Has(r, "A1", "flags A1/EVIDENCE_REQUIRED/card:t3", "missing from the flag index"))
      << dump;
  EXPECT_TRUE(Has(r, "", "flag_index counts EVIDENCE_REQUIRED/OPEN", "stored 2, flags 1")) << dump;
  EXPECT_TRUE(Has(r, "", "account_index c/FR2/A2", "missing")) << dump;
  EXPECT_TRUE(Has(r, "A2", "refs card/R9", "held by no account record")) << dump;
  // The suspense transaction for R9 is not reported: no account record holds R9.
  EXPECT_EQ(r.problem_count, 12) << dump;
  // A smaller list, the same count.
  Store::IntegrityReport capped = Check("c", 3);
  EXPECT_EQ(capped.problems.size(), 3u);
  EXPECT_EQ(capped.problem_count, r.problem_count);
}

}  // namespace
}  // namespace dpmon
