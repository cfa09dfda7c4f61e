// TLS and mTLS handshakes with certificates the test makes (openssl):
// the real server with --tls_cert_file and --tls_client_ca_file, clients
// that trust or do not trust it, with and without client certificates,
// client certificates mapped to keys, and dpctl over TLS.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

constexpr char kOpenssl[] = "/usr/bin/openssl";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A CA, a server certificate for localhost and 127.0.0.1, and client
// certificates; `rogue-*` are signed by a second CA the server does not trust.
class Certs {
 public:
  Certs() {
    dir_ = (std::filesystem::temp_directory_path() / absl::StrCat("dpmon_tls_", getpid())).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ok_ = MakeCa("ca") && MakeCa("rogue-ca") &&
          MakeLeaf("server", "ca", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1") &&
          MakeLeaf("audit-job", "ca", "audit-job", "") &&
          MakeLeaf("stranger", "ca", "stranger", "") &&
          MakeLeaf("rogue-audit-job", "rogue-ca", "audit-job", "");
  }
  ~Certs() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name, const char* ext) const {
    return absl::StrCat(dir_, "/", name, ext);
  }
  std::string Pem(const std::string& name) const { return Read(Path(name, ".pem")); }
  std::string Key(const std::string& name) const { return Read(Path(name, ".key")); }

 private:
  bool Run(std::vector<std::string> args) {
    args.insert(args.begin(), kOpenssl);
    std::string out;
    return RunCommand(args, &out) == 0;
  }
  bool MakeCa(const std::string& name) {
    return Run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", Path(name, ".key"), "-out", Path(name, ".pem"), "-days", "2",
                "-subj", "/CN=" + name});
  }
  bool MakeLeaf(const std::string& name, const std::string& ca, const std::string& cn,
                const std::string& ext) {
    if (!Run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", Path(name, ".key"), "-out", Path(name, ".csr"), "-subj", "/CN=" + cn})) {
      return false;
    }
    std::vector<std::string> sign = {"x509",
                                     "-req",
                                     "-in",
                                     Path(name, ".csr"),
                                     "-CA",
                                     Path(ca, ".pem"),
                                     "-CAkey",
                                     Path(ca, ".key"),
                                     "-CAcreateserial",
                                     "-out",
                                     Path(name, ".pem"),
                                     "-days",
                                     "2"};
    if (!ext.empty()) {
      std::ofstream(Path(name, ".ext")) << ext << "\n";
      sign.push_back("-extfile");
      sign.push_back(Path(name, ".ext"));
    }
    return Run(sign);
  }

  std::string dir_;
  bool ok_ = false;
};

// GetCaller over `options`; the status and the key's name.
std::pair<grpc::StatusCode, std::string> WhoAmI(const ClientOptions& options) {
  ClientOptions o = options;
  o.deadline = absl::Seconds(10);
  Client c(o);
  grpc::ClientContext ctx;
  c.PrepareContext(&ctx);
  v1::ApiKey me;
  grpc::Status s = c.identity().GetCaller(&ctx, v1::GetCallerRequest(), &me);
  return {s.error_code(), me.name()};
}

ClientOptions Tls(const TestServer& server, const Certs& certs, const std::string& key,
                  const std::string& client_cert = "", const std::string& trust = "ca") {
  ClientOptions o = server.OptionsWithKey(key);
  o.tls = true;
  o.tls_root_certs = certs.Pem(trust);
  o.tls_server_name = "localhost";
  if (!client_cert.empty()) {
    o.tls_cert_chain = certs.Pem(client_cert);
    o.tls_private_key = certs.Key(client_cert);
  }
  return o;
}

// An HTTPS request through openssl s_client, trusting `ca`: the answer.
std::string HttpsGet(const std::string& port, const Certs& certs, const std::string& target,
                     const std::string& key) {
  std::string out;
  RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat("printf 'GET ", target,
                    " HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer ", key,
                    "\\r\\nConnection: close\\r\\n\\r\\n' | ", kOpenssl,
                    " s_client -quiet -verify_return_error -connect 127.0.0.1:", port,
                    " -servername localhost -CAfile ", certs.Path("ca", ".pem"), " 2>/dev/null")},
      &out);
  return out;
}

TEST(Tls, TheHttpListenerServesHttpsOffLoopback) {
  Certs certs;
  ASSERT_TRUE(certs.ok());
  TestServer server("tls_http");
  ASSERT_TRUE(server.Start({"--evaluate_at=off", "--http_listen=0.0.0.0:0",
                            "--tls_cert_file=" + certs.Path("server", ".pem"),
                            "--tls_key_file=" + certs.Path("server", ".key")}));
  const std::string port = server.http_address().substr(server.http_address().rfind(':') + 1);
  std::string reply = HttpsGet(port, certs, "/v1/caller", server.AdminKey());
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 200")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, R"("role":"ADMIN")")) << reply;
  // Under TLS the dashboard's cookies are Secure.
  reply = HttpsGet(port, certs, "/signin", "");
  EXPECT_TRUE(absl::StrContains(reply, "SameSite=Strict; Secure")) << reply;
  // Plain HTTP to the HTTPS listener gets no answer.
  EXPECT_NE(testing::HttpFetch("127.0.0.1:" + port, "GET", "/v1/caller").status, 200);
}

TEST(Tls, ServerCertificateOnAnyAddress) {
  Certs certs;
  ASSERT_TRUE(certs.ok());
  TestServer server("tls");
  // With TLS the server may listen beyond loopback.
  ASSERT_TRUE(server.Start({"--evaluate_at=off", "--listen=0.0.0.0:0",
                            "--tls_cert_file=" + certs.Path("server", ".pem"),
                            "--tls_key_file=" + certs.Path("server", ".key")}));
  const std::string admin = server.AdminKey();
  EXPECT_EQ(WhoAmI(Tls(server, certs, admin)).first, grpc::StatusCode::OK);
  // The key is still required over TLS.
  EXPECT_EQ(WhoAmI(Tls(server, certs, "")).first, grpc::StatusCode::UNAUTHENTICATED);
  // A client that does not trust the server's CA, or talks plaintext, gets nowhere.
  EXPECT_EQ(WhoAmI(Tls(server, certs, admin, "", "rogue-ca")).first, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(WhoAmI(server.OptionsWithKey(admin)).first, grpc::StatusCode::UNAVAILABLE);
  // dpctl over TLS.
  std::string out;
  EXPECT_EQ(
      RunCommand(
          {DPMON_DPCTL_BIN, "--server=" + server.address(), "--key_file=" + server.admin_key_file(),
           "--tls_ca_file=" + certs.Path("ca", ".pem"), "--tls_server_name=localhost", "whoami"},
          &out),
      0)
      << out;
  EXPECT_NE(out.find("ADMIN"), std::string::npos) << out;
}

TEST(Tls, ClientCertificatesMapToKeys) {
  Certs certs;
  ASSERT_TRUE(certs.ok());
  TestServer server("mtls");
  ASSERT_TRUE(server.Start({"--evaluate_at=off", "--tls_cert_file=" + certs.Path("server", ".pem"),
                            "--tls_key_file=" + certs.Path("server", ".key"),
                            "--tls_client_ca_file=" + certs.Path("ca", ".pem")}));
  const std::string admin = server.AdminKey();
  // Every client needs a certificate the CA signed; the API key, when sent, decides who it is.
  ASSERT_EQ(WhoAmI(Tls(server, certs, admin, "stranger")).first, grpc::StatusCode::OK);
  EXPECT_EQ(WhoAmI(Tls(server, certs, admin)).first, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(WhoAmI(Tls(server, certs, admin, "rogue-audit-job")).first,
            grpc::StatusCode::UNAVAILABLE);

  // Map the audit-job certificate to an AUDITOR key.
  Client client(Tls(server, certs, admin, "stranger"));
  v1::CreateApiKeyRequest r;
  r.mutable_api_key()->set_display_name("nightly audit job");
  r.mutable_api_key()->set_role(v1::AUDITOR);
  r.mutable_api_key()->add_councils("demo");
  r.mutable_api_key()->set_kind(v1::CLIENT_CERTIFICATE);
  r.mutable_api_key()->set_certificate_common_name("audit-job");
  v1::CreateApiKeyResponse created;
  {
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    grpc::Status s = client.admin().CreateApiKey(&ctx, r, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_TRUE(created.secret().empty());
  EXPECT_EQ(WhoAmI(Tls(server, certs, "", "audit-job")),
            std::make_pair(grpc::StatusCode::OK, created.api_key().name()));
  // A certificate nobody mapped, without a key: refused.
  EXPECT_EQ(WhoAmI(Tls(server, certs, "", "stranger")).first, grpc::StatusCode::UNAUTHENTICATED);
  // The same common name from an untrusted CA never gets past the handshake.
  EXPECT_EQ(WhoAmI(Tls(server, certs, "", "rogue-audit-job")).first, grpc::StatusCode::UNAVAILABLE);
  // Revoking the key stops the certificate at once.
  v1::RevokeApiKeyRequest rv;
  rv.set_name(created.api_key().name());
  v1::ApiKey revoked;
  {
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    ASSERT_TRUE(client.admin().RevokeApiKey(&ctx, rv, &revoked).ok());
  }
  EXPECT_EQ(WhoAmI(Tls(server, certs, "", "audit-job")).first, grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace dpmon
