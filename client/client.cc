#include "client/client.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace dpmon {

Client::Client(const ClientOptions& options) : options_(options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), args);
  councils_ = v1::Councils::NewStub(channel_);
  accounts_ = v1::Accounts::NewStub(channel_);
  ledger_ = v1::Ledger::NewStub(channel_);
  monitoring_ = v1::Monitoring::NewStub(channel_);
}

void Client::PrepareContext(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
}

absl::Status Client::StreamIngest(
    const std::function<bool(v1::IngestBatchRequest*)>& next, int window,
    const std::function<void(const v1::IngestBatchResponse&)>& on_ack) {
  grpc::ClientContext context;
  PrepareContext(&context);
  std::unique_ptr<grpc::ClientReaderWriter<v1::IngestBatchRequest, v1::IngestBatchResponse>>
      stream = ledger_->StreamIngest(&context);
  std::mutex mu;
  std::condition_variable cv;
  int unacked = 0;
  bool reader_done = false;
  std::thread writer([&] {
    v1::IngestBatchRequest batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return unacked < window || reader_done; });
        if (reader_done) break;
      }
      batch.Clear();
      if (!next(&batch)) break;
      {
        std::lock_guard<std::mutex> lock(mu);
        ++unacked;
      }
      if (!stream->Write(batch)) break;
    }
    stream->WritesDone();
  });
  v1::IngestBatchResponse ack;
  while (stream->Read(&ack)) {
    {
      std::lock_guard<std::mutex> lock(mu);
      --unacked;
    }
    cv.notify_all();
    on_ack(ack);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    reader_done = true;
  }
  cv.notify_all();
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
