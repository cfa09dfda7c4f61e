#include "server/http/service_caller.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "common/limits.h"
#include "server/access_log.h"

namespace dpmon {

ServiceCaller::ServiceCaller(std::shared_ptr<grpc::Channel> channel) : stub_(std::move(channel)) {}

grpc::Status ServiceCaller::Call(const std::string& path, const google::protobuf::Message& request,
                                 google::protobuf::Message* reply, const std::string& authorization,
                                 const std::string& peer) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(limits::kHttpCallSecondsMax));
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  ctx.AddMetadata(kHttpPeerMetadata, peer);
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer in(&slice, 1), out;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub_.UnaryCall(&ctx, path, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (out.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  if (!reply->ParseFromString(bytes)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the service's reply could not be read");
  }
  return status;
}

}  // namespace dpmon
