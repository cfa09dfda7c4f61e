// Benchmarks against a running dpmon-server (see bench/run.sh):
//  1. streaming ingest: --transactions items in batches of --batch_size,
//     --window batches unacknowledged, every batch acknowledged only once durable;
//  2. single-transaction IngestBatch latency, p50 and p99;
//  3. GetBalance as of random dates on an account with 5 years of history, p50 and p99.
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/stats.h"
#include "client/client.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "dpmon-server address.");
ABSL_FLAG(std::string, key_file, "", "File holding an API key (dpctl's rules otherwise).");
ABSL_FLAG(int, accounts, 1000, "Accounts the streamed transactions spread over.");
ABSL_FLAG(int, transactions, 1000000, "Transactions to stream.");
ABSL_FLAG(int, batch_size, 1000, "Items per streamed batch.");
ABSL_FLAG(int, window, 16, "Unacknowledged batches per stream (the server allows 16).");
ABSL_FLAG(std::string, dates, "feed",
          "Booking dates of the streamed transactions: 'feed' (as a feed sends them: each "
          "account about one a day, days advancing through the stream, up to two days late) or "
          "'random' (any day of five years, so that nearly every day row is new).");
ABSL_FLAG(int, single_calls, 2000, "Single-transaction IngestBatch calls.");
ABSL_FLAG(int, balance_calls, 20000, "GetBalance calls.");

namespace {

using dpmon::bench::Percentile;

bool Check(const grpc::Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", what, s.error_message().c_str());
  return s.ok();
}

template <typename F>
grpc::Status Call(dpmon::Client& c, F f) {
  grpc::ClientContext ctx;
  c.PrepareContext(&ctx);
  return f(&ctx);
}

std::string DateOf(int day_index) {
  // 2021-01-01 + day_index, via the 28-day months trick avoided: use civil arithmetic.
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 2021, m = 0, d = day_index;
  for (;;) {
    int len = kDays[m] + (m == 1 && y % 4 == 0 ? 1 : 0);
    if (d < len) break;
    d -= len;
    if (++m == 12) {
      m = 0;
      ++y;
    }
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m + 1, d + 1);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  dpmon::ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.deadline = absl::Seconds(600);
  absl::StatusOr<std::string> key = dpmon::ResolveApiKey(absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  options.api_key = *key;
  dpmon::Client client(options);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  const std::string council = "bench" + run;

  dpmon::v1::CreateCouncilRequest cc;
  cc.set_council_id(council);
  dpmon::v1::Council council_out;
  if (!Check(Call(client,
                  [&](auto* x) { return client.councils().CreateCouncil(x, cc, &council_out); }),
             "council"))
    return 1;
  for (int a = 0; a <= accounts; ++a) {
    dpmon::v1::CreateAccountRequest r;
    r.set_parent("councils/" + council);
    r.set_account_id(absl::StrCat("A", a));
    r.mutable_account()->set_start_date("2021-01-01");
    r.mutable_account()->set_holding(dpmon::v1::PREPAID_CARD);
    r.mutable_account()->set_management(dpmon::v1::SELF);
    r.mutable_account()->set_recipient(dpmon::v1::SERVICE_USER);
    auto* ref = r.mutable_account()->add_external_refs();
    ref->set_source("card");
    ref->set_ref(absl::StrCat("R", a));
    dpmon::v1::Account out;
    if (!Check(Call(client, [&](auto* x) { return client.accounts().CreateAccount(x, r, &out); }),
               "account"))
      return 1;
  }

  // 1. Streaming ingest.
  const int total = absl::GetFlag(FLAGS_transactions);
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  std::mt19937 rng(1);
  const bool random_dates = absl::GetFlag(FLAGS_dates) == "random";
  if (!random_dates && absl::GetFlag(FLAGS_dates) != "feed") {
    std::fprintf(stderr, "--dates must be feed or random\n");
    return 2;
  }
  int sent = 0, batch_id = 0;
  int64_t accepted = 0;
  absl::Time start = absl::Now();
  absl::Status s = client.StreamIngest(
      [&](dpmon::v1::IngestBatchRequest* req) {
        if (sent >= total) return false;
        req->set_parent("councils/" + council);
        req->set_batch_id(batch_id++);
        for (int i = 0; i < batch_size && sent < total; ++i, ++sent) {
          auto* t = req->add_items()->mutable_transaction();
          t->set_source("card");
          t->set_account_ref(absl::StrCat("R", 1 + rng() % accounts));
          t->set_external_id(absl::StrCat("S", sent));
          const int day = random_dates ? static_cast<int>(rng() % 1800)
                                       : std::max(0, sent / accounts - static_cast<int>(rng() % 3));
          t->set_booking_date(DateOf(day));
          t->set_amount_pence(-static_cast<int64_t>(1 + rng() % 20000));
          t->set_category(dpmon::v1::PA_WAGES);
          t->set_counterparty("J Smith");
          t->set_description("wages");
        }
        return true;
      },
      absl::GetFlag(FLAGS_window),
      [&](const dpmon::v1::IngestBatchResponse& ack) { accepted += ack.accepted(); });
  double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (!s.ok()) {
    std::fprintf(stderr, "stream: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "stream_ingest: %d transactions, batch %d, window %d, dates %s: %.2f s, %.0f transactions/s "
      "(accepted %lld)\n",
      total, batch_size, absl::GetFlag(FLAGS_window), absl::GetFlag(FLAGS_dates).c_str(), secs,
      total / secs, static_cast<long long>(accepted));

  // 2. Single-transaction ingest latency.
  std::vector<double> lat;
  for (int i = 0; i < absl::GetFlag(FLAGS_single_calls); ++i) {
    dpmon::v1::IngestBatchRequest req;
    req.set_parent("councils/" + council);
    auto* t = req.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account_ref("R1");
    t->set_external_id(absl::StrCat("ONE", i));
    t->set_booking_date("2025-06-01");
    t->set_amount_pence(-100);
    dpmon::v1::IngestBatchResponse resp;
    absl::Time t0 = absl::Now();
    if (!Check(Call(client, [&](auto* x) { return client.ledger().IngestBatch(x, req, &resp); }),
               "single"))
      return 1;
    lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
  }
  std::printf("single_ingest: %zu calls: p50 %.0f us, p99 %.0f us\n", lat.size(),
              Percentile(lat, 0.5), Percentile(lat, 0.99));

  // 3. Balance on an account with 5 years of history (A0: 60 transactions a month).
  {
    dpmon::v1::IngestBatchRequest req;
    req.set_parent("councils/" + council);
    for (int i = 0; i < 60 * 12 * 5; ++i) {
      auto* t = req.add_items()->mutable_transaction();
      t->set_source("card");
      t->set_account("A0");
      t->set_external_id(absl::StrCat("H", i));
      t->set_booking_date(DateOf(i * 1825 / 3600));
      t->set_amount_pence(i % 4 == 0 ? 60000 : -5000);
      t->set_category(i % 4 == 0 ? dpmon::v1::COUNCIL_PAYMENT : dpmon::v1::PA_WAGES);
    }
    dpmon::v1::IngestBatchResponse resp;
    if (!Check(Call(client, [&](auto* x) { return client.ledger().IngestBatch(x, req, &resp); }),
               "history"))
      return 1;
  }
  lat.clear();
  for (int i = 0; i < absl::GetFlag(FLAGS_balance_calls); ++i) {
    dpmon::v1::GetBalanceRequest r;
    r.set_account("councils/" + council + "/accounts/A0");
    r.set_as_of_date(DateOf(static_cast<int>(rng() % 1825)));
    dpmon::v1::Balance b;
    absl::Time t0 = absl::Now();
    if (!Check(Call(client, [&](auto* x) { return client.ledger().GetBalance(x, r, &b); }),
               "balance"))
      return 1;
    lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
  }
  std::printf(
      "get_balance (5 years, 3600 transactions, over gRPC): %zu calls: p50 %.0f us, p99 %.0f us\n",
      lat.size(), Percentile(lat, 0.5), Percentile(lat, 0.99));
  return 0;
}
