// The JSON face over real HTTP on the real server (docs/http.md): routes,
// errors as AIP-193 JSON with their HTTP status, limits, headers, paging,
// idempotency, the access log, and the loopback-or-TLS rule. The RPC × role
// × council matrix over HTTP is in auth_test.cc.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::HttpFetch;
using testing::HttpReply;

google::protobuf::Struct Json(const std::string& body) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &s).ok()) << body;
  return s;
}

const google::protobuf::Value& At(const google::protobuf::Struct& s, const std::string& name) {
  static const google::protobuf::Value none;
  auto it = s.fields().find(name);
  return it == s.fields().end() ? none : it->second;
}

class Http : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
    auth_ = "Authorization: Bearer " + server_.AdminKey();
    ASSERT_EQ(Post("/v1/councils?councilId=c", R"({"displayName":"Council C"})").status, 200);
    ASSERT_EQ(Post("/v1/councils/c/accounts?accountId=A1",
                   R"({"startDate":"2025-01-01","holding":"PREPAID_CARD","management":"SELF",
                       "recipient":"SERVICE_USER"})")
                  .status,
              200);
  }

  HttpReply Get(const std::string& target) {
    return HttpFetch(server_.http_address(), "GET", target, {auth_});
  }
  HttpReply Post(const std::string& target, const std::string& body) {
    return HttpFetch(server_.http_address(), "POST", target, {auth_}, body);
  }
  // The error's status and its first field violation's field.
  static std::pair<std::string, std::string> ErrorOf(const HttpReply& r) {
    google::protobuf::Struct body = Json(r.body);
    const auto& error = At(body, "error").struct_value();
    std::string field;
    for (const auto& d : At(error, "details").list_value().values()) {
      for (const auto& v : At(d.struct_value(), "fieldViolations").list_value().values()) {
        if (field.empty()) field = At(v.struct_value(), "field").string_value();
      }
    }
    EXPECT_EQ(static_cast<int>(At(error, "code").number_value()), r.status);
    return {At(error, "status").string_value(), field};
  }

  testing::TestServer server_{"http"};
  std::string auth_;
};

TEST_F(Http, ReadsAndWritesInProtobufsJsonWithMoneyAsStrings) {
  HttpReply r = Post("/v1/councils/c:ingestBatch", R"({"items":[
      {"transaction":{"source":"card","account":"A1","externalId":"T1",
                      "bookingDate":"2025-02-01","amountPence":"-9876543210"}},
      {"transaction":{"source":"card","account":"A1","externalId":"T2",
                      "bookingDate":"2025-02-02","amountPence":"500"}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(At(Json(r.body), "accepted").number_value(), 2);
  r = Get("/v1/councils/c/accounts/A1/balance?asOfDate=2025-12-31");
  ASSERT_EQ(r.status, 200) << r.body;
  // int64 is a JSON string: exact however large.
  EXPECT_TRUE(absl::StrContains(r.body, R"("balancePence":"-9876542710")")) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_TRUE(absl::StrContains(r.Header("content-security-policy"), "frame-ancestors 'none'"));
  // Snake-case names are read as well as lowerCamel ones.
  r = Get("/v1/councils/c/accounts/A1/balance?as_of_date=2025-02-01");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"("transactionCount":"1")")) << r.body;
}

TEST_F(Http, ErrorsNameTheFieldWithTheirHttpStatus) {
  HttpReply r = HttpFetch(server_.http_address(), "GET", "/v1/councils/c");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer");
  EXPECT_EQ(ErrorOf(r).first, "UNAUTHENTICATED");

  r = Post("/v1/councils/c/accounts/A1:recordReview", R"({"review":{"date":"2025-02-30"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r),
            std::make_pair(std::string("INVALID_ARGUMENT"), std::string("review.date")));

  r = Post("/v1/councils/c/accounts/A1:recordReview", R"({"review":{"date":)");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r).second, "body");
  r = Post("/v1/councils/c/accounts/A1:recordReview", R"({"reviw":{}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r).second, "body");

  r = Get("/v1/councils/c/accounts/A1/balance?asOfDate=2025-01-01&colour=red");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r).second, "colour");
  r = Get("/v1/councils/c/accounts?pageSize=-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorOf(r).second, "page_size");

  r = Get("/v1/councils/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r).first, "NOT_FOUND");
  r = Get("/v1/no/such/thing");
  EXPECT_EQ(r.status, 404);
  // Outside /v1/ is the dashboard's: without a session, its sign-in page.
  r = Get("/v2/councils");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/signin");

  r = HttpFetch(server_.http_address(), "DELETE", "/v1/councils/c", {auth_});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET");

  r = Post("/v1/councils/c:ingestBatch", std::string(17 * 1024 * 1024, ' '));
  EXPECT_EQ(r.status, 413);

  r = HttpFetch(server_.http_address(), "GET", "/v1/councils",
                {auth_, "X-Padding: " + std::string(70 * 1024, 'x')});
  EXPECT_TRUE(r.status == 431 || r.status == 413 || r.status == 0) << r.status;
  // Still serving after all that.
  EXPECT_EQ(Get("/v1/councils/c").status, 200);
}

TEST_F(Http, ARetryWithTheSameRequestIdAppliesOnce) {
  const std::string body = R"({"review":{"date":"2025-03-01","note":"first visit"},
                               "requestId":"review-1"})";
  HttpReply first = Post("/v1/councils/c/accounts/A1:recordReview", body);
  ASSERT_EQ(first.status, 200) << first.body;
  HttpReply again = Post("/v1/councils/c/accounts/A1:recordReview", body);
  ASSERT_EQ(again.status, 200) << again.body;
  HttpReply account = Get("/v1/councils/c/accounts/A1");
  ASSERT_EQ(account.status, 200);
  EXPECT_EQ(At(Json(account.body), "reviews").list_value().values_size(), 1) << account.body;
  // The same id with other content is refused.
  HttpReply other = Post("/v1/councils/c/accounts/A1:recordReview",
                         R"({"review":{"date":"2025-04-01"},"requestId":"review-1"})");
  EXPECT_NE(other.status, 200);
}

TEST_F(Http, PagesAsGrpcDoes) {
  for (int i = 2; i <= 5; ++i) {
    ASSERT_EQ(Post(absl::StrCat("/v1/councils/c/accounts?accountId=A", i),
                   R"({"startDate":"2025-01-01","holding":"BANK_ACCOUNT","management":"SELF",
                       "recipient":"SERVICE_USER"})")
                  .status,
              200);
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    HttpReply r = Get("/v1/councils/c/accounts?pageSize=2" +
                      (token.empty() ? "" : "&pageToken=" + testing::UrlEncode(token)));
    ASSERT_EQ(r.status, 200) << r.body;
    google::protobuf::Struct page = Json(r.body);
    for (const auto& a : At(page, "accounts").list_value().values()) {
      seen.push_back(At(a.struct_value(), "name").string_value());
    }
    token = At(page, "nextPageToken").string_value();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"councils/c/accounts/A1", "councils/c/accounts/A2",
                                            "councils/c/accounts/A3", "councils/c/accounts/A4",
                                            "councils/c/accounts/A5"}));
  EXPECT_EQ(pages, 3);
}

TEST_F(Http, TheAccessLogRecordsHttpReadsWithTheClientsAddress) {
  ASSERT_EQ(Get("/v1/councils/c/accounts/A1/overview?asOfDate=2025-06-30").status, 200);
  bool found = false;
  for (int attempt = 0; attempt < 50 && !found; ++attempt) {
    HttpReply log = Get("/v1/accessLog?account=councils/c/accounts/A1");
    ASSERT_EQ(log.status, 200) << log.body;
    const google::protobuf::Struct body = Json(log.body);
    for (const auto& e : At(body, "entries").list_value().values()) {
      const auto& entry = e.struct_value();
      if (At(entry, "method").string_value() == "/dpmon.v1.Monitoring/GetAccountOverview") {
        found = true;
        EXPECT_TRUE(absl::StartsWith(At(entry, "peer").string_value(), "http:127.0.0.1:"))
            << At(entry, "peer").string_value();
        EXPECT_EQ(At(entry, "code").string_value(), "OK");
        EXPECT_EQ(At(entry, "account").string_value(), "A1");
      }
    }
    if (!found) usleep(100'000);
  }
  EXPECT_TRUE(found);
}

TEST(HttpListen, AnAddressOffLoopbackNeedsTls) {
  testing::TestServer server("http_listen");
  EXPECT_FALSE(server.Start({"--http_listen=0.0.0.0:0"}));
  std::string out;
  testing::RunCommand({"/bin/sh", "-c",
                       absl::StrCat(DPMON_SERVER_BIN, " --listen=127.0.0.1:0 --data_dir=",
                                    server.data_dir(), "-2 --http_listen=0.0.0.0:0 2>&1")},
                      &out);
  EXPECT_TRUE(absl::StrContains(out, "is not on loopback")) << out;
  // "off" serves gRPC alone.
  ASSERT_TRUE(server.Start({"--http_listen=off"}));
  EXPECT_TRUE(server.http_address().empty());
}

}  // namespace
}  // namespace dpmon
