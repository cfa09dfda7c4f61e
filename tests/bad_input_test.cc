// Bad input over real gRPC: the right status code, a message and a
// BadRequest detail naming the field, the server still up, the store unchanged.
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    client_ = std::make_unique<Client>(server_.Options());
    v1::CreateCouncilRequest c;
    c.set_council_id("c");
    v1::Council council;
    ASSERT_TRUE(
        Call([&](auto* ctx) { return client_->councils().CreateCouncil(ctx, c, &council); }).ok());
    v1::CreateAccountRequest a;
    a.set_parent("councils/c");
    a.set_account_id("A1");
    a.mutable_account()->set_start_date("2025-01-01");
    a.mutable_account()->set_holding(v1::PREPAID_CARD);
    a.mutable_account()->set_management(v1::SELF);
    a.mutable_account()->set_recipient(v1::SERVICE_USER);
    v1::Account account;
    ASSERT_TRUE(
        Call([&](auto* ctx) { return client_->accounts().CreateAccount(ctx, a, &account); }).ok());
    v1::IngestBatchResponse r;
    ASSERT_TRUE(Ingest({Good("T0", -1234)}, &r).ok());
  }

  template <typename F>
  grpc::Status Call(F f) {
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    return f(&ctx);
  }
  static v1::TransactionInput Good(const std::string& id, int64_t amount) {
    v1::TransactionInput t;
    t.set_source("card");
    t.set_account("A1");
    t.set_external_id(id);
    t.set_booking_date("2025-02-01");
    t.set_amount_pence(amount);
    return t;
  }
  grpc::Status Ingest(const std::vector<v1::TransactionInput>& txns, v1::IngestBatchResponse* out,
                      const std::string& parent = "councils/c") {
    v1::IngestBatchRequest req;
    req.set_parent(parent);
    for (const auto& t : txns) *req.add_items()->mutable_transaction() = t;
    return Call([&](auto* ctx) { return client_->ledger().IngestBatch(ctx, req, out); });
  }
  // Balance and count as of far in the future: the store's visible state.
  std::pair<int64_t, int64_t> State() {
    v1::GetBalanceRequest r;
    r.set_account("councils/c/accounts/A1");
    r.set_as_of_date("2099-01-01");
    v1::Balance b;
    EXPECT_TRUE(Call([&](auto* ctx) { return client_->ledger().GetBalance(ctx, r, &b); }).ok());
    return {b.balance_pence(), b.transaction_count()};
  }
  void ExpectServing() {
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    v1::ListCouncilsRequest r;
    v1::ListCouncilsResponse out;
    EXPECT_TRUE(client_->councils().ListCouncils(&ctx, r, &out).ok());
  }

  testing::TestServer server_{"bad_input"};
  std::unique_ptr<Client> client_;
};

TEST_F(BadInput, InvalidItemsAreReportedByFieldAndTheValidOnesApply) {
  auto before = State();
  v1::TransactionInput bad_date = Good("T1", -100);
  bad_date.set_booking_date("2025-02-30");
  v1::TransactionInput zero = Good("T2", 0);
  v1::TransactionInput huge = Good("T3", -20'000'000'000);
  v1::TransactionInput unknown_category = Good("T4", -100);
  unknown_category.set_category(static_cast<v1::Category>(99));
  v1::TransactionInput empty_id = Good("", -100);
  v1::TransactionInput unknown_account = Good("T6", -100);
  unknown_account.set_account("NOPE");
  v1::TransactionInput fine = Good("T7", -700);
  v1::IngestBatchResponse r;
  ASSERT_TRUE(
      Ingest({bad_date, zero, huge, unknown_category, empty_id, unknown_account, fine}, &r).ok());
  ASSERT_EQ(r.results_size(), 7);
  const char* fields[] = {"items[0].transaction.booking_date", "items[1].transaction.amount_pence",
                          "items[2].transaction.amount_pence", "items[3].transaction.category",
                          "items[4].transaction.external_id",  "items[5].transaction.account"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(r.results(i).outcome(), v1::INVALID) << i;
    EXPECT_EQ(r.results(i).field(), fields[i]);
    EXPECT_FALSE(r.results(i).reason().empty());
  }
  EXPECT_EQ(r.results(6).outcome(), v1::ACCEPTED);
  EXPECT_EQ(r.invalid(), 6);
  EXPECT_EQ(r.accepted(), 1);
  auto after = State();
  EXPECT_EQ(after.first, before.first - 700);
  EXPECT_EQ(after.second, before.second + 1);
}

TEST_F(BadInput, WholeRequestErrorsCarryCodeAndField) {
  auto before = State();
  std::vector<v1::TransactionInput> too_many;
  for (int i = 0; i < 10001; ++i) too_many.push_back(Good(absl::StrCat("X", i), -1));
  v1::IngestBatchResponse r;
  grpc::Status s = Ingest(too_many, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "items");
  EXPECT_NE(s.error_message().find("10000"), std::string::npos) << s.error_message();

  s = Ingest({Good("Y1", -5)}, &r, "councils/nowhere");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  s = Ingest({Good("Y1", -5)}, &r, "nonsense");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "parent");
  s = Ingest({}, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetBalanceRequest b;
  b.set_account("councils/c/accounts/A1");
  b.set_as_of_date("01/02/2025");
  v1::Balance balance;
  s = Call([&](auto* ctx) { return client_->ledger().GetBalance(ctx, b, &balance); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "as_of_date");
  b.set_as_of_date("2025-01-01");
  b.set_account("councils/c/accounts/NOPE");
  s = Call([&](auto* ctx) { return client_->ledger().GetBalance(ctx, b, &balance); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::CreateAccountRequest a;
  a.set_parent("councils/c");
  a.set_account_id("A2");
  a.mutable_account()->set_start_date("2025-01-01");
  v1::Account account;
  s = Call([&](auto* ctx) { return client_->accounts().CreateAccount(ctx, a, &account); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "account.holding");
  a.set_account_id("A1");
  a.mutable_account()->set_holding(v1::BANK_ACCOUNT);
  a.mutable_account()->set_management(v1::SELF);
  a.mutable_account()->set_recipient(v1::CARER);
  s = Call([&](auto* ctx) { return client_->accounts().CreateAccount(ctx, a, &account); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  v1::ListAccountsRequest l;
  l.set_parent("councils/c");
  l.set_page_size(-1);
  v1::ListAccountsResponse list;
  s = Call([&](auto* ctx) { return client_->accounts().ListAccounts(ctx, l, &list); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "page_size");
  l.set_page_size(0);
  l.set_page_token("garbage");
  s = Call([&](auto* ctx) { return client_->accounts().ListAccounts(ctx, l, &list); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "page_token");

  v1::CreatePlanVersionRequest p;
  p.set_account("councils/c/accounts/A1");
  p.mutable_plan_version()->set_effective_from("2025-01-01");
  p.mutable_plan_version()->set_weekly_dp_pence(1000);
  p.mutable_plan_version()->set_weekly_client_contribution_pence(2000);
  p.mutable_plan_version()->set_payment_cycle(v1::WEEKLY);
  s = Call([&](auto* ctx) { return client_->accounts().CreatePlanVersion(ctx, p, &account); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "plan_version.weekly_client_contribution_pence");

  ExpectServing();
  EXPECT_EQ(State(), before);
}

TEST_F(BadInput, ARetriedMutationWithTheSameRequestIdAppliesOnce) {
  v1::CreatePlanVersionRequest p;
  p.set_account("councils/c/accounts/A1");
  p.set_request_id("plan-1");
  p.mutable_plan_version()->set_effective_from("2025-01-01");
  p.mutable_plan_version()->set_weekly_dp_pence(1000);
  p.mutable_plan_version()->set_payment_cycle(v1::WEEKLY);
  v1::Account first, second;
  ASSERT_TRUE(
      Call([&](auto* ctx) { return client_->accounts().CreatePlanVersion(ctx, p, &first); }).ok());
  ASSERT_TRUE(
      Call([&](auto* ctx) { return client_->accounts().CreatePlanVersion(ctx, p, &second); }).ok());
  EXPECT_EQ(first.plan_versions_size(), 1);
  EXPECT_EQ(second.plan_versions_size(), 1);
  // The same request_id on a different request is refused.
  p.mutable_plan_version()->set_weekly_dp_pence(2000);
  grpc::Status s =
      Call([&](auto* ctx) { return client_->accounts().CreatePlanVersion(ctx, p, &second); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "request_id");
}

}  // namespace
}  // namespace dpmon
