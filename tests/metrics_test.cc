// GET /metrics on the real server: Prometheus' own checker accepts it, and
// its figures are what the calls made: ingested items by outcome, calls by
// method and code, stored flags as CountFlags gives them, the newest backup.
// The example alert rules pass `promtool check rules` and their unit tests.
// Liveness and readiness, on HTTP and in the gRPC health service.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::HttpFetch;
using testing::HttpReply;
using testing::RunCommand;
using testing::TestServer;

// The value of the sample `series` (name with labels, as written), or -1.
int64_t Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      int64_t v = -1;
      if (absl::SimpleAtoi(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

bool HavePromtool() { return RunCommand({"/bin/sh", "-c", "command -v promtool"}) == 0; }

// `promtool ARGS` with `input` on its stdin; its exit status.
int Promtool(const std::string& args, const std::string& input, std::string* out) {
  const std::string file =
      (std::filesystem::temp_directory_path() / absl::StrCat("dpmon_metrics_", getpid())).string();
  std::ofstream(file) << input;
  const int rc = RunCommand({"/bin/sh", "-c", "promtool " + args + " < " + file + " 2>&1"}, out);
  std::filesystem::remove(file);
  return rc;
}

// grpc.health.v1.Health/Check of `service`, by hand (Debian ships no header
// for the health proto): 1 SERVING, 2 NOT_SERVING, -1 if the call failed.
int HealthOf(const std::string& address, const std::string& service) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  std::string request;
  if (!service.empty())
    request = absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service);
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1);
  auto rpc = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", send, &cq);
  rpc->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : 0;  // field 1, varint
}

TEST(Metrics, TheExpositionPassesPromtoolAndCountsWhatHappened) {
  ASSERT_TRUE(HavePromtool()) << "promtool is needed (Debian's prometheus package; "
                                 "scripts/install-deps.sh installs it)";
  TestServer server("metrics");
  const std::string backups = server.Scratch("backups");
  ASSERT_TRUE(server.Start({"--backup_dir=" + backups, "--reevaluate_delay_ms=-1"}));
  Client client(server.Options());
  {
    v1::CreateCouncilRequest c;
    c.set_council_id("m");
    v1::Council out;
    ASSERT_TRUE(client.Call(client.councils(), &v1::Councils::Stub::CreateCouncil, c, &out).ok());
    v1::CreateAccountRequest a;
    a.set_parent("councils/m");
    a.set_account_id("A1");
    a.mutable_account()->set_start_date("2026-01-01");
    a.mutable_account()->set_holding(v1::PREPAID_CARD);
    a.mutable_account()->set_management(v1::SELF);
    a.mutable_account()->set_recipient(v1::SERVICE_USER);
    auto* ref = a.mutable_account()->add_external_refs();
    ref->set_source("card");
    ref->set_ref("R1");
    v1::Account acc;
    ASSERT_TRUE(client.Call(client.accounts(), &v1::Accounts::Stub::CreateAccount, a, &acc).ok());
  }
  // 7 accepted, 2 in suspense, 1 invalid; then the same again: 9 duplicates, 1 invalid.
  v1::IngestBatchRequest batch;
  batch.set_parent("councils/m");
  for (int i = 0; i < 10; ++i) {
    v1::TransactionInput* t = batch.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account_ref(i < 7 ? "R1" : "R9");
    t->set_external_id(absl::StrCat("t", i));
    t->set_booking_date(i == 9 ? "2026-02-30" : "2026-03-02");
    t->set_amount_pence(-100 - i);
  }
  for (int round = 0; round < 2; ++round) {
    v1::IngestBatchResponse out;
    ASSERT_TRUE(client.Call(client.ledger(), &v1::Ledger::Stub::IngestBatch, batch, &out).ok());
  }
  v1::EvaluateCouncilRequest ev;
  ev.set_council("councils/m");
  ev.set_as_of_date("2026-06-30");
  v1::EvaluateCouncilResponse evaluated;
  ASSERT_TRUE(
      client.Call(client.monitoring(), &v1::Monitoring::Stub::EvaluateCouncil, ev, &evaluated)
          .ok());
  v1::CreateBackupRequest backup;
  v1::Backup made;
  ASSERT_TRUE(client.Call(client.admin(), &v1::Admin::Stub::CreateBackup, backup, &made).ok());
  v1::GetBalanceRequest missing;
  missing.set_account("councils/m/accounts/NOPE");
  v1::Balance unused;
  missing.set_as_of_date("2026-06-30");
  EXPECT_EQ(client.Call(client.ledger(), &v1::Ledger::Stub::GetBalance, missing, &unused).code(),
            absl::StatusCode::kNotFound);

  HttpReply r = HttpFetch(server.http_address(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(absl::StartsWith(r.Header("content-type"), "text/plain; version=0.0.4"));
  std::string lint;
  EXPECT_EQ(Promtool("check metrics", r.body, &lint), 0) << lint << r.body;

  EXPECT_EQ(Sample(r.body, "dpmon_ingest_items_total{outcome=\"ACCEPTED\"}"), 7);
  EXPECT_EQ(Sample(r.body, "dpmon_ingest_items_total{outcome=\"SUSPENSE\"}"), 2);
  EXPECT_EQ(Sample(r.body, "dpmon_ingest_items_total{outcome=\"DUPLICATE\"}"), 9);
  EXPECT_EQ(Sample(r.body, "dpmon_ingest_items_total{outcome=\"INVALID\"}"), 2);
  EXPECT_EQ(
      Sample(r.body, "dpmon_calls_total{method=\"/dpmon.v1.Ledger/IngestBatch\",code=\"OK\"}"), 2);
  EXPECT_EQ(Sample(r.body,
                   "dpmon_calls_total{method=\"/dpmon.v1.Ledger/GetBalance\",code=\"NOT_FOUND\"}"),
            1);
  EXPECT_EQ(
      Sample(r.body, "dpmon_call_duration_seconds_count{method=\"/dpmon.v1.Ledger/IngestBatch\"}"),
      2);
  EXPECT_GE(Sample(r.body, "dpmon_commit_groups_total"), 4);
  EXPECT_GE(Sample(r.body, "dpmon_fsyncs_total"), 4);
  EXPECT_EQ(Sample(r.body, "dpmon_backup_last_success_time_seconds"), absl::ToUnixSeconds([&] {
              absl::Time t;
              std::string err;
              EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, made.create_time(), &t, &err));
              return t;
            }()));
  // Every stored flag count is exposed, and no other.
  v1::CountFlagsRequest cf;
  cf.set_council("councils/m");
  v1::CountFlagsResponse counts;
  ASSERT_TRUE(
      client.Call(client.monitoring(), &v1::Monitoring::Stub::CountFlags, cf, &counts).ok());
  int64_t total = 0;
  for (const auto& c : counts.counts()) {
    EXPECT_EQ(Sample(r.body,
                     absl::StrCat("dpmon_flags{council=\"m\",kind=\"", v1::FlagKind_Name(c.kind()),
                                  "\",state=\"", v1::FlagState_Name(c.state()), "\"}")),
              c.count());
    total += c.count();
  }
  EXPECT_GT(total, 0);
  int64_t exposed = 0;
  for (absl::string_view line : absl::StrSplit(r.body, '\n')) {
    int64_t v = 0;
    if (absl::StartsWith(line, "dpmon_flags{") &&
        absl::SimpleAtoi(line.substr(line.rfind(' ') + 1), &v)) {
      exposed += v;
    }
  }
  EXPECT_EQ(exposed, total);
  EXPECT_GE(Sample(r.body, "dpmon_evaluation_last_finish_time_seconds{council=\"m\"}"), 1);

  // Health: live and ready while serving; not ready once it stops.
  EXPECT_EQ(HttpFetch(server.http_address(), "GET", "/healthz").status, 200);
  EXPECT_EQ(HttpFetch(server.http_address(), "GET", "/readyz").status, 200);
  for (const char* service : {"", "liveness", "readiness"}) {
    EXPECT_EQ(HealthOf(server.address(), service), 1) << service;
  }
  EXPECT_EQ(HealthOf(server.address(), "nonsense"), -1);  // NOT_FOUND
}

TEST(Metrics, TheExampleAlertRulesCheckAndTheirTestsPass) {
  ASSERT_TRUE(HavePromtool()) << "promtool is needed (Debian's prometheus package)";
  const std::string dir = std::string(DPMON_SOURCE_DIR) + "/deploy/prometheus";
  std::string out;
  EXPECT_EQ(
      RunCommand({"/bin/sh", "-c", "promtool check rules " + dir + "/dpmon-alerts.yml 2>&1"}, &out),
      0)
      << out;
  EXPECT_EQ(RunCommand({"/bin/sh", "-c",
                        "cd " + dir + " && promtool test rules dpmon-alerts.test.yml 2>&1"},
                       &out),
            0)
      << out;
}

// --log_format=json: every line the server writes is one JSON object; each
// call has its method, council, request id, code and latency; no secret.
TEST(Logs, JsonLinesCarryEachCallAndNoSecret) {
  TestServer server("json_logs");
  ASSERT_TRUE(server.Start({"--log_format=json"}));
  Client client(server.Options());
  v1::CreateCouncilRequest c;
  c.set_council_id("logged");
  c.set_request_id("create-logged-1");
  v1::Council out;
  ASSERT_TRUE(client.Call(client.councils(), &v1::Councils::Stub::CreateCouncil, c, &out).ok());
  v1::GetCouncilRequest g;
  g.set_name("councils/absent");
  EXPECT_FALSE(client.Call(client.councils(), &v1::Councils::Stub::GetCouncil, g, &out).ok());
  ASSERT_TRUE(server.Terminate());

  const std::string log = server.Log();
  int calls = 0, events = 0;
  bool created = false, refused = false;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok())
        << line;
    const auto& f = object.fields();
    ASSERT_TRUE(f.count("time") && f.count("level")) << line;
    if (!f.count("method")) {
      ++events;
      EXPECT_TRUE(f.count("message")) << line;
      continue;
    }
    ++calls;
    for (const char* k :
         {"council", "account", "request_id", "key", "peer", "code", "latency_ms"}) {
      EXPECT_TRUE(f.count(k)) << k << " missing: " << line;
    }
    if (f.at("method").string_value() == "/dpmon.v1.Councils/CreateCouncil") {
      created = f.at("request_id").string_value() == "create-logged-1" &&
                f.at("council").string_value() == "logged" && f.at("code").string_value() == "OK" &&
                absl::StartsWith(f.at("key").string_value(), "keys/");
    }
    if (f.at("method").string_value() == "/dpmon.v1.Councils/GetCouncil") {
      refused = f.at("code").string_value() == "NOT_FOUND";
    }
  }
  EXPECT_GE(events, 3);  // store open, serving, stopped
  EXPECT_GE(calls, 2);
  EXPECT_TRUE(created) << log;
  EXPECT_TRUE(refused) << log;
  // dpmon_<key id>_<secret>: the key id is hex, the secret web-safe base64,
  // which may itself hold '_' (so not "whatever follows the last '_'": that
  // was sometimes a character or two, found in the log by chance).
  const std::string token = server.AdminKey();
  const size_t id_end = token.find('_', std::string("dpmon_").size());
  ASSERT_NE(id_end, std::string::npos) << token;
  const std::string secret = token.substr(id_end + 1);
  ASSERT_GE(secret.size(), 40u) << token;
  EXPECT_EQ(log.find(secret), std::string::npos);
}

}  // namespace
}  // namespace dpmon
