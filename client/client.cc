#include "client/client.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace dpmon {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> ResolveApiKey(const std::string& key_file, std::string* from) {
  std::string unused;
  if (from == nullptr) from = &unused;
  auto from_file = [from](const std::string& path,
                          const std::string& named_by) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    if (!text.ok()) {
      return absl::Status(
          text.status().code(),
          absl::StrCat("cannot read the API key file ", path, " (named by ", named_by,
                       "): ", text.status().message(), ". ", kKeySources));
    }
    *from = absl::StrCat("the file ", path, " (named by ", named_by, ")");
    return std::string(absl::StripAsciiWhitespace(*text));
  };
  if (const char* env = std::getenv("DPMON_API_KEY"); env != nullptr && *env != '\0') {
    *from = "$DPMON_API_KEY";
    return std::string(absl::StripAsciiWhitespace(env));
  }
  if (!key_file.empty()) return from_file(key_file, "--key_file");
  if (const char* env = std::getenv("DPMON_KEY_FILE"); env != nullptr && *env != '\0') {
    return from_file(env, "$DPMON_KEY_FILE");
  }
  if (std::ifstream("data/dpmon-admin.key")) {
    return from_file("data/dpmon-admin.key", "the quick start's default");
  }
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  *from = absl::StrCat(
      "none: $DPMON_API_KEY and $DPMON_KEY_FILE are unset, no --key_file was given, and there "
      "is no data/dpmon-admin.key in ",
      ec ? std::string("this folder") : cwd);
  return std::string();
}

Client::Client(const ClientOptions& options) : options_(options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_certs;
    ssl.pem_cert_chain = options.tls_cert_chain;
    ssl.pem_private_key = options.tls_private_key;
    creds = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  channel_ = grpc::CreateCustomChannel(options.server, creds, args);
  councils_ = v1::Councils::NewStub(channel_);
  accounts_ = v1::Accounts::NewStub(channel_);
  ledger_ = v1::Ledger::NewStub(channel_);
  monitoring_ = v1::Monitoring::NewStub(channel_);
  admin_ = v1::Admin::NewStub(channel_);
  identity_ = v1::Identity::NewStub(channel_);
  audits_ = v1::Audits::NewStub(channel_);
}

void Client::PrepareContext(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  if (!options_.api_key.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
  }
}

absl::Status Client::StreamIngest(
    const std::function<bool(v1::IngestBatchRequest*)>& next, int window,
    const std::function<void(const v1::IngestBatchResponse&)>& on_ack) {
  grpc::ClientContext context;
  PrepareContext(&context);
  std::unique_ptr<grpc::ClientReaderWriter<v1::IngestBatchRequest, v1::IngestBatchResponse>>
      stream = ledger_->StreamIngest(&context);
  // What the writer thread and this (reading) thread share.
  struct Window {
    absl::Mutex mu;
    absl::CondVar cv;
    int unacked ABSL_GUARDED_BY(mu) = 0;
    bool reader_done ABSL_GUARDED_BY(mu) = false;
  } w;
  std::thread writer([&] {
    v1::IngestBatchRequest batch;
    for (;;) {
      {
        absl::MutexLock lock(&w.mu);
        while (w.unacked >= window && !w.reader_done) w.cv.Wait(&w.mu);
        if (w.reader_done) break;
      }
      batch.Clear();
      if (!next(&batch)) break;
      {
        absl::MutexLock lock(&w.mu);
        ++w.unacked;
      }
      if (!stream->Write(batch)) break;
    }
    stream->WritesDone();
  });
  v1::IngestBatchResponse ack;
  while (stream->Read(&ack)) {
    {
      absl::MutexLock lock(&w.mu);
      --w.unacked;
      w.cv.SignalAll();
    }
    on_ack(ack);
  }
  {
    absl::MutexLock lock(&w.mu);
    w.reader_done = true;
    w.cv.SignalAll();
  }
  writer.join();
  return FromGrpc(stream->Finish());
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // The server's message already reads "field: reason" for bad input.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string BadRequestField(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
      return bad.field_violations(0).field();
    }
  }
  return "";
}

}  // namespace dpmon
