// The due and risk indexes against a full survey: a real Store on a
// temporary RocksDB directory, told to the index as the server tells it;
// after each of many random changes (transactions, reviews, audits,
// closures, management, evaluations that raise and clear flags, officers
// acknowledging and resolving flags, policy changes, new accounts), every
// page the index gives for today equals what a survey of the whole store
// built afresh gives, and the index built the council once per policy.
#include "server/due_index.h"

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/names.h"
#include "domain/policy.h"
#include "gtest/gtest.h"
#include "server/evaluator.h"
#include "storage/proto_domain.h"
#include "storage/store.h"

namespace dpmon {
namespace {

Date D(const char* s) { return *Date::Parse(s); }

const Date kToday = D("2026-06-30");
const Date kFirst = D("2023-01-01");

class DueIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("dpmon_due_index_test_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_",
                        getpid());
    std::filesystem::remove_all(dir_);
    StoreOptions o;
    o.path = dir_.string();
    o.sync = false;
    o.on_written = [this](const WrittenKeys& w) {
      if (index_ != nullptr) index_->OnWritten(w);
    };
    ASSERT_TRUE(Store::Open(o, &store_).ok());
    index_ = std::make_unique<DueIndex>(
        store_.get(), [] { return kToday; }, 2);
    v1::Council c;
    c.set_name(CouncilName("c"));
    c.set_display_name("Test Council");
    *c.mutable_policy() = PolicyToProto(domain::DefaultPolicy());
    ASSERT_TRUE(store_->CreateCouncil("c", c, {}).ok());
  }
  void TearDown() override {
    store_.reset();
    index_.reset();
    std::filesystem::remove_all(dir_);
  }

  Date RandomDate(Date from, Date to) {
    if (to <= from) return from;
    return from.AddDays(std::uniform_int_distribution<int>(0, to - from)(rng_));
  }
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void CreateAccount() {
    const std::string id = absl::StrCat("A", 1000 + static_cast<int>(ids_.size()));
    v1::Account a;
    const Date start = RandomDate(kFirst, kToday.AddDays(30));
    a.set_start_date(start.ToString());
    a.set_holding(v1::PREPAID_CARD);
    a.set_management(static_cast<v1::Management>(1 + Pick(4)));
    a.set_recipient(v1::SERVICE_USER);
    v1::ExternalRef* r = a.add_external_refs();
    r->set_source("card");
    r->set_ref("CARD-" + id);
    v1::PlanVersion* p = a.add_plan_versions();
    p->set_effective_from(start.ToString());
    p->set_weekly_dp_pence(5000 + 1000 * Pick(20));
    p->set_payment_cycle(v1::MONTHLY);
    v1::PlanLine* l = p->add_lines();
    l->set_category(v1::PA_WAGES);
    l->set_weekly_pence(p->weekly_dp_pence());
    a.set_name(AccountName("c", id));
    ASSERT_TRUE(store_->CreateAccount("c", id, a, {}).ok());
    ids_.push_back(id);
    starts_.push_back(start);
  }

  void IngestSome() {
    std::vector<LedgerWrite> items;
    storage::IngestOutcome response;
    for (int i = 0, n = 1 + Pick(6); i < n; ++i) {
      const size_t a = static_cast<size_t>(Pick(static_cast<int>(ids_.size())));
      LedgerWrite w;
      w.is_transaction = true;
      w.index = i;
      w.transaction.set_source("card");
      w.transaction.set_account_ref("CARD-" + ids_[a]);
      w.transaction.set_external_id(absl::StrCat("T", ++txns_));
      const Date d = RandomDate(starts_[a], kToday);
      w.transaction.set_booking_date(d.ToString());
      const bool credit = Pick(3) == 0;
      w.transaction.set_amount_pence(credit ? 100'000 * (1 + Pick(30)) : -1000 * (1 + Pick(500)));
      const int kind = Pick(6);
      w.transaction.set_category(credit      ? v1::COUNCIL_PAYMENT
                                 : kind == 0 ? v1::CASH_WITHDRAWAL
                                 : kind == 1 ? v1::SURPLUS_RETURN
                                             : v1::PA_WAGES);
      w.date = d;
      response.add_results()->set_index(i);
      items.push_back(std::move(w));
    }
    ASSERT_TRUE(store_->Ingest("c", std::move(items), response, {}).ok());
  }

  void Mutate(const std::function<void(v1::Account*, Date start)>& change) {
    const size_t a = static_cast<size_t>(Pick(static_cast<int>(ids_.size())));
    const Date start = starts_[a];
    absl::StatusOr<v1::Account> r = store_->UpdateAccount("c", ids_[a],
                                                          [&](v1::Account* account) {
                                                            change(account, start);
                                                            return absl::OkStatus();
                                                          },
                                                          {});
    ASSERT_TRUE(r.ok()) << r.status();
  }

  void ActOnSomeFlag() {
    const std::string& id = ids_[static_cast<size_t>(Pick(static_cast<int>(ids_.size())))];
    absl::StatusOr<std::vector<v1::Flag>> flags = store_->GetAccountFlags("c", id);
    ASSERT_TRUE(flags.ok());
    for (const v1::Flag& f : *flags) {
      if (f.state() != v1::OPEN && f.state() != v1::ACKNOWLEDGED) continue;
      v1::FlagAction action;
      // Only per-transaction flags are resolved by hand; any may be acknowledged.
      const bool resolvable = f.kind() == v1::RESTRICTED_SPEND || f.kind() == v1::EVIDENCE_REQUIRED;
      if (!resolvable && f.state() != v1::OPEN) continue;
      action.set_state(resolvable && (f.state() == v1::ACKNOWLEDGED || Pick(2) == 0)
                           ? v1::RESOLVED
                           : v1::ACKNOWLEDGED);
      action.set_note("seen");
      action.set_actor("officer");
      action.set_at("2026-06-30T10:00:00Z");
      absl::StatusOr<v1::Flag> acted =
          store_->ActOnFlag("c", id, f.kind(), f.subject(), action, {});
      ASSERT_TRUE(acted.ok()) << acted.status();
      return;
    }
  }

  // Every page the index gives for today, `page` entries at a time, against
  // one page of everything from a survey built afresh.
  void ExpectIndexMatchesSurvey(int step) {
    absl::StatusOr<v1::Council> council = store_->GetCouncil("c");
    ASSERT_TRUE(council.ok());
    absl::StatusOr<std::unique_ptr<Survey>> fresh =
        BuildSurvey(store_.get(), "c", council->policy(), kToday, 1);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
    const int page = 1 + Pick(5);
    for (int within : {0, 28, 400, limits::kWithinDaysMax}) {
      google::protobuf::RepeatedPtrField<v1::DueEntry> want, got;
      std::optional<DueKey> next;
      (*fresh)->PageDue(within, std::nullopt, 1'000'000, &want, &next);
      std::optional<DueKey> after;
      do {
        ASSERT_TRUE(index_->ListDue("c", kToday, within, after, page, &got, &next).ok());
        after = next;
      } while (after);
      ASSERT_EQ(got.size(), want.size()) << "step " << step << " within " << within;
      for (int i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString())
            << "step " << step << " within " << within << " entry " << i
            << "\nindex: " << got[i].ShortDebugString()
            << "\nsurvey: " << want[i].ShortDebugString();
      }
    }
    for (v1::RecoveryState state :
         {v1::RECOVERY_STATE_UNSPECIFIED, v1::IN_PROGRESS, v1::COMPLETED}) {
      ExpectRecoveriesMatch(**fresh, state, page, step);
      if (HasFatalFailure()) return;
    }
    google::protobuf::RepeatedPtrField<v1::AccountRisk> want, got;
    std::optional<RiskKey> next, after;
    (*fresh)->PageRisks(std::nullopt, 1'000'000, &want, &next);
    do {
      ASSERT_TRUE(index_->ListRisks("c", kToday, after, page, &got, &next).ok());
      after = next;
    } while (after);
    ASSERT_EQ(got.size(), want.size()) << "step " << step;
    for (int i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString())
          << "step " << step << " risk " << i << "\nindex: " << got[i].ShortDebugString()
          << "\nsurvey: " << want[i].ShortDebugString();
    }
  }

  // The council's recoveries in `state`, `page` at a time from the index,
  // against one page of everything read afresh from the accounts that have
  // any (BuildRecoveryBook, not a survey) and from the fresh survey.
  void ExpectRecoveriesMatch(const Survey& fresh, v1::RecoveryState state, int page, int step,
                             Date as_of = kToday) {
    absl::StatusOr<v1::Council> council = store_->GetCouncil("c");
    ASSERT_TRUE(council.ok());
    absl::StatusOr<std::unique_ptr<RecoveryBook>> book =
        BuildRecoveryBook(store_.get(), "c", council->policy(), as_of);
    ASSERT_TRUE(book.ok()) << book.status();
    v1::ListRecoveriesResponse want, from_survey, got;
    std::optional<RecoveryKey> next, after;
    ASSERT_TRUE((*book)->Page(state, std::nullopt, 1'000'000, &want, &next).ok());
    ASSERT_FALSE(next.has_value());
    ASSERT_TRUE(fresh.recoveries().Page(state, std::nullopt, 1'000'000, &from_survey, &next).ok());
    EXPECT_EQ(from_survey.SerializeAsString(), want.SerializeAsString()) << "step " << step;
    int pages = 0;
    do {
      v1::ListRecoveriesResponse one;
      ASSERT_TRUE(index_->ListRecoveries("c", as_of, state, after, page, &one, &next).ok());
      ASSERT_LE(one.recoveries_size(), page);
      if (next) {
        ASSERT_EQ(one.recoveries_size(), page);
      }
      // Every page carries the totals over the whole list.
      ASSERT_EQ(one.in_progress_pence(), want.in_progress_pence()) << "step " << step;
      ASSERT_EQ(one.recovered_pence(), want.recovered_pence()) << "step " << step;
      got.mutable_recoveries()->MergeFrom(one.recoveries());
      after = next;
      ASSERT_LT(++pages, 10'000);
    } while (after);
    got.set_in_progress_pence(want.in_progress_pence());
    got.set_recovered_pence(want.recovered_pence());
    ASSERT_EQ(got.recoveries_size(), want.recoveries_size()) << "step " << step;
    for (int i = 0; i < want.recoveries_size(); ++i) {
      ASSERT_EQ(got.recoveries(i).SerializeAsString(), want.recoveries(i).SerializeAsString())
          << "step " << step << " state " << state << " recovery " << i
          << "\nindex: " << got.recoveries(i).ShortDebugString()
          << "\nread afresh: " << want.recoveries(i).ShortDebugString();
      if (state != v1::RECOVERY_STATE_UNSPECIFIED) {
        ASSERT_EQ(got.recoveries(i).recovery().state(), state);
      }
    }
    recoveries_seen_[state] += want.recoveries_size();
  }

  void RecordRecovery() {
    Mutate([&](v1::Account* a, Date start) {
      v1::Recovery* r = a->add_recoveries();
      r->set_id(absl::StrCat("R", ++recoveries_));
      r->set_amount_pence(1000 * (1 + Pick(300)));
      r->set_method(static_cast<v1::RecoveryMethod>(1 + Pick(3)));
      // Some from after today: not yet in force.
      r->set_date(RandomDate(start, kToday.AddDays(20)).ToString());
      r->set_recorded_by("officer");
    });
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DueIndex> index_;
  std::mt19937 rng_;
  std::vector<std::string> ids_;
  std::vector<Date> starts_;
  int txns_ = 0;
  int recoveries_ = 0;
  std::map<v1::RecoveryState, int64_t> recoveries_seen_;
};

TEST_F(DueIndexTest, MatchesAFullSurveyAfterRandomChanges) {
  for (unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    rng_.seed(seed);
    if (ids_.empty()) {
      for (int i = 0; i < 20; ++i) CreateAccount();
    }
    Evaluator evaluator(store_.get(), 2);
    int policy_changes = 0;
    const DueIndex::Stats before = index_->stats();
    for (int step = 0; step < 150; ++step) {
      switch (Pick(11)) {
        case 0:
        case 1:
          IngestSome();
          break;
        case 2:
          Mutate([&](v1::Account* a, Date start) {
            a->add_reviews()->set_date(RandomDate(start, kToday).ToString());
          });
          break;
        case 3:
          Mutate([&](v1::Account* a, Date start) {
            v1::Audit* audit = a->add_audits();
            const Date date = RandomDate(start, kToday);
            audit->set_date(date.ToString());
            audit->set_period_end(RandomDate(start, date).ToString());
          });
          break;
        case 4:
          Mutate([&](v1::Account* a, Date start) {
            if (!a->status_history().empty()) return;
            v1::StatusChange* c = a->add_status_history();
            c->set_date(RandomDate(start, kToday).ToString());
            c->set_status(Pick(2) == 0 ? v1::CLOSED : v1::SUSPENDED);
          });
          break;
        case 5:
          Mutate([&](v1::Account* a, Date) {
            a->set_management(static_cast<v1::Management>(1 + Pick(4)));
          });
          break;
        case 6: {
          std::vector<std::string> some;
          for (const std::string& id : ids_) {
            if (Pick(3) == 0) some.push_back(id);
          }
          ASSERT_TRUE(evaluator.EvaluateAccounts("c", some, kToday).ok());
          break;
        }
        case 7:
          ActOnSomeFlag();
          break;
        case 8:
          if (Pick(4) == 0) {
            ++policy_changes;
            ASSERT_TRUE(
                store_
                    ->UpdateCouncil("c",
                                    [&](v1::Council* c) {
                                      c->mutable_policy()->set_audit_interval_months(6 + Pick(19));
                                      c->mutable_policy()->set_review_interval_months(6 + Pick(7));
                                      return absl::OkStatus();
                                    },
                                    {})
                    .ok());
          } else {
            CreateAccount();
          }
          break;
        case 9:
          RecordRecovery();
          break;
        default:
          break;  // Nothing changes: the index must not either.
      }
      ExpectIndexMatchesSurvey(step);
      if (HasFatalFailure()) return;
    }
    // Built once, then once after each policy change; everything else was
    // recomputed account by account.
    const DueIndex::Stats after = index_->stats();
    EXPECT_EQ(after.builds - before.builds, (before.builds == 0 ? 1 : 0) + policy_changes);
    EXPECT_GT(after.recomputed, before.recomputed);
    EXPECT_LT(after.recomputed - before.recomputed, 150 * 10);
    // Today's recoveries came from the survey kept up to date, never read
    // afresh; and there were some, in both states.
    EXPECT_EQ(after.recovery_books, before.recovery_books);
    EXPECT_GT(recoveries_seen_[v1::IN_PROGRESS], 0);
    EXPECT_GT(recoveries_seen_[v1::COMPLETED], 0);
  }
}

TEST_F(DueIndexTest, RecoveriesBeforeTodaysSurveyAndForPastDatesAreReadFromTheirAccounts) {
  rng_.seed(11);
  for (int i = 0; i < 15; ++i) CreateAccount();
  for (int i = 0; i < 40; ++i) IngestSome();
  for (int i = 0; i < 25; ++i) RecordRecovery();
  absl::StatusOr<v1::Council> council = store_->GetCouncil("c");
  ASSERT_TRUE(council.ok());
  for (Date as_of : {kToday, D("2025-06-30")}) {
    absl::StatusOr<std::unique_ptr<Survey>> fresh =
        BuildSurvey(store_.get(), "c", council->policy(), as_of, 1);
    ASSERT_TRUE(fresh.ok());
    for (v1::RecoveryState state :
         {v1::RECOVERY_STATE_UNSPECIFIED, v1::IN_PROGRESS, v1::COMPLETED}) {
      ExpectRecoveriesMatch(**fresh, state, 3, 0, as_of);
      if (HasFatalFailure()) return;
    }
  }
  // Read from the accounts each time, without surveying the council.
  EXPECT_EQ(index_->stats().builds, 0);
  EXPECT_GT(index_->stats().recovery_books, 0);
  EXPECT_GT(recoveries_seen_[v1::IN_PROGRESS], 0);
  EXPECT_GT(recoveries_seen_[v1::COMPLETED], 0);
}

TEST_F(DueIndexTest, PastDatesAreSurveyedAndLaterPagesReuseTheSurvey) {
  rng_.seed(7);
  for (int i = 0; i < 12; ++i) CreateAccount();
  for (int i = 0; i < 10; ++i) IngestSome();
  const Date past = D("2025-12-31");
  google::protobuf::RepeatedPtrField<v1::AccountRisk> first, rest;
  std::optional<RiskKey> next;
  ASSERT_TRUE(index_->ListRisks("c", past, std::nullopt, 5, &first, &next).ok());
  ASSERT_EQ(first.size(), 5);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(index_->stats().builds, 1);
  // A later page comes from the same survey; a new first page surveys again.
  std::optional<RiskKey> last;
  ASSERT_TRUE(index_->ListRisks("c", past, next, 100, &rest, &last).ok());
  EXPECT_FALSE(last.has_value());
  EXPECT_EQ(first.size() + rest.size(), 12);
  EXPECT_EQ(index_->stats().builds, 1);
  ASSERT_TRUE(index_->ListRisks("c", past, std::nullopt, 5, &first, &next).ok());
  EXPECT_EQ(index_->stats().builds, 2);
}

}  // namespace
}  // namespace dpmon
