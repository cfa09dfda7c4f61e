// dpmon-server: the dpmon gRPC server on a local RocksDB directory.
//
//   dpmon-server --listen=127.0.0.1:50051 --data_dir=./data/dpmon
//
// SIGTERM or SIGINT: stop accepting calls, finish the ones in flight (up to
// --shutdown_grace_seconds), write everything queued, close the database.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/limits.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/clock.h"
#include "server/evaluator.h"
#include "server/executor.h"
#include "server/monitoring_service.h"
#include "server/services.h"
#include "storage/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to listen on. Default: loopback only.");
ABSL_FLAG(std::string, data_dir, "data/dpmon", "RocksDB directory; created if missing.");
ABSL_FLAG(std::string, durability, "sync",
          "sync: every acknowledged write is on disk (WAL fsync, group commit). none: no fsync "
          "(benchmarks only; acknowledged writes can be lost on power loss).");
ABSL_FLAG(int, threads, 8, "Threads for calls that read or wait on the store.");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "How long in-flight calls may take to finish on shutdown.");
ABSL_FLAG(std::string, evaluate_at, "02:00",
          "Local time (Europe/London, HH:MM) at which every council is evaluated each day; a "
          "server started later in the day evaluates at once. \"off\": never.");
ABSL_FLAG(int, evaluation_threads, 0, "Threads evaluating accounts at once. 0: one per CPU core.");
ABSL_FLAG(int, reevaluate_delay_ms, 1000,
          "How long changed accounts are gathered before they are re-evaluated as of today.");
ABSL_FLAG(std::string, ready_file, "",
          "If set, the bound address is written to this file once the server is serving (for "
          "scripts and tests using port 0).");

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

void Log(const std::string& line) {
  std::fprintf(stderr, "%s dpmon-server: %s\n",
               absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()).c_str(),
               line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("dpmon gRPC server. See README.md.");
  absl::ParseCommandLine(argc, argv);

  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability != "sync" && durability != "none") {
    Log(absl::StrCat("--durability must be sync or none, not \"", durability, "\""));
    return 2;
  }
  dpmon::StoreOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  store_options.sync = durability == "sync";
  std::error_code ec;
  std::filesystem::create_directories(store_options.path, ec);
  if (ec) {
    Log(absl::StrCat("cannot create ", store_options.path, ": ", ec.message()));
    return 1;
  }
  int evaluate_minute = -1;
  if (const std::string at = absl::GetFlag(FLAGS_evaluate_at); at != "off") {
    int h = -1, m = -1;
    char tail = 0;
    if (std::sscanf(at.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 ||
        m > 59) {
      Log(absl::StrCat("--evaluate_at must be HH:MM or off, not \"", at, "\""));
      return 2;
    }
    evaluate_minute = h * 60 + m;
  }
  // The evaluator is created once the store is open; changes reported before
  // then (none: nothing writes before serving) would be dropped.
  std::atomic<dpmon::Evaluator*> evaluator_ptr{nullptr};
  store_options.on_accounts_changed = [&evaluator_ptr](const std::string& council,
                                                       const std::vector<std::string>& accounts) {
    if (dpmon::Evaluator* e = evaluator_ptr.load()) e->MarkChanged(council, accounts);
  };
  std::unique_ptr<dpmon::Store> store;
  if (absl::Status s = dpmon::Store::Open(store_options, &store); !s.ok()) {
    Log(absl::StrCat("cannot open the store: ", s.ToString()));
    return 1;
  }
  Log(absl::StrCat("store open at ", store_options.path, " (durability=", durability, ")"));

  auto executor = std::make_unique<dpmon::Executor>(std::max(1, absl::GetFlag(FLAGS_threads)));
  dpmon::ServiceContext ctx{store.get(), executor.get(), &dpmon::TodayInLondon};
  dpmon::CouncilsService councils(ctx);
  dpmon::AccountsService accounts(ctx);
  dpmon::LedgerService ledger(ctx);
  int evaluation_threads = absl::GetFlag(FLAGS_evaluation_threads);
  if (evaluation_threads <= 0) {
    evaluation_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  auto evaluator = std::make_unique<dpmon::Evaluator>(store.get(), evaluation_threads);
  evaluator_ptr.store(evaluator.get());
  evaluator->StartBackground(evaluate_minute, absl::GetFlag(FLAGS_reevaluate_delay_ms));
  dpmon::MonitoringService monitoring(ctx, evaluator.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(dpmon::limits::kMessageBytesMax);
  builder.SetMaxSendMessageSize(dpmon::limits::kMessageBytesMax);
  builder.RegisterService(&councils);
  builder.RegisterService(&accounts);
  builder.RegisterService(&ledger);
  builder.RegisterService(&monitoring);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(absl::StrCat("cannot listen on ", listen));
    return 1;
  }
  std::string bound = listen;
  if (size_t colon = listen.rfind(':'); colon != std::string::npos) {
    bound = absl::StrCat(listen.substr(0, colon), ":", port);
  }
  Log(absl::StrCat("serving on ", bound));
  if (const std::string ready = absl::GetFlag(FLAGS_ready_file); !ready.empty()) {
    std::string tmp = ready + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%s\n", bound.c_str());
      std::fclose(f);
      std::rename(tmp.c_str(), ready.c_str());
    }
  }

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  Log("shutting down: no new calls; finishing those in flight");
  server->GetHealthCheckService()->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  server->Wait();
  executor.reset();  // Runs what was queued.
  evaluator_ptr.store(nullptr);
  evaluator.reset();  // Stops background evaluation (an evaluation in progress finishes).
  store.reset();      // Writes what was queued, then closes.
  Log("stopped cleanly");
  return 0;
}
