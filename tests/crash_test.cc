// Crash recovery: stream transactions, kill -9 the server mid-stream several
// times, restart, resend what was not acknowledged and some of what was. In
// the end every transaction is there exactly once and the balances equal
// sums computed here.
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

constexpr int kAccounts = 20;
constexpr int kBatches = 120;
constexpr int kBatchSize = 500;

struct Item {
  int account;
  std::string id;
  std::string date;
  int64_t amount;
};

grpc::Status CreateCouncilAndAccounts(Client& client) {
  v1::CreateCouncilRequest c;
  c.set_council_id("crash");
  c.set_request_id("setup-council");
  v1::Council council;
  grpc::ClientContext ctx;
  client.PrepareContext(&ctx);
  grpc::Status s = client.councils().CreateCouncil(&ctx, c, &council);
  if (!s.ok()) return s;
  for (int a = 0; a < kAccounts; ++a) {
    v1::CreateAccountRequest r;
    r.set_parent("councils/crash");
    r.set_account_id(absl::StrCat("A", a));
    r.set_request_id(absl::StrCat("setup-account-", a));
    r.mutable_account()->set_start_date("2024-01-01");
    r.mutable_account()->set_holding(v1::PREPAID_CARD);
    r.mutable_account()->set_management(v1::SELF);
    r.mutable_account()->set_recipient(v1::SERVICE_USER);
    auto* ref = r.mutable_account()->add_external_refs();
    ref->set_source("card");
    ref->set_ref(absl::StrCat("R", a));
    v1::Account out;
    grpc::ClientContext actx;
    client.PrepareContext(&actx);
    s = client.accounts().CreateAccount(&actx, r, &out);
    if (!s.ok()) return s;
  }
  return grpc::Status::OK;
}

TEST(Crash, Kill9MidStreamLosesAndDoublesNothing) {
  std::mt19937 rng(4242);
  std::vector<Item> items;
  for (int i = 0; i < kBatches * kBatchSize; ++i) {
    int day = static_cast<int>(rng() % 700);
    int64_t amount = static_cast<int64_t>(rng() % 50000) - 25000;
    if (amount == 0) amount = 7;
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", 2024 + day / 336, 1 + (day % 336) / 28,
                  1 + day % 28);
    items.push_back({static_cast<int>(rng() % kAccounts), absl::StrCat("T", i), date, amount});
  }
  auto make_batch = [&](int b, v1::IngestBatchRequest* req) {
    req->set_parent("councils/crash");
    req->set_batch_id(b);
    for (int i = b * kBatchSize; i < (b + 1) * kBatchSize; ++i) {
      v1::TransactionInput* t = req->add_items()->mutable_transaction();
      t->set_source("card");
      t->set_account_ref(absl::StrCat("R", items[i].account));
      t->set_external_id(items[i].id);
      t->set_booking_date(items[i].date);
      t->set_amount_pence(items[i].amount);
    }
  };

  testing::TestServer server("crash");
  int acked = 0;  // Batches [0, acked) are acknowledged: acks come in order.
  int kills = 0;
  bool setup_done = false;
  for (int round = 0; round < 30 && acked < kBatches; ++round) {
    ASSERT_TRUE(server.Start()) << "round " << round;
    Client client(server.Options(absl::Seconds(120)));
    if (!setup_done) {
      ASSERT_TRUE(CreateCouncilAndAccounts(client).ok());
      setup_done = true;
    }
    // Resend a few acknowledged batches too: they must count once.
    int next = std::max(0, acked - 3);
    std::atomic<int> acked_now{acked};
    const bool kill_this_round = kills < 4;
    std::thread killer;
    std::atomic<bool> stream_over{false};
    if (kill_this_round) {
      // Mid-stream however fast the server is: once a few more batches are
      // acknowledged (others are then in flight), then a moment more.
      const int kill_after = acked + 4 + static_cast<int>(rng() % 12);
      const int extra_us = static_cast<int>(rng() % 3000);
      killer = std::thread([&server, &acked_now, &stream_over, kill_after, extra_us] {
        while (acked_now.load() < kill_after && !stream_over.load()) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(extra_us));
        server.Kill9();
      });
    }
    absl::Status s = client.StreamIngest(
        [&](v1::IngestBatchRequest* req) {
          if (next >= kBatches) return false;
          make_batch(next++, req);
          return true;
        },
        4,
        [&](const v1::IngestBatchResponse& ack) {
          for (const auto& r : ack.results()) {
            ASSERT_TRUE(r.outcome() == v1::ACCEPTED || r.outcome() == v1::DUPLICATE) << r.reason();
          }
          int b = static_cast<int>(ack.batch_id());
          if (b + 1 > acked_now.load()) acked_now = b + 1;
        });
    stream_over = true;
    if (killer.joinable()) killer.join();
    if (kill_this_round) {
      // Counts only if the stream was still going when the server died.
      if (!s.ok()) ++kills;
    } else {
      ASSERT_TRUE(s.ok()) << s;
      ASSERT_TRUE(server.Terminate());
    }
    acked = acked_now.load();
  }
  ASSERT_EQ(acked, kBatches);
  EXPECT_GE(kills, 3);

  ASSERT_TRUE(server.Start());
  Client client(server.Options());
  std::map<int, int64_t> want_balance, want_count;
  for (const Item& it : items) {
    want_balance[it.account] += it.amount;
    ++want_count[it.account];
  }
  for (int a = 0; a < kAccounts; ++a) {
    v1::GetBalanceRequest r;
    r.set_account(absl::StrCat("councils/crash/accounts/A", a));
    r.set_as_of_date("2099-12-31");
    v1::Balance b;
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    ASSERT_TRUE(client.ledger().GetBalance(&ctx, r, &b).ok());
    EXPECT_EQ(b.balance_pence(), want_balance[a]) << "A" << a;
    EXPECT_EQ(b.transaction_count(), want_count[a]) << "A" << a;
  }
  // The aggregates still agree with the records after every kill.
  ASSERT_TRUE(server.Terminate());
  std::string report;
  EXPECT_EQ(server.CheckOffline(&report), 0) << report;
  EXPECT_NE(report.find("integrity: 0 problems in 1 council"), std::string::npos) << report;
  // Compacted offline (as after a large back-fill), it holds the same.
  std::string compacted;
  ASSERT_EQ(server.CompactOffline(&compacted), 0) << compacted;
  EXPECT_NE(compacted.find("compacted "), std::string::npos) << compacted;
  EXPECT_EQ(server.CheckOffline(&report), 0) << report;
  EXPECT_NE(report.find("integrity: 0 problems in 1 council"), std::string::npos) << report;
}

}  // namespace
}  // namespace dpmon
