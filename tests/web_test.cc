// The dashboard over real HTTP on the real server: sign-in, sessions and
// their cookies, CSRF, sign-out, revocation ending a session at once, a
// second council's officer seeing none of the first's, and the security
// headers of every page. (The pages in a real browser are the browser
// tests' job.)
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::HttpFetch;
using testing::HttpReply;
using testing::UrlEncode;

// The value of `name` in a Set-Cookie header of `r`, and the header itself.
std::pair<std::string, std::string> SetCookie(const HttpReply& r, const std::string& name) {
  for (const auto& [h, v] : r.headers) {
    if (h == "set-cookie" && absl::StartsWith(v, name + "=")) {
      return {v.substr(name.size() + 1, v.find(';') - name.size() - 1), v};
    }
  }
  return {"", ""};
}

// The value of the hidden csrf field in a page.
std::string CsrfOf(const std::string& html) {
  const std::string marker = R"(name="csrf" value=")";
  size_t at = html.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return html.substr(at, html.find('"', at) - at);
}

class Web : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
    admin_ = "Authorization: Bearer " + server_.AdminKey();
    for (const char* c : {"north", "south"}) {
      ASSERT_EQ(Api("POST", absl::StrCat("/v1/councils?councilId=", c),
                    absl::StrCat(R"({"displayName":")", c, R"( Council"})"))
                    .status,
                200);
    }
  }

  HttpReply Api(const std::string& method, const std::string& target,
                const std::string& body = "") {
    return HttpFetch(server_.http_address(), method, target, {admin_}, body);
  }
  // A new key's secret; *name gets "keys/...".
  std::string NewKey(const std::string& role, const std::string& council, std::string* name) {
    HttpReply r = Api("POST", "/v1/keys",
                      absl::StrCat(R"({"displayName":"test","role":")", role, R"(","councils":[")",
                                   council, R"("]})"));
    EXPECT_EQ(r.status, 200) << r.body;
    const size_t s = r.body.find(R"("secret":")") + 10;
    const size_t n = r.body.find(R"("name":")") + 8;
    *name = r.body.substr(n, r.body.find('"', n) - n);
    return r.body.substr(s, r.body.find('"', s) - s);
  }
  HttpReply Get(const std::string& target, const std::string& session) {
    std::vector<std::string> headers;
    if (!session.empty()) headers.push_back("Cookie: dpmon_session=" + session);
    return HttpFetch(server_.http_address(), "GET", target, headers);
  }
  HttpReply PostForm(const std::string& target, const std::string& form,
                     const std::string& cookie) {
    std::vector<std::string> headers = {"Content-Type: application/x-www-form-urlencoded"};
    if (!cookie.empty()) headers.push_back("Cookie: " + cookie);
    return HttpFetch(server_.http_address(), "POST", target, headers, form);
  }
  // Signs in with `key`: the session cookie's value.
  std::string SignIn(const std::string& key) {
    HttpReply form = Get("/signin", "");
    EXPECT_EQ(form.status, 200);
    const std::string token = SetCookie(form, "dpmon_signin").first;
    EXPECT_EQ(CsrfOf(form.body), token);
    HttpReply r =
        PostForm("/signin", absl::StrCat("csrf=", UrlEncode(token), "&key=", UrlEncode(key)),
                 "dpmon_signin=" + token);
    EXPECT_EQ(r.status, 303) << r.body;
    return SetCookie(r, "dpmon_session").first;
  }

  testing::TestServer server_{"web"};
  std::string admin_;
};

TEST_F(Web, SignInOpensASessionInAStrictHttpOnlyCookie) {
  HttpReply r = Get("/", "");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/signin");

  HttpReply form = Get("/signin", "");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(absl::StrContains(form.body, R"(<label class="govuk-label" for="key">)"));
  const std::string csp = form.Header("content-security-policy");
  EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'")) << csp;
  EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline")) << csp;
  EXPECT_TRUE(absl::StrContains(csp, "frame-ancestors 'none'")) << csp;
  const std::string token = SetCookie(form, "dpmon_signin").first;
  ASSERT_FALSE(token.empty());

  // Without the sign-in form's token: refused.
  r = PostForm("/signin", "key=" + UrlEncode(server_.AdminKey()), "");
  EXPECT_EQ(r.status, 403);
  r = PostForm("/signin", "csrf=wrong&key=" + UrlEncode(server_.AdminKey()),
               "dpmon_signin=" + token);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(SetCookie(r, "dpmon_session").first.empty());

  // A wrong key: the error summary links to the field.
  r = PostForm("/signin", absl::StrCat("csrf=", token, "&key=dpmon_0123456789abcdef_nope"),
               "dpmon_signin=" + token);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, R"(<a class="govuk-link" href="#key">)")) << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, "<title>Error: Sign in")) << r.body;
  r = PostForm("/signin", absl::StrCat("csrf=", token, "&key="), "dpmon_signin=" + token);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, "Enter your key"));

  r = PostForm("/signin", absl::StrCat("csrf=", token, "&key=", UrlEncode(server_.AdminKey())),
               "dpmon_signin=" + token);
  ASSERT_EQ(r.status, 303);
  auto [session, header] = SetCookie(r, "dpmon_session");
  ASSERT_EQ(session.size(), 43u);
  EXPECT_TRUE(absl::StrContains(header, "HttpOnly"));
  EXPECT_TRUE(absl::StrContains(header, "SameSite=Strict"));
  EXPECT_FALSE(absl::StrContains(header, "Secure"));  // Plain HTTP on loopback.
  // The key is nowhere in what the browser gets.
  EXPECT_FALSE(absl::StrContains(header, server_.AdminKey()));

  r = Get("/", session);
  ASSERT_EQ(r.status, 200) << r.body;  // Two councils: the list.
  EXPECT_TRUE(absl::StrContains(r.body, "north Council"));
  EXPECT_TRUE(absl::StrContains(r.body, "south Council"));
  EXPECT_FALSE(absl::StrContains(r.body, server_.AdminKey()));
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  r = Get("/councils/north", session);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StrContains(r.body, R"(<h1 class="govuk-heading-l">Today</h1>)"));
  EXPECT_TRUE(absl::StrContains(r.body, "north Council"));
  r = Get("/councils/nowhere", session);
  EXPECT_EQ(r.status, 404);
  r = Get("/no/such/page", session);
  EXPECT_EQ(r.status, 404);
  r = Get("/static/dpmon.css", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/css; charset=utf-8");
}

TEST_F(Web, SignOutNeedsTheFormsTokenAndEndsTheSession) {
  const std::string session = SignIn(server_.AdminKey());
  HttpReply page = Get("/councils/north", session);
  ASSERT_EQ(page.status, 200);
  const std::string csrf = CsrfOf(page.body);
  ASSERT_FALSE(csrf.empty());
  HttpReply r = PostForm("/signout", "", "dpmon_session=" + session);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Get("/councils/north", session).status, 200);
  r = PostForm("/signout", "csrf=" + UrlEncode(csrf), "dpmon_session=" + session);
  EXPECT_EQ(r.status, 303);
  EXPECT_TRUE(absl::StrContains(SetCookie(r, "dpmon_session").second, "Max-Age=0"));
  r = Get("/councils/north", session);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/signin");
  // A POST without a session is refused, not redirected.
  EXPECT_EQ(PostForm("/signout", "csrf=" + UrlEncode(csrf), "dpmon_session=" + session).status,
            403);
}

TEST_F(Web, RevokingAKeyEndsItsSessionsAtOnce) {
  std::string name;
  const std::string key = NewKey("OFFICER", "north", &name);
  const std::string session = SignIn(key);
  ASSERT_EQ(Get("/councils/north", session).status, 200);
  ASSERT_EQ(Api("POST", absl::StrCat("/v1/", name, ":revoke"), "{}").status, 200);
  HttpReply r = Get("/councils/north", session);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/signin");
}

TEST_F(Web, AnotherCouncilsOfficerSeesNoneOfIt) {
  std::string name;
  const std::string session = SignIn(NewKey("OFFICER", "south", &name));
  HttpReply r = Get("/", session);
  EXPECT_EQ(r.status, 303);  // One council: straight to it.
  EXPECT_EQ(r.Header("location"), "/councils/south");
  r = Get("/councils/north", session);
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(absl::StrContains(r.body, "north Council"));
  EXPECT_EQ(Get("/councils/south", session).status, 200);
}

TEST_F(Web, SignInsAndPagesAreInTheAccessLog) {
  const std::string session = SignIn(server_.AdminKey());
  ASSERT_EQ(Get("/councils/north", session).status, 200);
  bool signin = false, page = false;
  for (int attempt = 0; attempt < 50 && !(signin && page); ++attempt) {
    HttpReply log = Api("GET", "/v1/accessLog?council=councils/north");
    page = absl::StrContains(log.body, "/dpmon.v1.Monitoring/CountFlags");
    HttpReply all = Api("GET", "/v1/accessLog");
    signin = absl::StrContains(all.body, R"("method":"POST /signin")");
    if (!(signin && page)) usleep(100'000);
  }
  EXPECT_TRUE(signin);
  EXPECT_TRUE(page);
}

TEST_F(Web, ActingOnAFlagNeedsTheTokenANoteAndARoleThatMay) {
  // A restricted spend on a card raises a flag once the council is evaluated.
  ASSERT_EQ(Api("POST", "/v1/councils/north/accounts?accountId=A1",
                R"({"startDate":"2025-01-01","holding":"PREPAID_CARD","management":"SELF",
                    "recipient":"SERVICE_USER"})")
                .status,
            200);
  ASSERT_EQ(Api("POST", "/v1/councils/north:ingestBatch",
                R"({"items":[{"transaction":{"source":"card","account":"A1","externalId":"P1",
                    "bookingDate":"2025-02-01","amountPence":"50000"}},
                   {"transaction":{"source":"card","account":"A1","externalId":"R1",
                    "bookingDate":"2025-02-03","amountPence":"-2500","mcc":"7995"}}]})")
                .status,
            200);
  ASSERT_EQ(Api("POST", "/v1/councils/north:evaluate", R"({"asOfDate":"2025-02-28"})").status, 200);
  const std::string flag = "/councils/north/accounts/A1/flags/RESTRICTED_SPEND?subject=card%3AR1";
  const std::string session = SignIn(server_.AdminKey());
  HttpReply page = Get(flag, session);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "£25.00")) << page.body;
  const std::string csrf = CsrfOf(page.body);
  const std::string cookie = "dpmon_session=" + session;

  HttpReply r = PostForm(flag, "do=resolve&note=done", cookie);
  EXPECT_EQ(r.status, 403);
  r = PostForm(flag, "csrf=" + UrlEncode(csrf) + "&do=resolve&note=", cookie);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, R"(<a class="govuk-link" href="#note">)")) << r.body;
  EXPECT_TRUE(absl::StrContains(Get(flag, session).body,
                                R"(<dd class="govuk-summary-list__value">Open</dd>)"));

  // A FEED key's session may not act on flags: the permission table says so.
  std::string name;
  const std::string feed = SignIn(NewKey("FEED", "north", &name));
  HttpReply feed_page = Get(flag, feed);
  EXPECT_EQ(feed_page.status, 403);

  r = PostForm(flag,
               "csrf=" + UrlEncode(csrf) +
                   "&do=resolve&request_id=r1&note=" + UrlEncode("Refunded by the provider"),
               cookie);
  EXPECT_EQ(r.status, 303);
  page = Get(flag, session);
  EXPECT_TRUE(
      absl::StrContains(page.body, R"(<dd class="govuk-summary-list__value">Resolved</dd>)"))
      << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "Refunded by the provider"));
  EXPECT_FALSE(absl::StrContains(page.body, "Act on this flag"));
}

TEST_F(Web, TheAccountsFormsNeedTheTokenAndWriteOnceWhenRepeated) {
  ASSERT_EQ(Api("POST", "/v1/councils/north/accounts?accountId=A1",
                R"({"startDate":"2025-01-01","holding":"PREPAID_CARD","management":"SELF",
                    "recipient":"SERVICE_USER","displayName":"Ann Smith"})")
                .status,
            200);
  const std::string session = SignIn(server_.AdminKey());
  const std::string cookie = "dpmon_session=" + session;
  HttpReply page = Get("/councils/north/accounts/A1", session);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(absl::StrContains(page.body, "Account A1: Ann Smith"));
  const std::string csrf = CsrfOf(page.body);
  auto notes = [&] {
    HttpReply r = Api("GET", "/v1/councils/north/accounts/A1/notes");
    EXPECT_EQ(r.status, 200) << r.body;
    int n = 0;
    for (size_t at = r.body.find(R"("text":)"); at != std::string::npos;
         at = r.body.find(R"("text":)", at + 1)) {
      ++n;
    }
    return n;
  };

  // No token: refused, nothing written.
  EXPECT_EQ(PostForm("/councils/north/accounts/A1/notes", "text=hello", cookie).status, 403);
  EXPECT_EQ(notes(), 0);
  // No text: the page again with the error summary linking to the field.
  HttpReply r = PostForm("/councils/north/accounts/A1/notes",
                         "csrf=" + UrlEncode(csrf) + "&request_id=n1&text=+", cookie);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, R"(<a class="govuk-link" href="#notes-text">)")) << r.body;
  EXPECT_EQ(notes(), 0);
  // Sent twice (a double click, a reload): one note.
  for (int i = 0; i < 2; ++i) {
    r = PostForm("/councils/north/accounts/A1/notes",
                 "csrf=" + UrlEncode(csrf) + "&request_id=n2&text=" + UrlEncode("Rang Ann."),
                 cookie);
    EXPECT_EQ(r.status, 303) << r.body;
  }
  EXPECT_EQ(notes(), 1);
  // A review on a date that is not one.
  r = PostForm("/councils/north/accounts/A1/reviews",
               "csrf=" + UrlEncode(csrf) + "&request_id=v1&date=2025-02-30", cookie);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, R"(<a class="govuk-link" href="#reviews-date">)"))
      << r.body;
  EXPECT_TRUE(absl::StrContains(r.body, R"(value="2025-02-30")")) << "what was entered is kept";
  // An unknown form.
  EXPECT_EQ(
      PostForm("/councils/north/accounts/A1/nonsense", "csrf=" + UrlEncode(csrf), cookie).status,
      404);

  // Suspense: an officer may see it but not give a reference to an account.
  ASSERT_EQ(Api("POST", "/v1/councils/north:ingestBatch",
                R"({"items":[{"transaction":{"source":"card","accountRef":"C9","externalId":"S1",
                    "bookingDate":"2025-02-01","amountPence":"-700"}}]})")
                .status,
            200);
  std::string name;
  const std::string officer = SignIn(NewKey("OFFICER", "north", &name));
  HttpReply suspense = Get("/councils/north/suspense", officer);
  ASSERT_EQ(suspense.status, 200) << suspense.body;
  EXPECT_TRUE(absl::StrContains(suspense.body, "C9"));
  r = PostForm("/councils/north/suspense",
               "csrf=" + UrlEncode(CsrfOf(suspense.body)) + "&row=1&source=card&ref=C9&account=A1",
               "dpmon_session=" + officer);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_TRUE(absl::StrContains(Get("/councils/north/suspense", officer).body, "C9"));
  // An administrator may.
  r = PostForm("/councils/north/suspense",
               "csrf=" + UrlEncode(csrf) + "&row=1&source=card&ref=C9&account=A1", cookie);
  EXPECT_EQ(r.status, 303) << r.body;
  EXPECT_FALSE(absl::StrContains(Get("/councils/north/suspense", session).body, "C9"));
}

TEST_F(Web, AdminPagesAreForAdministratorsAndTheirFormsNeedTheToken) {
  std::string officer_name;
  const std::string officer = SignIn(NewKey("OFFICER", "north", &officer_name));
  EXPECT_EQ(Get("/admin/keys", officer).status, 403);
  EXPECT_EQ(Get("/admin/access-log", officer).status, 403);
  // An officer reads the policy but gets no form to change it, and a POST is refused.
  HttpReply policy = Get("/councils/north/policy", officer);
  EXPECT_EQ(policy.status, 200);
  EXPECT_FALSE(absl::StrContains(policy.body, "Save policy"));
  HttpReply r = PostForm("/councils/north/policy",
                         "csrf=" + UrlEncode(CsrfOf(Get("/councils/north/flags", officer).body)) +
                             "&surplus_threshold_weeks=1",
                         "dpmon_session=" + officer);
  EXPECT_EQ(r.status, 403) << r.body;

  const std::string admin = SignIn(server_.AdminKey());
  HttpReply keys = Get("/admin/keys", admin);
  ASSERT_EQ(keys.status, 200);
  const std::string id = officer_name.substr(5);
  // Revoking needs the token.
  EXPECT_EQ(PostForm("/admin/keys/" + id + "/revoke", "", "dpmon_session=" + admin).status, 403);
  EXPECT_EQ(Get("/councils/north", officer).status, 200) << "still in force";
  r = PostForm("/admin/keys/" + id + "/revoke", "csrf=" + UrlEncode(CsrfOf(keys.body)),
               "dpmon_session=" + admin);
  EXPECT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(Get("/councils/north", officer).status, 303) << "revoked: back to sign-in";
  // A new key's secret is in the answer to the POST, and on no page after.
  r = PostForm("/admin/keys",
               "csrf=" + UrlEncode(CsrfOf(keys.body)) +
                   "&display_name=Feed+robot&role=FEED&councils=north&sources=card",
               "dpmon_session=" + admin);
  ASSERT_EQ(r.status, 200) << r.body;
  const size_t at = r.body.find("dpmon_");
  ASSERT_NE(at, std::string::npos);
  const std::string secret = r.body.substr(at, r.body.find('<', at) - at);
  EXPECT_FALSE(absl::StrContains(Get("/admin/keys", admin).body, secret));
  EXPECT_EQ(
      HttpFetch(server_.http_address(), "GET", "/v1/caller", {"Authorization: Bearer " + secret})
          .status,
      200);
}

}  // namespace
}  // namespace dpmon
