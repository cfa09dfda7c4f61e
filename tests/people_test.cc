// The people behind the accounts, over real gRPC on a real server: names and
// case-management ids, the officer an account is assigned to and a caseload,
// case notes, search, the council's recoveries, and the access log of every
// account a list or search shows.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

class People : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    admin_ = std::make_unique<Client>(server_.Options());
    v1::CreateCouncilRequest c;
    c.set_council_id("c");
    v1::Council council;
    ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                  return admin_->councils().CreateCouncil(x, c, &council);
                }).ok());
    c.set_council_id("other");
    ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                  return admin_->councils().CreateCouncil(x, c, &council);
                }).ok());
  }

  template <typename F>
  static grpc::Status Call(Client& client, F f) {
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    return f(&ctx);
  }

  // A key's secret; its name in *name.
  std::string MakeKey(v1::Role role, const std::string& council, const std::string& display,
                      std::string* name) {
    v1::CreateApiKeyRequest r;
    r.mutable_api_key()->set_display_name(display);
    r.mutable_api_key()->set_role(role);
    r.mutable_api_key()->add_councils(council);
    v1::CreateApiKeyResponse out;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->admin().CreateApiKey(x, r, &out); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    *name = out.api_key().name();
    return out.secret();
  }

  grpc::Status CreateAccount(const std::string& id, const std::string& display_name,
                             const std::string& person_ref, const std::string& card_ref,
                             const std::string& officer = "") {
    v1::CreateAccountRequest a;
    a.set_parent("councils/c");
    a.set_account_id(id);
    a.mutable_account()->set_start_date("2026-01-01");
    a.mutable_account()->set_holding(v1::PREPAID_CARD);
    a.mutable_account()->set_management(v1::SELF);
    a.mutable_account()->set_recipient(v1::SERVICE_USER);
    a.mutable_account()->set_display_name(display_name);
    a.mutable_account()->set_person_ref(person_ref);
    a.mutable_account()->set_assigned_officer(officer);
    if (!card_ref.empty()) {
      v1::ExternalRef* ref = a.mutable_account()->add_external_refs();
      ref->set_source("card");
      ref->set_ref(card_ref);
    }
    v1::Account out;
    return Call(*admin_, [&](auto* x) { return admin_->accounts().CreateAccount(x, a, &out); });
  }

  grpc::Status Update(const std::string& id, const std::string& path, const std::string& value,
                      v1::Account* out = nullptr) {
    v1::UpdateAccountRequest u;
    u.mutable_account()->set_name("councils/c/accounts/" + id);
    if (path == "display_name") u.mutable_account()->set_display_name(value);
    if (path == "person_ref") u.mutable_account()->set_person_ref(value);
    if (path == "assigned_officer") u.mutable_account()->set_assigned_officer(value);
    u.mutable_update_mask()->add_paths(path);
    v1::Account unused;
    return Call(*admin_, [&](auto* x) {
      return admin_->accounts().UpdateAccount(x, u, out != nullptr ? out : &unused);
    });
  }

  // Every match of a search, over all its pages, as "id:MATCHED_ON".
  std::vector<std::string> Search(Client& client, const std::string& query, int page_size = 0) {
    std::vector<std::string> out;
    v1::SearchAccountsRequest r;
    r.set_parent("councils/c");
    r.set_query(query);
    r.set_page_size(page_size);
    for (int pages = 0; pages < 100; ++pages) {
      v1::SearchAccountsResponse resp;
      grpc::Status s =
          Call(client, [&](auto* x) { return client.accounts().SearchAccounts(x, r, &resp); });
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const v1::AccountMatch& m : resp.matches()) {
        out.push_back(absl::StrCat(m.account().name().substr(strlen("councils/c/accounts/")), ":",
                                   v1::MatchedOn_Name(m.matched_on())));
      }
      if (resp.next_page_token().empty()) break;
      r.set_page_token(resp.next_page_token());
    }
    return out;
  }

  // Every account of council c by the filter, over all pages, by id.
  std::vector<std::string> ListIds(const std::string& filter) {
    std::vector<std::string> out;
    v1::ListAccountsRequest r;
    r.set_parent("councils/c");
    r.set_filter(filter);
    r.set_page_size(2);
    for (int pages = 0; pages < 100; ++pages) {
      v1::ListAccountsResponse resp;
      grpc::Status s =
          Call(*admin_, [&](auto* x) { return admin_->accounts().ListAccounts(x, r, &resp); });
      EXPECT_TRUE(s.ok()) << s.error_message();
      for (const v1::Account& a : resp.accounts()) {
        out.push_back(a.name().substr(strlen("councils/c/accounts/")));
      }
      if (resp.next_page_token().empty()) break;
      r.set_page_token(resp.next_page_token());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TestServer server_{"people"};
  std::unique_ptr<Client> admin_;
};

TEST_F(People, NamesAndReferencesAreCheckedByField) {
  struct Bad {
    std::string display_name, person_ref, officer, field;
  };
  std::string auditor_name, other_officer_name;
  MakeKey(v1::AUDITOR, "c", "an auditor", &auditor_name);
  MakeKey(v1::OFFICER, "other", "another council's officer", &other_officer_name);
  const std::vector<Bad> bad = {
      {std::string(201, 'x'), "", "", "account.display_name"},
      {"   ", "", "", "account.display_name"},
      {"Ann\x01Smith", "", "", "account.display_name"},
      {"Ann", "CM-\xc3\xa9", "", "account.person_ref"},
      {"Ann", std::string(65, 'p'), "", "account.person_ref"},
      {"Ann", "", "officer-1", "account.assigned_officer"},
      {"Ann", "", "keys/0000000000000000", "account.assigned_officer"},
      {"Ann", "", auditor_name, "account.assigned_officer"},
      {"Ann", "", other_officer_name, "account.assigned_officer"},
  };
  int n = 0;
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.field + " " + b.display_name + b.person_ref + b.officer);
    grpc::Status s =
        CreateAccount(absl::StrCat("B", ++n), b.display_name, b.person_ref, "", b.officer);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(BadRequestField(s), b.field) << s.error_message();
  }
  EXPECT_TRUE(ListIds("").empty()) << "nothing half-written";
  ASSERT_TRUE(CreateAccount("A1", "Ann Smith", "CM-1", "c1").ok());
  grpc::Status s = Update("A1", "assigned_officer", auditor_name);
  EXPECT_EQ(BadRequestField(s), "account.assigned_officer") << s.error_message();
  s = Update("A1", "display_name", std::string(201, 'x'));
  EXPECT_EQ(BadRequestField(s), "account.display_name") << s.error_message();
  EXPECT_EQ(Search(*admin_, "ann"), std::vector<std::string>{"A1:DISPLAY_NAME"});
}

TEST_F(People, SearchFindsByIdReferenceCaseIdAndNamePrefixAndFollowsChanges) {
  ASSERT_TRUE(CreateAccount("A1", "Ann Smith", "CM-100", "card-1").ok());
  ASSERT_TRUE(CreateAccount("A2", "Bob Smithson", "CM-200", "card-2").ok());
  ASSERT_TRUE(CreateAccount("A3", "Ann-Marie Jones", "", "card-3").ok());
  ASSERT_TRUE(CreateAccount("A4", "Zoë Ørsted", "A1", "").ok());  // person_ref equal to an id
  ASSERT_TRUE(CreateAccount("A5", "", "", "CM-100").ok());        // card ref equal to a case id

  // Exact matches first (id, feed reference, case id), then names by name.
  EXPECT_EQ(Search(*admin_, "A1"), (std::vector<std::string>{"A1:ACCOUNT_ID", "A4:PERSON_REF"}));
  EXPECT_EQ(Search(*admin_, "card-2"), std::vector<std::string>{"A2:EXTERNAL_REF"});
  EXPECT_EQ(Search(*admin_, "CM-100"),
            (std::vector<std::string>{"A5:EXTERNAL_REF", "A1:PERSON_REF"}));
  EXPECT_EQ(Search(*admin_, "smi"),
            (std::vector<std::string>{"A1:DISPLAY_NAME", "A2:DISPLAY_NAME"}));
  EXPECT_EQ(Search(*admin_, "SMITH ann"), std::vector<std::string>{"A1:DISPLAY_NAME"});
  // By name: "ann smith" sorts before "ann-marie jones".
  EXPECT_EQ(Search(*admin_, "ann"),
            (std::vector<std::string>{"A1:DISPLAY_NAME", "A3:DISPLAY_NAME"}));
  EXPECT_EQ(Search(*admin_, "marie"), std::vector<std::string>{"A3:DISPLAY_NAME"});
  EXPECT_EQ(Search(*admin_, "zoë"), std::vector<std::string>{"A4:DISPLAY_NAME"});
  EXPECT_TRUE(Search(*admin_, "mith").empty());
  EXPECT_TRUE(Search(*admin_, "nobody").empty());
  // One at a time over pages gives the same.
  EXPECT_EQ(Search(*admin_, "smi", 1), Search(*admin_, "smi"));

  // A new name replaces the old in the index; so does a new case id.
  ASSERT_TRUE(Update("A1", "display_name", "Ann Taylor").ok());
  ASSERT_TRUE(Update("A2", "person_ref", "CM-201").ok());
  EXPECT_EQ(Search(*admin_, "smi"), std::vector<std::string>{"A2:DISPLAY_NAME"});
  EXPECT_EQ(Search(*admin_, "tay"), std::vector<std::string>{"A1:DISPLAY_NAME"});
  EXPECT_TRUE(Search(*admin_, "CM-200").empty());
  EXPECT_EQ(Search(*admin_, "CM-201"), std::vector<std::string>{"A2:PERSON_REF"});
  ASSERT_TRUE(Update("A1", "display_name", "").ok());
  EXPECT_TRUE(Search(*admin_, "tay").empty());
  // A reference added later is found too.
  v1::AddExternalRefRequest add;
  add.set_account("councils/c/accounts/A3");
  add.mutable_external_ref()->set_source("bank");
  add.mutable_external_ref()->set_ref("12345678");
  v1::AddExternalRefResponse added;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->accounts().AddExternalRef(x, add, &added);
              }).ok());
  EXPECT_EQ(Search(*admin_, "12345678"), std::vector<std::string>{"A3:EXTERNAL_REF"});

  // Bad queries, by field; another council's people are not there.
  v1::SearchAccountsRequest r;
  r.set_parent("councils/c");
  v1::SearchAccountsResponse resp;
  for (const std::string& q : {std::string("  "), std::string(201, 'a')}) {
    r.set_query(q);
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->accounts().SearchAccounts(x, r, &resp); });
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(BadRequestField(s), "query");
  }
  std::string officer_name;
  Client other_officer(
      server_.OptionsWithKey(MakeKey(v1::OFFICER, "other", "other officer", &officer_name)));
  r.set_query("smi");
  grpc::Status s = Call(
      other_officer, [&](auto* x) { return other_officer.accounts().SearchAccounts(x, r, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(People, ACaseloadIsTheAccountsAssignedToAnOfficer) {
  std::string ann_key, bob_key;
  MakeKey(v1::OFFICER, "c", "Ann Officer", &ann_key);
  MakeKey(v1::OFFICER, "c", "Bob Officer", &bob_key);
  for (int i = 1; i <= 7; ++i) {
    ASSERT_TRUE(CreateAccount(absl::StrCat("A", i), "", "", "", i <= 3 ? ann_key : "").ok());
  }
  v1::Account updated;
  ASSERT_TRUE(Update("A5", "assigned_officer", ann_key, &updated).ok());
  EXPECT_EQ(updated.assigned_officer(), ann_key);
  EXPECT_EQ(updated.assigned_officer_name(), "Ann Officer");
  ASSERT_TRUE(Update("A2", "assigned_officer", bob_key).ok());
  ASSERT_TRUE(Update("A3", "assigned_officer", "").ok());

  // Each caseload is what a scan of every account says it is.
  std::map<std::string, std::vector<std::string>> by_officer;
  v1::ListAccountsRequest all;
  all.set_parent("councils/c");
  v1::ListAccountsResponse every;
  ASSERT_TRUE(
      Call(*admin_, [&](auto* x) { return admin_->accounts().ListAccounts(x, all, &every); }).ok());
  ASSERT_EQ(every.accounts_size(), 7);
  for (const v1::Account& a : every.accounts()) {
    by_officer[a.assigned_officer()].push_back(a.name().substr(strlen("councils/c/accounts/")));
  }
  EXPECT_EQ(by_officer[ann_key], (std::vector<std::string>{"A1", "A5"}));
  EXPECT_EQ(ListIds("officer = " + ann_key), by_officer[ann_key]);
  EXPECT_EQ(ListIds("officer = " + bob_key), by_officer[bob_key]);
  EXPECT_EQ(ListIds("officer = \"\""), by_officer[""]);
  EXPECT_EQ(ListIds("officer = " + ann_key + " AND status = ACTIVE"), by_officer[ann_key]);
  EXPECT_TRUE(ListIds("officer = " + ann_key + " AND status = CLOSED").empty());
  v1::ListAccountsRequest bad = all;
  bad.set_filter("officer = Ann");
  grpc::Status s =
      Call(*admin_, [&](auto* x) { return admin_->accounts().ListAccounts(x, bad, &every); });
  EXPECT_EQ(BadRequestField(s), "filter") << s.error_message();
}

TEST_F(People, CaseNotesAreAppendOnlyNewestFirstAndSignedByTheCaller) {
  ASSERT_TRUE(CreateAccount("A1", "Ann Smith", "", "").ok());
  std::string officer_name;
  Client officer(server_.OptionsWithKey(MakeKey(v1::OFFICER, "c", "Olive Officer", &officer_name)));
  auto add = [&](const std::string& text, const std::string& request_id, v1::CaseNote* out) {
    v1::AddCaseNoteRequest r;
    r.set_account("councils/c/accounts/A1");
    r.mutable_case_note()->set_text(text);
    r.mutable_case_note()->set_author("someone else");
    r.mutable_case_note()->set_create_time("1999-01-01T00:00:00Z");
    r.set_request_id(request_id);
    return Call(officer, [&](auto* x) { return officer.accounts().AddCaseNote(x, r, out); });
  };
  v1::CaseNote first, second, again, third;
  ASSERT_TRUE(add("Called Ann about the surplus.", "n1", &first).ok());
  ASSERT_TRUE(add("Ann will send receipts\nby Friday.", "n2", &second).ok());
  ASSERT_TRUE(add("Ann will send receipts\nby Friday.", "n2", &again).ok());  // a retry
  EXPECT_EQ(again.name(), second.name());
  ASSERT_TRUE(add("Receipts arrived.", "", &third).ok());
  EXPECT_EQ(first.author(), officer_name);
  EXPECT_EQ(first.author_name(), "Olive Officer");
  EXPECT_FALSE(absl::StartsWith(first.create_time(), "1999"));
  EXPECT_TRUE(absl::StartsWith(first.name(), "councils/c/accounts/A1/notes/"));

  std::vector<std::string> texts;
  v1::ListCaseNotesRequest list;
  list.set_parent("councils/c/accounts/A1");
  list.set_page_size(2);
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListCaseNotesResponse resp;
    ASSERT_TRUE(Call(officer, [&](auto* x) {
                  return officer.accounts().ListCaseNotes(x, list, &resp);
                }).ok());
    for (const v1::CaseNote& n : resp.case_notes()) {
      texts.push_back(n.text());
      EXPECT_EQ(n.author(), officer_name);
    }
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(texts,
            (std::vector<std::string>{"Receipts arrived.", "Ann will send receipts\nby Friday.",
                                      "Called Ann about the surplus."}));

  v1::CaseNote unused;
  grpc::Status s = add(" \n ", "", &unused);
  EXPECT_EQ(BadRequestField(s), "case_note.text") << s.error_message();
  s = add(std::string(4097, 'x'), "", &unused);
  EXPECT_EQ(BadRequestField(s), "case_note.text") << s.error_message();
  v1::AddCaseNoteRequest missing;
  missing.set_account("councils/c/accounts/NOPE");
  missing.mutable_case_note()->set_text("hello");
  s = Call(officer, [&](auto* x) { return officer.accounts().AddCaseNote(x, missing, &unused); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(People, RecoveriesAcrossTheCouncilWithTheirProgressAsOfADate) {
  ASSERT_TRUE(CreateAccount("A1", "", "", "card-1").ok());
  ASSERT_TRUE(CreateAccount("A2", "", "", "card-2").ok());
  ASSERT_TRUE(CreateAccount("A3", "", "", "card-3").ok());  // no recoveries
  auto record = [&](const std::string& account, const std::string& id, int64_t amount,
                    v1::RecoveryMethod method, const std::string& date) {
    v1::RecordRecoveryRequest r;
    r.set_account("councils/c/accounts/" + account);
    r.mutable_recovery()->set_id(id);
    r.mutable_recovery()->set_amount_pence(amount);
    r.mutable_recovery()->set_method(method);
    r.mutable_recovery()->set_date(date);
    r.mutable_recovery()->set_recorded_by("auditor");
    v1::Account a;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->accounts().RecordRecovery(x, r, &a); });
    ASSERT_TRUE(s.ok()) << s.error_message();
  };
  record("A1", "R1", 10000, v1::RECLAIM_FROM_ACCOUNT, "2026-03-01");
  record("A2", "R2", 5000, v1::INVOICE, "2026-02-01");
  record("A2", "R3", 7000, v1::INVOICE, "2026-05-01");
  // £60 comes back from A1's card on 10 March, £40 more on 20 March.
  v1::IngestBatchRequest batch;
  batch.set_parent("councils/c");
  for (auto [id, date, amount] :
       {std::tuple{"RET1", "2026-03-10", -6000}, std::tuple{"RET2", "2026-03-20", -4000}}) {
    v1::TransactionInput* t = batch.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account_ref("card-1");
    t->set_external_id(id);
    t->set_booking_date(date);
    t->set_amount_pence(amount);
    t->set_category(v1::SURPLUS_RETURN);
  }
  v1::IngestBatchResponse ingested;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->ledger().IngestBatch(x, batch, &ingested);
              }).ok());
  ASSERT_EQ(ingested.accepted(), 2) << ingested.DebugString();

  auto list = [&](const std::string& as_of, v1::RecoveryState state, int page_size,
                  v1::ListRecoveriesResponse* totals) {
    std::vector<std::string> out;
    v1::ListRecoveriesRequest r;
    r.set_council("councils/c");
    r.set_as_of_date(as_of);
    r.set_state(state);
    r.set_page_size(page_size);
    for (int pages = 0; pages < 10; ++pages) {
      v1::ListRecoveriesResponse resp;
      grpc::Status s =
          Call(*admin_, [&](auto* x) { return admin_->accounts().ListRecoveries(x, r, &resp); });
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (pages == 0 && totals != nullptr) *totals = resp;
      for (const v1::AccountRecovery& ar : resp.recoveries()) {
        out.push_back(absl::StrCat(
            ar.account().substr(strlen("councils/c/accounts/")), "/", ar.recovery().id(), " ",
            v1::RecoveryState_Name(ar.recovery().state()), " ", ar.recovery().recovered_pence()));
      }
      if (resp.next_page_token().empty()) break;
      r.set_page_token(resp.next_page_token());
    }
    return out;
  };
  v1::ListRecoveriesResponse totals;
  // 15 March: £60 of R1 back; R3 is not yet agreed.
  EXPECT_EQ(list("2026-03-15", v1::RECOVERY_STATE_UNSPECIFIED, 1, &totals),
            (std::vector<std::string>{"A2/R2 IN_PROGRESS 0", "A1/R1 IN_PROGRESS 6000"}));
  EXPECT_EQ(totals.in_progress_pence(), 5000 + 4000);
  EXPECT_EQ(totals.recovered_pence(), 6000);
  // 31 May: R1 complete; R2 and R3 in progress, oldest first.
  EXPECT_EQ(list("2026-05-31", v1::RECOVERY_STATE_UNSPECIFIED, 0, &totals),
            (std::vector<std::string>{"A2/R2 IN_PROGRESS 0", "A2/R3 IN_PROGRESS 0",
                                      "A1/R1 COMPLETED 10000"}));
  EXPECT_EQ(totals.in_progress_pence(), 12000);
  EXPECT_EQ(totals.recovered_pence(), 10000);
  EXPECT_EQ(list("2026-05-31", v1::COMPLETED, 0, nullptr),
            std::vector<std::string>{"A1/R1 COMPLETED 10000"});
  EXPECT_TRUE(list("2026-01-31", v1::RECOVERY_STATE_UNSPECIFIED, 0, nullptr).empty());

  // As of today (the server's): first read from the accounts that have
  // recoveries (today's survey is not built yet), then from the survey the
  // audits-due listing builds, which takes in £30 more back from A2 today.
  const std::vector<std::string> since_may = {"A2/R2 IN_PROGRESS 0", "A2/R3 IN_PROGRESS 0",
                                              "A1/R1 COMPLETED 10000"};
  EXPECT_EQ(list("", v1::RECOVERY_STATE_UNSPECIFIED, 2, &totals), since_may);
  const std::string today = totals.as_of_date();
  ASSERT_FALSE(today.empty());
  {
    v1::ListAuditsDueRequest due;
    due.set_council("councils/c");
    v1::ListAuditsDueResponse resp;
    grpc::Status st =
        Call(*admin_, [&](auto* x) { return admin_->audits().ListAuditsDue(x, due, &resp); });
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(list(today, v1::RECOVERY_STATE_UNSPECIFIED, 1, &totals), since_may);
  EXPECT_EQ(totals.in_progress_pence(), 12000);
  v1::IngestBatchRequest more;
  more.set_parent("councils/c");
  v1::TransactionInput* t = more.add_items()->mutable_transaction();
  t->set_source("card");
  t->set_account_ref("card-2");
  t->set_external_id("RET3");
  t->set_booking_date(today);
  t->set_amount_pence(-3000);
  t->set_category(v1::SURPLUS_RETURN);
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->ledger().IngestBatch(x, more, &ingested);
              }).ok());
  ASSERT_EQ(ingested.accepted(), 1) << ingested.DebugString();
  // Shared oldest first: all of it to R2.
  EXPECT_EQ(list("", v1::RECOVERY_STATE_UNSPECIFIED, 2, &totals),
            (std::vector<std::string>{"A2/R2 IN_PROGRESS 3000", "A2/R3 IN_PROGRESS 0",
                                      "A1/R1 COMPLETED 10000"}));
  EXPECT_EQ(totals.in_progress_pence(), 12000 - 3000);
  EXPECT_EQ(totals.recovered_pence(), 13000);
  EXPECT_EQ(list("", v1::IN_PROGRESS, 1, &totals),
            (std::vector<std::string>{"A2/R2 IN_PROGRESS 3000", "A2/R3 IN_PROGRESS 0"}));
  EXPECT_EQ(totals.recovered_pence(), 3000);

  v1::ListRecoveriesRequest bad;
  bad.set_council("councils/c");
  bad.set_as_of_date("2026-02-30");
  v1::ListRecoveriesResponse unused;
  grpc::Status s =
      Call(*admin_, [&](auto* x) { return admin_->accounts().ListRecoveries(x, bad, &unused); });
  EXPECT_EQ(BadRequestField(s), "as_of_date");
}

TEST_F(People, EveryAccountAListOrSearchShowsIsInTheAccessLog) {
  ASSERT_TRUE(CreateAccount("A1", "Ann Smith", "", "").ok());
  ASSERT_TRUE(CreateAccount("A2", "Bob Smithson", "", "").ok());
  ASSERT_TRUE(CreateAccount("A3", "Cat Jones", "", "").ok());
  std::string officer_name;
  Client officer(server_.OptionsWithKey(MakeKey(v1::OFFICER, "c", "Olive", &officer_name)));
  EXPECT_EQ(Search(officer, "smi").size(), 2u);
  v1::ListAccountsRequest list;
  list.set_parent("councils/c");
  list.set_page_size(1);
  v1::ListAccountsResponse listed;
  ASSERT_TRUE(Call(officer, [&](auto* x) {
                return officer.accounts().ListAccounts(x, list, &listed);
              }).ok());
  ASSERT_EQ(listed.accounts(0).name(), "councils/c/accounts/A1");

  // Who looked at each person: the officer's calls that showed them.
  auto methods_for = [&](const std::string& account) {
    std::multiset<std::string> out;
    v1::ListAccessLogRequest r;
    r.set_account("councils/c/accounts/" + account);
    r.set_key(officer_name);
    v1::ListAccessLogResponse resp;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->admin().ListAccessLog(x, r, &resp); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const v1::AccessLogEntry& e : resp.entries()) out.insert(e.method());
    return out;
  };
  EXPECT_EQ(methods_for("A1"), (std::multiset<std::string>{"/dpmon.v1.Accounts/SearchAccounts",
                                                           "/dpmon.v1.Accounts/ListAccounts"}));
  EXPECT_EQ(methods_for("A2"), std::multiset<std::string>{"/dpmon.v1.Accounts/SearchAccounts"});
  EXPECT_TRUE(methods_for("A3").empty());
}

// Find, Suspense and Admin as of a date: a match's status then, what waits
// dated by then, the keys as they stood, the policy in force.
TEST_F(People, SearchSuspenseKeysAndPolicyAsOfADate) {
  ASSERT_TRUE(CreateAccount("A1", "Ann Smith", "CM-1", "card-1").ok());
  v1::ChangeAccountStatusRequest close;
  close.set_account("councils/c/accounts/A1");
  close.mutable_change()->set_date("2026-03-01");
  close.mutable_change()->set_status(v1::CLOSED);
  v1::Account closed;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->accounts().ChangeAccountStatus(x, close, &closed);
              }).ok());
  auto status_as_of = [&](const std::string& as_of) {
    v1::SearchAccountsRequest r;
    r.set_parent("councils/c");
    r.set_query("ann");
    r.set_as_of_date(as_of);
    v1::SearchAccountsResponse resp;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->accounts().SearchAccounts(x, r, &resp); });
    if (!s.ok()) return absl::StrCat(s.error_code(), " ", BadRequestField(s));
    return resp.matches_size() == 1 ? v1::AccountStatus_Name(resp.matches(0).account().status())
                                    : absl::StrCat(resp.matches_size(), " matches");
  };
  EXPECT_EQ(status_as_of("2026-02-28"), "ACTIVE");
  EXPECT_EQ(status_as_of("2026-03-01"), "CLOSED");
  EXPECT_EQ(status_as_of("2026-02-30"), "3 as_of_date");

  // Suspense: three transactions and a statement for a card no account holds.
  v1::IngestBatchRequest batch;
  batch.set_parent("councils/c");
  for (auto [id, date] : {std::pair{"S1", "2026-01-10"}, std::pair{"S2", "2026-02-10"},
                          std::pair{"S3", "2026-03-10"}}) {
    v1::TransactionInput* t = batch.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account_ref("card-9");
    t->set_external_id(id);
    t->set_booking_date(date);
    t->set_amount_pence(-1000);
  }
  v1::StatementInput* st = batch.add_items()->mutable_statement();
  st->set_source("card");
  st->set_account_ref("card-9");
  st->set_date("2026-02-28");
  st->set_closing_balance_pence(0);
  v1::IngestBatchResponse ingested;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->ledger().IngestBatch(x, batch, &ingested);
              }).ok());
  auto waiting = [&](const std::string& as_of, int page_size) {
    std::vector<std::string> out;
    v1::ListSuspenseRequest r;
    r.set_parent("councils/c");
    r.set_as_of_date(as_of);
    r.set_page_size(page_size);
    for (int pages = 0; pages < 20; ++pages) {
      v1::ListSuspenseResponse resp;
      grpc::Status s =
          Call(*admin_, [&](auto* x) { return admin_->ledger().ListSuspense(x, r, &resp); });
      if (!s.ok()) return std::vector<std::string>{BadRequestField(s)};
      for (const v1::SuspenseItem& i : resp.items()) {
        out.push_back(i.has_transaction() ? i.transaction().external_id()
                                          : "statement " + i.statement().date());
      }
      if (resp.next_page_token().empty()) break;
      r.set_page_token(resp.next_page_token());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  // As of a day: what had come by its end. All four came today, so at the
  // end of tomorrow (London) all wait; at the end of 28 February 2026, when
  // they had not come, none; and a day earlier than their dates, none.
  const std::string tomorrow = [] {
    absl::TimeZone london;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
    absl::CivilDay d = absl::ToCivilDay(absl::Now(), london) + 1;
    return absl::FormatCivilTime(d);
  }();
  const std::vector<std::string> all{"S1", "S2", "S3", "statement 2026-02-28"};
  EXPECT_EQ(waiting("", 0), all);
  EXPECT_EQ(waiting(tomorrow, 0), all);
  EXPECT_EQ(waiting(tomorrow, 1), all);
  EXPECT_TRUE(waiting("2026-02-28", 0).empty());
  EXPECT_TRUE(waiting("2000-01-01", 0).empty());
  // Given to an account now: no longer waiting at the end of tomorrow.
  v1::AddExternalRefRequest add;
  add.set_account("councils/c/accounts/A1");
  add.mutable_external_ref()->set_source("card");
  add.mutable_external_ref()->set_ref("card-9");
  v1::AddExternalRefResponse added;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->accounts().AddExternalRef(x, add, &added);
              }).ok());
  EXPECT_TRUE(waiting(tomorrow, 0).empty());
  EXPECT_TRUE(waiting("", 0).empty());
  EXPECT_EQ(waiting("31/12/2025", 0), std::vector<std::string>{"as_of_date"});

  // Keys: one made and revoked now. Long ago there were none; at the end of
  // a far day it is not in force, and shown revoked only when asked.
  std::string name;
  MakeKey(v1::OFFICER, "c", "short-lived officer", &name);
  v1::RevokeApiKeyRequest revoke;
  revoke.set_name(name);
  v1::ApiKey revoked;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->admin().RevokeApiKey(x, revoke, &revoked);
              }).ok());
  auto keys = [&](const std::string& as_of, bool show_revoked) {
    std::map<std::string, std::string> out;  // name -> revoke_time
    v1::ListApiKeysRequest r;
    r.set_as_of_date(as_of);
    r.set_show_revoked(show_revoked);
    v1::ListApiKeysResponse resp;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->admin().ListApiKeys(x, r, &resp); });
    if (!s.ok()) out["error"] = BadRequestField(s);
    for (const v1::ApiKey& k : resp.api_keys()) out[k.name()] = k.revoke_time();
    return out;
  };
  EXPECT_TRUE(keys("2000-01-01", true).empty());
  EXPECT_FALSE(keys("2199-12-31", false).count(name));
  EXPECT_EQ(keys("2199-12-31", true)[name], revoked.revoke_time());
  EXPECT_FALSE(revoked.revoke_time().empty());
  EXPECT_EQ(keys("2199-13-01", false)["error"], "as_of_date");

  // Policy: the council's first policy, then a change.
  v1::GetCouncilRequest get;
  get.set_name("councils/c");
  v1::Council first;
  ASSERT_TRUE(
      Call(*admin_, [&](auto* x) { return admin_->councils().GetCouncil(x, get, &first); }).ok());
  ASSERT_FALSE(first.policy_since().empty());
  v1::UpdatePolicyRequest up;
  up.set_council("councils/c");
  up.mutable_policy()->set_surplus_threshold_weeks(first.policy().surplus_threshold_weeks() + 4);
  up.mutable_update_mask()->add_paths("surplus_threshold_weeks");
  v1::Council changed;
  ASSERT_TRUE(Call(*admin_, [&](auto* x) {
                return admin_->councils().UpdatePolicy(x, up, &changed);
              }).ok());
  EXPECT_GT(changed.policy_since(), first.policy_since());
  auto policy_as_of = [&](const std::string& as_of) {
    v1::GetCouncilRequest r;
    r.set_name("councils/c");
    r.set_as_of_date(as_of);
    v1::Council c;
    grpc::Status s =
        Call(*admin_, [&](auto* x) { return admin_->councils().GetCouncil(x, r, &c); });
    EXPECT_TRUE(s.ok()) << s.error_message();
    return absl::StrCat(c.policy().surplus_threshold_weeks(), " since ", c.policy_since());
  };
  const std::string was =
      absl::StrCat(first.policy().surplus_threshold_weeks(), " since ", first.policy_since());
  const std::string now =
      absl::StrCat(changed.policy().surplus_threshold_weeks(), " since ", changed.policy_since());
  EXPECT_EQ(policy_as_of("2000-01-01"), was);  // Before the first: the first.
  EXPECT_EQ(policy_as_of("2199-12-31"), now);
  EXPECT_EQ(policy_as_of(""), now);
}

}  // namespace
}  // namespace dpmon
