#include "server/http/json_api.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "dpmon/v1/dpmon.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace dpmon {
namespace {

TEST(JsonRoutes, EveryUnaryMethodHasOneRouteAndEveryRouteAMethod) {
  const google::protobuf::FileDescriptor* file = v1::IngestBatchRequest::descriptor()->file();
  std::set<std::string> unary;
  for (int i = 0; i < file->service_count(); ++i) {
    for (int j = 0; j < file->service(i)->method_count(); ++j) {
      const google::protobuf::MethodDescriptor* m = file->service(i)->method(j);
      if (!m->client_streaming() && !m->server_streaming()) unary.insert(m->full_name());
    }
  }
  std::set<std::string> routed;
  std::set<std::string> paths;
  for (const JsonRoute& r : JsonRoutes()) {
    EXPECT_NE(google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(r.method),
              nullptr)
        << r.method;
    EXPECT_TRUE(routed.insert(r.method).second) << r.method << " has two routes";
    EXPECT_TRUE(paths.insert(absl::StrCat(r.verb, " ", r.path)).second) << r.path;
  }
  EXPECT_EQ(routed, unary);
}

TEST(HttpStatusOf, FollowsAip193) {
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::FAILED_PRECONDITION), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ABORTED), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::CANCELLED), 499);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INTERNAL), 500);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::DATA_LOSS), 500);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNIMPLEMENTED), 501);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
}

}  // namespace
}  // namespace dpmon
