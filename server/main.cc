// dpmon-server: the dpmon gRPC server on a local RocksDB directory.
//
//   dpmon-server --listen=127.0.0.1:50051 --data_dir=./data/dpmon
//
// SIGTERM or SIGINT: stop accepting calls and ingest streams' batches, finish
// the ones in flight (up to --shutdown_grace_seconds; idle streams end at
// once, UNAVAILABLE), write everything queued, close the database.
#include <fcntl.h>
#include <grpc/grpc_security_constants.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/operations_text.h"
#include "common/limits.h"
#include "common/private_dir.h"
#include "common/version.h"
#include "google/protobuf/stubs/common.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/access_log.h"
#include "server/accounts_service.h"
#include "server/admin_service.h"
#include "server/audit_service.h"
#include "server/auth.h"
#include "server/clock.h"
#include "server/councils_service.h"
#include "server/due_index.h"
#include "server/evaluator.h"
#include "server/executor.h"
#include "server/http/http_listener.h"
#include "server/http/json_api.h"
#include "server/http/ops_endpoints.h"
#include "server/http/service_caller.h"
#include "server/http/sessions.h"
#include "server/http/web_app.h"
#include "server/ledger_service.h"
#include "server/metrics.h"
#include "server/monitoring_service.h"
#include "server/operations.h"
#include "server/server_help.h"
#include "server/server_log.h"
#include "server/service_context.h"
#include "storage/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to listen on. Default: loopback only.");
ABSL_FLAG(std::string, data_dir, "data/dpmon",
          "RocksDB directory; created if missing, private to the service (mode 0700).");
ABSL_FLAG(bool, allow_shared_data_dir, false,
          "Start even though the data directory lets its group or others in. Default: refuse.");
ABSL_FLAG(std::string, durability, "sync",
          "sync: every acknowledged write is on disk (WAL fsync, group commit). none: no fsync "
          "(benchmarks only; acknowledged writes can be lost on power loss).");
ABSL_FLAG(int, block_cache_mib, 0,
          "RocksDB's block cache (MiB of uncompressed blocks, taken as read). 0: a quarter of "
          "the machine's memory, at least 64 MiB.");
ABSL_FLAG(int, threads, 8, "Threads for calls that read or wait on the store.");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "How long in-flight calls may take to finish on shutdown.");
ABSL_FLAG(std::string, evaluate_at, "02:00",
          "Local time (Europe/London, HH:MM) at which every council is evaluated each day; a "
          "server started later in the day evaluates at once. \"off\": never.");
ABSL_FLAG(std::string, today, "",
          "Take this date (YYYY-MM-DD) as today instead of the clock's, for demonstrations and "
          "benchmarks on data that ends on a fixed date. Empty: the clock (Europe/London).");
ABSL_FLAG(int, evaluation_threads, 0, "Threads evaluating accounts at once. 0: one per CPU core.");
ABSL_FLAG(int, reevaluate_delay_ms, 1000,
          "How long changed accounts are gathered before they are re-evaluated as of today. "
          "-1: changed accounts are not re-evaluated (only the daily run and EvaluateCouncil "
          "evaluate; for tests and jobs that evaluate as of a past date).");
ABSL_FLAG(std::string, auth, "on",
          "on: every call needs a key (docs/auth.md). off: every call may do everything; "
          "refused unless --listen is loopback (benchmarks only).");
ABSL_FLAG(std::string, bootstrap_key_file, "",
          "Where a data directory without keys gets its first ADMIN key written (mode 0600). "
          "Default: DATA_DIR-admin.key beside the data directory.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM server certificate chain: serve TLS. Required to listen on anything but loopback.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA certificates: require every client to present a certificate they signed "
          "(mTLS). A CLIENT_CERTIFICATE key maps its common name to a principal.");
ABSL_FLAG(int, access_log_retention_days, 2557,
          "Access log entries older than this are pruned daily (default: 7 years). 0: never.");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "host:port of the HTTP listener: the JSON face of the API (docs/http.md). Anything but "
          "loopback needs --tls_cert_file and --tls_key_file (HTTPS). \"off\": none. Port 0 "
          "picks a free one (the ready file's second line says which).");
ABSL_FLAG(int, session_idle_minutes, 30, "A dashboard session unused this long ends (minutes).");
ABSL_FLAG(int, session_max_hours, 12, "A dashboard session ends this long after sign-in (hours).");
ABSL_FLAG(std::string, backup_dir, "",
          "Where backups go when `dpctl admin backup` names no directory (an absolute path on "
          "this machine; created with mode 0700). docs/operations.md.");
ABSL_FLAG(int, backup_rate_limit_mib, 0,
          "MiB a second a backup may write (0: no limit): keeps a large backup from taking the "
          "disk from ingest.");
ABSL_FLAG(std::string, restore_from, "",
          "Restore a backup from this directory into --data_dir (which must be empty or "
          "missing), check it, then serve. docs/operations.md.");
ABSL_FLAG(int, backup_id, 0, "With --restore_from: the backup to restore (0: the latest).");
ABSL_FLAG(bool, check, false,
          "Check the integrity of --data_dir offline (the server must not be running on it), "
          "print every difference, and exit: 0 clean, 1 problems found.");
ABSL_FLAG(bool, compact, false,
          "Compact --data_dir offline (the server must not be running on it) and exit: after a "
          "large back-fill, so that reads find each row in fewer files.");
ABSL_FLAG(std::string, log_format, "text",
          "text: lines for people. json: one object a line (time, level, message; for calls: "
          "method, council, account, request_id, key, peer, code, latency_ms).");
ABSL_FLAG(bool, log_calls, true,
          "Write a line to stderr for every call answered (the access log in the store records "
          "them either way).");
ABSL_FLAG(std::string, ready_file, "",
          "If set, once the server is serving, this file gets the bound gRPC address on its first "
          "line and the HTTP listener's on its second (for scripts and tests using port 0).");

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

void Log(const std::string& line) { dpmon::LogEvent("info", line); }
void LogError(const std::string& line) { dpmon::LogEvent("error", line); }

bool ReadFile(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[8192];
  size_t n;
  out->clear();
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  std::fclose(f);
  return true;
}

// Whether host:port names a loopback address.
bool IsLoopback(const std::string& listen) {
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

// Writes `secret` to `path`, readable by its owner only, replacing any file.
bool WriteSecretFile(const std::string& path, const std::string& secret) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return false;
  const std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  return ok && ::rename(tmp.c_str(), path.c_str()) == 0;
}

// Creates the data directory (0700) if missing; refuses (2) one whose group
// or others may read, write or enter it, unless `allow_shared`.
int CheckDataDir(const std::string& path, bool allow_shared) {
  if (absl::Status s = dpmon::CreatePrivateDirectory(path); !s.ok()) {
    LogError(std::string(s.message()));
    return 1;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    LogError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    return 1;
  }
  if ((st.st_mode & 077) != 0 && !allow_shared) {
    LogError(absl::StrFormat(
        "the data directory %s has mode %04o: its group or others may read it, and it holds "
        "people's ledgers. Make it the service's alone (chmod 700 %s), or start with "
        "--allow_shared_data_dir if it must be shared",
        path, st.st_mode & 07777, path));
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // --help is this program's own flags, grouped (server/server_help.cc);
  // --helpfull keeps every library's.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpshort") {
      std::printf("%s", dpmon::ServerHelp().c_str());
      return 0;
    }
    if (arg == "--man") {  // For the build: dpmon-server(8).
      std::printf("%s", dpmon::ServerManPage().c_str());
      return 0;
    }
  }
  absl::SetProgramUsageMessage("the dpmon server; --help lists its own flags");
  absl::FlagsUsageConfig usage;
  usage.version_string = [] {
    return dpmon::VersionText(
        "dpmon-server",
        {{"gRPC", grpc::Version()},
         {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
         {"RocksDB", dpmon::Store::RocksDbVersion()}});
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);

  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format != "text" && log_format != "json") {
    LogError(absl::StrCat("--log_format must be text or json, not \"", log_format, "\""));
    return 2;
  }
  dpmon::SetLogFormat(log_format == "json" ? dpmon::LogFormat::kJson : dpmon::LogFormat::kText);
  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability != "sync" && durability != "none") {
    LogError(absl::StrCat("--durability must be sync or none, not \"", durability, "\""));
    return 2;
  }
  dpmon::StoreOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  store_options.sync = durability == "sync";
  if (const int mib = absl::GetFlag(FLAGS_block_cache_mib); mib < 0) {
    LogError("--block_cache_mib must be 0 (a quarter of the memory) or more");
    return 2;
  } else {
    store_options.block_cache_bytes =
        mib == 0 ? dpmon::DefaultBlockCacheBytes() : static_cast<size_t>(mib) << 20;
  }
  // Whatever the server writes (RocksDB's files, the first key, the ready
  // file) is the service's alone, whatever umask it was started with.
  ::umask(077);
  const std::string restore_from = absl::GetFlag(FLAGS_restore_from);
  if (!restore_from.empty()) {
    Log(absl::StrCat("restoring ", restore_from, " into ", store_options.path));
    absl::StatusOr<dpmon::BackupInfo> restored = dpmon::RestoreBackup(
        restore_from, static_cast<uint32_t>(std::max(0, absl::GetFlag(FLAGS_backup_id))),
        store_options.path);
    if (!restored.ok()) {
      LogError(absl::StrCat("cannot restore: ", restored.status().message()));
      return restored.status().code() == absl::StatusCode::kFailedPrecondition ? 2 : 1;
    }
    Log(absl::StrFormat("restored backup %d (verified) into %s", restored->id, store_options.path));
  }
  if (int rc = CheckDataDir(store_options.path, absl::GetFlag(FLAGS_allow_shared_data_dir));
      rc != 0) {
    return rc;
  }
  if (const std::string today = absl::GetFlag(FLAGS_today); !today.empty()) {
    absl::StatusOr<dpmon::Date> day = dpmon::Date::Parse(today);
    if (!day.ok()) {
      LogError(absl::StrCat("--today must be a date YYYY-MM-DD, not \"", today, "\""));
      return 2;
    }
    dpmon::PinToday(*day);
    Log(absl::StrCat("today is taken to be ", today, " (--today)"));
  }
  int evaluate_minute = -1;
  if (const std::string at = absl::GetFlag(FLAGS_evaluate_at); at != "off") {
    int h = -1, m = -1;
    char tail = 0;
    if (std::sscanf(at.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 ||
        m > 59) {
      LogError(absl::StrCat("--evaluate_at must be HH:MM or off, not \"", at, "\""));
      return 2;
    }
    evaluate_minute = h * 60 + m;
  }
  // The evaluator is created once the store is open; changes reported before
  // then (none: nothing writes before serving) would be dropped.
  std::atomic<dpmon::Evaluator*> evaluator_ptr{nullptr};
  if (absl::GetFlag(FLAGS_reevaluate_delay_ms) >= 0) {
    store_options.on_accounts_changed = [&evaluator_ptr](const std::string& council,
                                                         const std::vector<std::string>& accounts) {
      if (dpmon::Evaluator* e = evaluator_ptr.load()) e->MarkChanged(council, accounts);
    };
  }
  // Told of every write before its writer is answered (server/due_index.h).
  std::atomic<dpmon::DueIndex*> due_index_ptr{nullptr};
  store_options.on_written = [&due_index_ptr](const dpmon::WrittenKeys& written) {
    if (dpmon::DueIndex* d = due_index_ptr.load()) d->OnWritten(written);
  };
  std::unique_ptr<dpmon::Store> store;
  if (absl::Status s = dpmon::Store::Open(store_options, &store); !s.ok()) {
    LogError(absl::StrCat("cannot open the store: ", s.ToString()));
    return 1;
  }
  Log(absl::StrCat("store open at ", store_options.path, " (durability=", durability, ")"));
  if (absl::GetFlag(FLAGS_compact)) {
    const absl::Time started = absl::Now();
    if (absl::Status s = store->CompactAll(); !s.ok()) {
      LogError(absl::StrCat("cannot compact the store: ", s.ToString()));
      return 1;
    }
    std::printf("compacted %s in %.1f s\n", store_options.path.c_str(),
                absl::ToDoubleSeconds(absl::Now() - started));
    return 0;
  }
  // A restored directory is checked before it serves; --check only checks.
  if (absl::GetFlag(FLAGS_check) || !restore_from.empty()) {
    absl::StatusOr<dpmon::v1::IntegrityReport> report =
        dpmon::CheckStore(store.get(), "", dpmon::limits::kIntegrityProblemsMax);
    if (!report.ok()) {
      LogError(absl::StrCat("cannot check the store: ", report.status().ToString()));
      return 1;
    }
    std::fputs(dpmon::IntegrityReportText(*report).c_str(),
               absl::GetFlag(FLAGS_check) ? stdout : stderr);
    if (absl::GetFlag(FLAGS_check)) return report->problem_count() == 0 ? 0 : 1;
    if (report->problem_count() != 0) {
      LogError("the restored store has integrity problems (listed above): not serving it");
      return 1;
    }
  }

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string auth = absl::GetFlag(FLAGS_auth);
  const bool tls = !absl::GetFlag(FLAGS_tls_cert_file).empty();
  if (auth != "on" && auth != "off") {
    LogError(absl::StrCat("--auth must be on or off, not \"", auth, "\""));
    return 2;
  }
  if (!IsLoopback(listen) && !tls) {
    LogError(absl::StrCat("refusing to serve plaintext on ", listen,
                          ": give --tls_cert_file and --tls_key_file, or listen on loopback"));
    return 2;
  }
  if (auth == "off" && !IsLoopback(listen)) {
    LogError("refusing --auth=off on anything but loopback");
    return 2;
  }
  dpmon::KeyRegistry keys(store.get(), [] { return absl::Now(); });
  keys.set_enforce(auth == "on");
  if (absl::Status s = keys.Load(); !s.ok()) {
    LogError(absl::StrCat("cannot load keys: ", s.ToString()));
    return 1;
  }
  std::string admin_key_file;  // Where the first ADMIN key was written, to say how to sign in.
  {
    std::string key_file = absl::GetFlag(FLAGS_bootstrap_key_file);
    if (key_file.empty()) {
      std::string dir = store_options.path;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      key_file = dir + "-admin.key";
    }
    admin_key_file = key_file;
    absl::StatusOr<dpmon::IssuedKey> boot = keys.BootstrapIfEmpty();
    if (!boot.ok()) {
      LogError(absl::StrCat("cannot create the first ADMIN key: ", boot.status().ToString()));
      return 1;
    }
    if (!boot->secret.empty()) {
      if (!WriteSecretFile(key_file, boot->secret)) {
        LogError(absl::StrCat("cannot write the first ADMIN key to ", key_file));
        return 1;
      }
      Log(absl::StrCat("new data directory: ADMIN key ", boot->key.name(), " written to ", key_file,
                       " (mode 0600)"));
    }
  }
  const int retention_days = absl::GetFlag(FLAGS_access_log_retention_days);
  auto access_log = std::make_unique<dpmon::AccessLog>(
      store.get(),
      retention_days > 0 ? absl::Hours(24) * retention_days : absl::InfiniteDuration());

  auto executor = std::make_unique<dpmon::Executor>(std::max(1, absl::GetFlag(FLAGS_threads)));
  auto metrics = std::make_unique<dpmon::Metrics>();
  dpmon::ServiceContext ctx{store.get(),
                            executor.get(),
                            &keys,
                            access_log.get(),
                            &dpmon::TodayInLondon,
                            metrics.get(),
                            absl::GetFlag(FLAGS_log_calls)};
  dpmon::CouncilsService councils(ctx);
  dpmon::LedgerService ledger(ctx);
  int evaluation_threads = absl::GetFlag(FLAGS_evaluation_threads);
  if (evaluation_threads <= 0) {
    evaluation_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  auto due_index =
      std::make_unique<dpmon::DueIndex>(store.get(), &dpmon::TodayInLondon, evaluation_threads);
  due_index_ptr.store(due_index.get());
  dpmon::AccountsService accounts(ctx, due_index.get());
  auto evaluator = std::make_unique<dpmon::Evaluator>(store.get(), evaluation_threads);
  evaluator_ptr.store(evaluator.get());
  Log(evaluator->Recalled() > 0
          ? absl::StrCat("evaluation: ", evaluator->Recalled(),
                         " accounts' flags known from the last clean shutdown; the first "
                         "evaluation reads only those that may have changed")
          : "evaluation: nothing known from a clean shutdown; the first evaluation reads every "
            "account");
  // After the nightly evaluation, and when the server starts, today's due,
  // risk and recoveries indexes are built before anyone asks.
  evaluator->StartBackground(evaluate_minute, std::max(0, absl::GetFlag(FLAGS_reevaluate_delay_ms)),
                             [&due_index](const std::string& council) {
                               if (absl::Status s = due_index->Warm(council); !s.ok()) {
                                 LogError(absl::StrCat("building today's audit survey of council ",
                                                       council, ": ", s.ToString()));
                               }
                             });
  dpmon::MonitoringService monitoring(ctx, evaluator.get());
  auto operations = std::make_unique<dpmon::Operations>(
      store.get(),
      dpmon::OperationsOptions{
          absl::GetFlag(FLAGS_backup_dir),
          static_cast<uint64_t>(std::max(0, absl::GetFlag(FLAGS_backup_rate_limit_mib))) << 20});
  dpmon::AdminService admin(ctx, operations.get());
  dpmon::IdentityService identity(ctx);
  dpmon::AuditsService audits(ctx, due_index.get());

  std::shared_ptr<grpc::ServerCredentials> creds;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;  // Also the HTTP listener's.
  if (tls) {
    grpc::SslServerCredentialsOptions ssl;
    if (!ReadFile(absl::GetFlag(FLAGS_tls_cert_file), &pair.cert_chain) ||
        !ReadFile(absl::GetFlag(FLAGS_tls_key_file), &pair.private_key)) {
      LogError("cannot read --tls_cert_file or --tls_key_file");
      return 2;
    }
    ssl.pem_key_cert_pairs.push_back(pair);
    if (const std::string ca = absl::GetFlag(FLAGS_tls_client_ca_file); !ca.empty()) {
      if (!ReadFile(ca, &ssl.pem_root_certs)) {
        LogError(absl::StrCat("cannot read --tls_client_ca_file ", ca));
        return 2;
      }
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(ssl);
  } else {
    // Plaintext, and only from this machine: the local credentials refuse
    // any peer that is not on loopback.
    creds = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  }
  creds->SetAuthMetadataProcessor(
      std::make_shared<dpmon::AuthProcessor>(&keys, access_log.get(), metrics.get()));
  if (auth == "off")
    dpmon::LogEvent("warning", "--auth=off: every caller on this machine may do everything");

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, creds, &port);
  builder.SetMaxReceiveMessageSize(dpmon::limits::kMessageBytesMax);
  builder.SetMaxSendMessageSize(dpmon::limits::kMessageBytesMax);
  builder.RegisterService(&councils);
  builder.RegisterService(&accounts);
  builder.RegisterService(&ledger);
  builder.RegisterService(&monitoring);
  builder.RegisterService(&admin);
  builder.RegisterService(&identity);
  builder.RegisterService(&audits);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    LogError(absl::StrCat("cannot listen on ", listen));
    return 1;
  }
  std::string bound = listen;
  if (size_t colon = listen.rfind(':'); colon != std::string::npos) {
    bound = absl::StrCat(listen.substr(0, colon), ":", port);
  }
  Log(absl::StrCat("serving on ", bound, tls ? " (TLS" : " (plaintext, loopback only",
                   absl::GetFlag(FLAGS_tls_client_ca_file).empty() ? "" : ", client certificates",
                   auth == "on" ? ", keys required)" : ", auth OFF)"));
  // The JSON face calls the services through the server itself, so that it
  // meets the same checks and access log as a gRPC call (server/http/).
  std::unique_ptr<dpmon::ServiceCaller> caller;
  std::unique_ptr<dpmon::JsonApi> json_api;
  std::unique_ptr<dpmon::SessionStore> sessions;
  std::unique_ptr<dpmon::WebApp> web;
  std::unique_ptr<dpmon::HttpListener> http;
  auto ops =
      std::make_unique<dpmon::OpsEndpoints>(metrics.get(), store.get(), operations.get(), &keys);
  if (const std::string http_listen = absl::GetFlag(FLAGS_http_listen); http_listen != "off") {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(dpmon::limits::kMessageBytesMax);
    args.SetMaxSendMessageSize(dpmon::limits::kMessageBytesMax);
    caller = std::make_unique<dpmon::ServiceCaller>(server->InProcessChannel(args));
    json_api = std::make_unique<dpmon::JsonApi>(caller.get());
    sessions = std::make_unique<dpmon::SessionStore>(
        dpmon::SessionStore::Options{
            absl::Minutes(std::max(1, absl::GetFlag(FLAGS_session_idle_minutes))),
            absl::Hours(std::max(1, absl::GetFlag(FLAGS_session_max_hours)))},
        [] { return absl::Now(); });
    web = std::make_unique<dpmon::WebApp>(caller.get(), &keys, access_log.get(), sessions.get(),
                                          dpmon::WebApp::Options{tls});
    dpmon::HttpListener::Options options;
    options.address = http_listen;
    options.tls_cert_chain = pair.cert_chain;
    options.tls_private_key = pair.private_key;
    absl::StatusOr<std::unique_ptr<dpmon::HttpListener>> started = dpmon::HttpListener::Start(
        options,
        [api = json_api.get(), app = web.get(), ops = ops.get()](const dpmon::HttpRequest& r) {
          if (absl::StartsWith(r.path, "/v1/")) return api->Handle(r);
          if (std::optional<dpmon::HttpResponse> answer = ops->Handle(r)) return *std::move(answer);
          return app->Handle(r);
        });
    if (!started.ok()) {
      LogError(std::string(started.status().message()));
      server->Shutdown();
      return started.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    http = *std::move(started);
    Log(absl::StrCat("dashboard and JSON API on ", http->tls() ? "https://" : "http://",
                     http->address(), "/ : sign in with a key, e.g. the first ADMIN key in ",
                     admin_key_file, " (docs/http.md)"));
  }
  // Liveness: the process answers; readiness: the store is open and calls
  // are served (until shutdown begins). Both also on HTTP (/healthz, /readyz).
  server->GetHealthCheckService()->SetServingStatus("liveness", true);
  server->GetHealthCheckService()->SetServingStatus("readiness", true);
  ops->set_ready(true);
  if (const std::string ready = absl::GetFlag(FLAGS_ready_file); !ready.empty()) {
    std::string tmp = ready + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%s\n", bound.c_str());
      if (http != nullptr) std::fprintf(f, "%s\n", http->address().c_str());
      std::fclose(f);
      std::rename(tmp.c_str(), ready.c_str());
    }
  }

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  Log("shutting down: no new calls or stream batches; finishing those in flight");
  ops->set_ready(false);
  server->GetHealthCheckService()->SetServingStatus("readiness", false);
  if (http != nullptr) http->Stop();  // Answers the HTTP requests in flight first.
  server->GetHealthCheckService()->Shutdown();
  // Streams would otherwise take batches until the grace ends.
  const absl::Time grace_end =
      absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  ledger.DrainStreams(grace_end);
  server->Shutdown(absl::ToChronoTime(grace_end));
  server->Wait();
  executor.reset();    // Runs what was queued.
  operations.reset();  // Finishes a backup or check in progress.
  access_log.reset();  // Writes the last entries.
  evaluator_ptr.store(nullptr);
  // Stops background evaluation (an evaluation in progress finishes); what
  // it knows is kept for the next start, written as the store closes.
  evaluator->StopAndKeep();
  evaluator.reset();
  store.reset();  // Writes what was queued (telling the due index), then closes.
  due_index_ptr.store(nullptr);
  due_index.reset();
  Log("stopped cleanly");
  return 0;
}
