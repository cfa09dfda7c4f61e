// Who may do what, over real gRPC on the real server: the matrix of every
// RPC × every role × own and other council, keys on one connection, key
// creation, rotation, revocation (also mid-stream) and expiry, feed sources,
// the access log (denied calls too), bootstrap, and the plaintext rule. TLS
// and mTLS are in tls_test.cc.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "dpmon/v1/dpmon.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/http_client.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using grpc::StatusCode;
using testing::RunCommand;
using testing::TestServer;
using Msg = std::unique_ptr<google::protobuf::Message>;

constexpr char kOwn[] = "own";
constexpr char kOther[] = "other";

// Calls `method` with the serialized `request`; only the status matters here.
grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method,
                     const google::protobuf::Message& request, const std::string& key) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!key.empty()) ctx.AddMetadata("authorization", "Bearer " + key);
  grpc::CompletionQueue cq;
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer send(&slice, 1);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc =
      stub.PrepareUnaryCall(&ctx, method, send, &cq);
  rpc->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  return status;
}

// One call's outcome, however it went.
struct Outcome {
  StatusCode code = StatusCode::UNKNOWN;
  std::string message;
};
using Transport = std::function<Outcome(
    const std::string& method, const google::protobuf::Message& request, const std::string& key)>;

std::string Account(const std::string& council) {
  return absl::StrCat("councils/", council, "/accounts/A1");
}

v1::TransactionInput Txn(const std::string& source, const std::string& id, int64_t pence,
                         const std::string& date, const std::string& mcc = "") {
  v1::TransactionInput t;
  t.set_source(source);
  t.set_account("A1");
  t.set_external_id(id);
  t.set_booking_date(date);
  t.set_amount_pence(pence);
  if (!mcc.empty()) t.set_mcc(mcc);
  return t;
}

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
    admin_ = std::make_unique<Client>(server_.Options());
    for (const char* c : {kOwn, kOther}) MakeCouncil(c);
  }

  template <typename Req, typename Resp, typename Fn>
  grpc::Status Call(Client& client, Fn fn, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    client.PrepareContext(&ctx);
    return fn(&ctx, req, resp);
  }

  void MakeCouncil(const std::string& c) {
    Client& client = *admin_;
    v1::CreateCouncilRequest cc;
    cc.set_council_id(c);
    cc.mutable_council()->set_display_name(c);
    v1::Council council;
    ASSERT_TRUE(
        Call(
            client,
            [&](auto* x, auto& q, auto* p) { return client.councils().CreateCouncil(x, q, p); }, cc,
            &council)
            .ok());
    v1::CreateAccountRequest ca;
    ca.set_parent(absl::StrCat("councils/", c));
    ca.set_account_id("A1");
    ca.mutable_account()->set_start_date("2025-01-01");
    ca.mutable_account()->set_holding(v1::PREPAID_CARD);
    ca.mutable_account()->set_management(v1::SELF);
    ca.mutable_account()->set_recipient(v1::SERVICE_USER);
    v1::Account account;
    ASSERT_TRUE(
        Call(
            client,
            [&](auto* x, auto& q, auto* p) { return client.accounts().CreateAccount(x, q, p); }, ca,
            &account)
            .ok());
    // Restricted spends R0..R39: a flag each for AcknowledgeFlag and ResolveFlag.
    v1::IngestBatchRequest ib;
    ib.set_parent(absl::StrCat("councils/", c));
    *ib.add_items()->mutable_transaction() = Txn("cardco", "PAY", 500000, "2026-05-01");
    for (int i = 0; i < 40; ++i) {
      *ib.add_items()->mutable_transaction() =
          Txn("cardco", absl::StrCat("R", i), -1000 - i, "2026-06-01", "7995");
    }
    v1::IngestBatchResponse ir;
    ASSERT_TRUE(Call(
                    client,
                    [&](auto* x, auto& q, auto* p) { return client.ledger().IngestBatch(x, q, p); },
                    ib, &ir)
                    .ok());
    ASSERT_EQ(ir.accepted(), 41);
    v1::EvaluateCouncilRequest ev;
    ev.set_council(absl::StrCat("councils/", c));
    ev.set_as_of_date("2026-06-30");
    v1::EvaluateCouncilResponse er;
    ASSERT_TRUE(
        Call(
            client,
            [&](auto* x, auto& q, auto* p) { return client.monitoring().EvaluateCouncil(x, q, p); },
            ev, &er)
            .ok());
    ASSERT_GE(er.raised(), 40);
  }

  // A key made by the bootstrap ADMIN; returns the secret, sets *name.
  std::string MakeKey(v1::Role role, const std::vector<std::string>& councils,
                      const std::vector<std::string>& sources = {},
                      const std::string& expire_time = "", std::string* name = nullptr) {
    Client& client = *admin_;
    v1::CreateApiKeyRequest r;
    r.mutable_api_key()->set_display_name(absl::StrCat(v1::Role_Name(role), " test key"));
    r.mutable_api_key()->set_role(role);
    for (const std::string& c : councils) r.mutable_api_key()->add_councils(c);
    for (const std::string& s : sources) r.mutable_api_key()->add_sources(s);
    r.mutable_api_key()->set_expire_time(expire_time);
    v1::CreateApiKeyResponse out;
    grpc::Status s = Call(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().CreateApiKey(x, q, p); }, r,
        &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (name != nullptr) *name = out.api_key().name();
    return out.secret();
  }

  grpc::Status Revoke(const std::string& name) {
    Client& client = *admin_;
    v1::RevokeApiKeyRequest r;
    r.set_name(name);
    v1::ApiKey out;
    return Call(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().RevokeApiKey(x, q, p); }, r,
        &out);
  }

  void RunMatrix(const Transport& call);

  TestServer server_{"auth"};
  std::unique_ptr<Client> admin_;
};

// ---------------------------------------------------------------------------
// The matrix. Written from the issue's role descriptions, not from the
// server's table: FEED ingests; OFFICER reads, acts on flags and records
// reviews, earmarks and status changes; AUDITOR reads, evaluates and records
// audits; ADMIN does everything.

enum Who { kFeed, kOfficer, kAuditor, kAdmin };
constexpr Who kRoles[] = {kFeed, kOfficer, kAuditor, kAdmin};
const char* WhoName(Who w) {
  static const char* names[] = {"FEED", "OFFICER", "AUDITOR", "ADMIN(own council only)"};
  return names[w];
}

struct Case {
  Case() = default;
  Case(std::set<Who> a, std::function<Msg(const std::string&, int)> r, bool s = true,
       StatusCode o = StatusCode::OK, std::optional<StatusCode> x = std::nullopt)
      : allowed(std::move(a)), request(std::move(r)), scoped(s), own(o), other(x) {}
  std::set<Who> allowed;  // ADMIN is always allowed.
  // The request naming council `c`; `n` is unique per call.
  std::function<Msg(const std::string& c, int n)> request;
  // Whether the request names a council (so another council's is NOT_FOUND).
  bool scoped = true;
  // What an allowed caller gets for its own council (default OK).
  StatusCode own = StatusCode::OK;
  // What an allowed caller gets for the other council (default NOT_FOUND
  // when scoped, else OK).
  std::optional<StatusCode> other;
};

template <typename T>
Msg Make(const std::function<void(T*)>& fill) {
  auto m = std::make_unique<T>();
  fill(m.get());
  return m;
}

std::map<std::string, Case> Matrix(const std::map<std::string, std::string>* revocable) {
  const std::set<Who> kReaders = {kOfficer, kAuditor};
  std::map<std::string, Case> m;
  m["/dpmon.v1.Councils/CreateCouncil"] = {{},
                                           [](auto c, int) {
                                             return Make<v1::CreateCouncilRequest>([&](auto* r) {
                                               r->set_council_id(c);
                                               r->mutable_council()->set_display_name("again");
                                             });
                                           },
                                           true,
                                           StatusCode::ALREADY_EXISTS};
  m["/dpmon.v1.Councils/GetCouncil"] = {
      kReaders, [](auto c, int) {
        return Make<v1::GetCouncilRequest>([&](auto* r) { r->set_name("councils/" + c); });
      }};
  m["/dpmon.v1.Councils/ListCouncils"] = {
      kReaders, [](auto, int) { return std::make_unique<v1::ListCouncilsRequest>(); }, false};
  m["/dpmon.v1.Councils/UpdatePolicy"] = {
      {}, [](auto c, int) {
        return Make<v1::UpdatePolicyRequest>([&](auto* r) {
          r->set_council("councils/" + c);
          r->mutable_policy()->set_surplus_threshold_weeks(8);
          r->mutable_update_mask()->add_paths("surplus_threshold_weeks");
        });
      }};
  m["/dpmon.v1.Accounts/CreateAccount"] = {
      {}, [](auto c, int n) {
        return Make<v1::CreateAccountRequest>([&](auto* r) {
          r->set_parent("councils/" + c);
          r->set_account_id(absl::StrCat("N", n));
          r->mutable_account()->set_start_date("2025-01-01");
          r->mutable_account()->set_holding(v1::BANK_ACCOUNT);
          r->mutable_account()->set_management(v1::SELF);
          r->mutable_account()->set_recipient(v1::SERVICE_USER);
        });
      }};
  m["/dpmon.v1.Accounts/GetAccount"] = {
      kReaders, [](auto c, int) {
        return Make<v1::GetAccountRequest>([&](auto* r) { r->set_name(Account(c)); });
      }};
  m["/dpmon.v1.Accounts/ListAccounts"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListAccountsRequest>([&](auto* r) { r->set_parent("councils/" + c); });
      }};
  m["/dpmon.v1.Accounts/UpdateAccount"] = {
      {}, [](auto c, int) {
        return Make<v1::UpdateAccountRequest>([&](auto* r) {
          r->mutable_account()->set_name(Account(c));
          r->mutable_account()->set_care_plan_review_date("2026-03-01");
          r->mutable_update_mask()->add_paths("care_plan_review_date");
        });
      }};
  m["/dpmon.v1.Accounts/AddExternalRef"] = {
      {}, [](auto c, int n) {
        return Make<v1::AddExternalRefRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->mutable_external_ref()->set_source("bank");
          r->mutable_external_ref()->set_ref(absl::StrCat("REF", n));
        });
      }};
  m["/dpmon.v1.Accounts/ChangeAccountStatus"] = {
      {kOfficer}, [](auto c, int) {
        return Make<v1::ChangeAccountStatusRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->mutable_change()->set_date("2025-02-01");
          r->mutable_change()->set_status(v1::ACTIVE);
        });
      }};
  m["/dpmon.v1.Accounts/CreatePlanVersion"] = {
      {}, [](auto c, int) {
        return Make<v1::CreatePlanVersionRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->mutable_plan_version()->set_effective_from("2025-01-01");
          r->mutable_plan_version()->set_weekly_dp_pence(20000);
          r->mutable_plan_version()->set_payment_cycle(v1::FOUR_WEEKLY);
        });
      }};
  m["/dpmon.v1.Accounts/UpsertEarmark"] = {{kOfficer}, [](auto c, int n) {
                                             return Make<v1::UpsertEarmarkRequest>([&](auto* r) {
                                               r->set_account(Account(c));
                                               r->mutable_earmark()->set_id(absl::StrCat("E", n));
                                               r->mutable_earmark()->set_kind(v1::AGREED_PURPOSE);
                                               r->mutable_earmark()->set_amount_pence(1000);
                                               r->mutable_earmark()->set_from("2026-01-01");
                                               r->mutable_earmark()->set_until("2026-12-31");
                                             });
                                           }};
  m["/dpmon.v1.Accounts/RecordReview"] = {{kOfficer}, [](auto c, int) {
                                            return Make<v1::RecordReviewRequest>([&](auto* r) {
                                              r->set_account(Account(c));
                                              r->mutable_review()->set_date("2025-06-01");
                                            });
                                          }};
  m["/dpmon.v1.Accounts/RecordAudit"] = {{kAuditor}, [](auto c, int) {
                                           return Make<v1::RecordAuditRequest>([&](auto* r) {
                                             r->set_account(Account(c));
                                             r->mutable_audit()->set_date("2026-01-10");
                                             r->mutable_audit()->set_period_end("2025-12-31");
                                             r->mutable_audit()->set_auditor("test");
                                           });
                                         }};
  m["/dpmon.v1.Accounts/RecordRecovery"] = {
      {kAuditor}, [](auto c, int n) {
        return Make<v1::RecordRecoveryRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->mutable_recovery()->set_id(absl::StrCat("R", n));
          r->mutable_recovery()->set_amount_pence(100);
          r->mutable_recovery()->set_method(v1::RECLAIM_FROM_ACCOUNT);
          r->mutable_recovery()->set_date("2026-06-01");
          r->mutable_recovery()->set_recorded_by("test");
        });
      }};
  m["/dpmon.v1.Accounts/ListRecoveries"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListRecoveriesRequest>([&](auto* r) { r->set_council("councils/" + c); });
      }};
  m["/dpmon.v1.Accounts/AddCaseNote"] = {
      {kOfficer, kAuditor}, [](auto c, int n) {
        return Make<v1::AddCaseNoteRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->mutable_case_note()->set_text(absl::StrCat("note ", n));
        });
      }};
  m["/dpmon.v1.Accounts/ListCaseNotes"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListCaseNotesRequest>([&](auto* r) { r->set_parent(Account(c)); });
      }};
  m["/dpmon.v1.Accounts/SearchAccounts"] = {kReaders, [](auto c, int) {
                                              return Make<v1::SearchAccountsRequest>([&](auto* r) {
                                                r->set_parent("councils/" + c);
                                                r->set_query("A1");
                                              });
                                            }};
  m["/dpmon.v1.Audits/ListAuditsDue"] = {kReaders, [](auto c, int) {
                                           return Make<v1::ListAuditsDueRequest>([&](auto* r) {
                                             r->set_council("councils/" + c);
                                             r->set_as_of_date("2026-06-30");
                                           });
                                         }};
  m["/dpmon.v1.Audits/ListAccountRisks"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListAccountRisksRequest>([&](auto* r) {
          r->set_council("councils/" + c);
          r->set_as_of_date("2026-06-30");
        });
      }};
  m["/dpmon.v1.Audits/GetAuditPack"] = {kReaders, [](auto c, int) {
                                          return Make<v1::GetAuditPackRequest>([&](auto* r) {
                                            r->set_account(Account(c));
                                            r->set_start_date("2026-01-01");
                                            r->set_end_date("2026-06-30");
                                          });
                                        }};
  m["/dpmon.v1.Ledger/IngestBatch"] = {{kFeed}, [](auto c, int n) {
                                         return Make<v1::IngestBatchRequest>([&](auto* r) {
                                           r->set_parent("councils/" + c);
                                           *r->add_items()->mutable_transaction() = Txn(
                                               "cardco", absl::StrCat("M", n), -100, "2026-06-02");
                                         });
                                       }};
  m["/dpmon.v1.Ledger/RecategoriseTransaction"] = {
      {kOfficer}, [](auto c, int n) {
        return Make<v1::RecategoriseTransactionRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->set_source("cardco");
          r->set_external_id("PAY");
          r->set_category(n % 2 ? v1::COUNCIL_PAYMENT : v1::OTHER_INCOME);
          r->set_note("checked the remittance");
          r->set_actor("officer");
        });
      }};
  m["/dpmon.v1.Ledger/ListTransactions"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListTransactionsRequest>([&](auto* r) { r->set_parent(Account(c)); });
      }};
  m["/dpmon.v1.Ledger/ListStatements"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListStatementsRequest>([&](auto* r) { r->set_parent(Account(c)); });
      }};
  m["/dpmon.v1.Ledger/ListSuspense"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListSuspenseRequest>([&](auto* r) { r->set_parent("councils/" + c); });
      }};
  m["/dpmon.v1.Ledger/GetBalance"] = {kReaders, [](auto c, int) {
                                        return Make<v1::GetBalanceRequest>([&](auto* r) {
                                          r->set_account(Account(c));
                                          r->set_as_of_date("2026-06-30");
                                        });
                                      }};
  m["/dpmon.v1.Ledger/GetCategoryTotals"] = {
      kReaders, [](auto c, int) {
        return Make<v1::GetCategoryTotalsRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->set_start_date("2026-01-01");
          r->set_end_date("2026-06-30");
        });
      }};
  m["/dpmon.v1.Monitoring/EvaluateCouncil"] = {
      kReaders, [](auto c, int) {
        return Make<v1::EvaluateCouncilRequest>([&](auto* r) {
          r->set_council("councils/" + c);
          r->set_as_of_date("2026-06-30");
        });
      }};
  m["/dpmon.v1.Monitoring/ComputeFlagReport"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ComputeFlagReportRequest>([&](auto* r) {
          r->set_council("councils/" + c);
          r->set_as_of_date("2026-06-30");
        });
      }};
  m["/dpmon.v1.Monitoring/ListFlags"] = {
      kReaders, [](auto c, int) {
        return Make<v1::ListFlagsRequest>([&](auto* r) { r->set_council("councils/" + c); });
      }};
  m["/dpmon.v1.Monitoring/CountFlags"] = {
      kReaders, [](auto c, int) {
        return Make<v1::CountFlagsRequest>([&](auto* r) { r->set_council("councils/" + c); });
      }};
  auto act = [](auto c, int n) {
    return Make<v1::ActOnFlagRequest>([&](auto* r) {
      r->set_account(Account(c));
      r->set_kind(v1::RESTRICTED_SPEND);
      r->set_subject(absl::StrCat("cardco:R", n % 40));
      r->set_note("seen");
      r->set_actor("test");
    });
  };
  m["/dpmon.v1.Monitoring/AcknowledgeFlag"] = {{kOfficer}, act};
  m["/dpmon.v1.Monitoring/ResolveFlag"] = {{kOfficer}, act};
  m["/dpmon.v1.Monitoring/GetAccountOverview"] = {
      kReaders, [](auto c, int) {
        return Make<v1::GetAccountOverviewRequest>([&](auto* r) {
          r->set_account(Account(c));
          r->set_as_of_date("2026-06-30");
        });
      }};
  m["/dpmon.v1.Admin/CreateApiKey"] = {
      {},
      [](auto c, int) {
        return Make<v1::CreateApiKeyRequest>([&](auto* r) {
          r->mutable_api_key()->set_display_name("made in the matrix");
          r->mutable_api_key()->set_role(v1::OFFICER);
          r->mutable_api_key()->add_councils(c);
        });
      },
      true,
      StatusCode::OK,
      StatusCode::PERMISSION_DENIED};
  m["/dpmon.v1.Admin/ListApiKeys"] = {
      {}, [](auto, int) { return std::make_unique<v1::ListApiKeysRequest>(); }, false};
  m["/dpmon.v1.Admin/RevokeApiKey"] = {
      {}, [revocable](auto c, int) {
        return Make<v1::RevokeApiKeyRequest>([&](auto* r) { r->set_name(revocable->at(c)); });
      }};
  m["/dpmon.v1.Admin/ListAccessLog"] = {
      {}, [](auto c, int) {
        return Make<v1::ListAccessLogRequest>([&](auto* r) { r->set_council("councils/" + c); });
      }};
  // A backup holds every council: an ADMIN key of one council is refused.
  const auto whole_store = [](auto msg) {
    return Case(
        {}, [msg](auto, int) { return msg(); }, false, StatusCode::PERMISSION_DENIED,
        StatusCode::PERMISSION_DENIED);
  };
  m["/dpmon.v1.Admin/CreateBackup"] =
      whole_store([] { return std::make_unique<v1::CreateBackupRequest>(); });
  m["/dpmon.v1.Admin/ListBackups"] =
      whole_store([] { return std::make_unique<v1::ListBackupsRequest>(); });
  m["/dpmon.v1.Admin/VerifyBackup"] =
      whole_store([] { return std::make_unique<v1::VerifyBackupRequest>(); });
  m["/dpmon.v1.Admin/PruneBackups"] =
      whole_store([] { return Make<v1::PruneBackupsRequest>([](auto* r) { r->set_keep(1); }); });
  m["/dpmon.v1.Admin/CheckIntegrity"] = {
      {}, [](auto c, int) {
        return Make<v1::CheckIntegrityRequest>([&](auto* r) { r->set_council("councils/" + c); });
      }};
  m["/dpmon.v1.Identity/GetCaller"] = {
      {kFeed, kOfficer, kAuditor},
      [](auto, int) { return std::make_unique<v1::GetCallerRequest>(); },
      false};
  return m;
}

// The JSON face's routes, copied from docs/http.md (not from the server's
// table): verb, path template, and where the request goes.
struct HttpRoute {
  std::string verb;
  std::string path;  // Variables: {field.path=pattern}
  std::string body;  // "*", a field, or "" (everything else in the query).
};
const std::map<std::string, HttpRoute>& HttpRoutes() {
  static const auto* routes = new std::map<std::string, HttpRoute>{
      {"/dpmon.v1.Councils/CreateCouncil", {"POST", "/v1/councils", "council"}},
      {"/dpmon.v1.Councils/GetCouncil", {"GET", "/v1/{name=councils/*}", ""}},
      {"/dpmon.v1.Councils/ListCouncils", {"GET", "/v1/councils", ""}},
      {"/dpmon.v1.Councils/UpdatePolicy", {"PATCH", "/v1/{council=councils/*}/policy", "policy"}},
      {"/dpmon.v1.Accounts/CreateAccount", {"POST", "/v1/{parent=councils/*}/accounts", "account"}},
      {"/dpmon.v1.Accounts/GetAccount", {"GET", "/v1/{name=councils/*/accounts/*}", ""}},
      {"/dpmon.v1.Accounts/ListAccounts", {"GET", "/v1/{parent=councils/*}/accounts", ""}},
      {"/dpmon.v1.Accounts/UpdateAccount",
       {"PATCH", "/v1/{account.name=councils/*/accounts/*}", "account"}},
      {"/dpmon.v1.Accounts/AddExternalRef",
       {"POST", "/v1/{account=councils/*/accounts/*}:addExternalRef", "*"}},
      {"/dpmon.v1.Accounts/ChangeAccountStatus",
       {"POST", "/v1/{account=councils/*/accounts/*}:changeStatus", "*"}},
      {"/dpmon.v1.Accounts/CreatePlanVersion",
       {"POST", "/v1/{account=councils/*/accounts/*}:createPlanVersion", "*"}},
      {"/dpmon.v1.Accounts/UpsertEarmark",
       {"POST", "/v1/{account=councils/*/accounts/*}:upsertEarmark", "*"}},
      {"/dpmon.v1.Accounts/RecordReview",
       {"POST", "/v1/{account=councils/*/accounts/*}:recordReview", "*"}},
      {"/dpmon.v1.Accounts/RecordAudit",
       {"POST", "/v1/{account=councils/*/accounts/*}:recordAudit", "*"}},
      {"/dpmon.v1.Accounts/RecordRecovery",
       {"POST", "/v1/{account=councils/*/accounts/*}:recordRecovery", "*"}},
      {"/dpmon.v1.Accounts/ListRecoveries", {"GET", "/v1/{council=councils/*}/recoveries", ""}},
      {"/dpmon.v1.Accounts/AddCaseNote",
       {"POST", "/v1/{account=councils/*/accounts/*}/notes", "case_note"}},
      {"/dpmon.v1.Accounts/ListCaseNotes", {"GET", "/v1/{parent=councils/*/accounts/*}/notes", ""}},
      {"/dpmon.v1.Accounts/SearchAccounts", {"GET", "/v1/{parent=councils/*}/accounts:search", ""}},
      {"/dpmon.v1.Ledger/IngestBatch", {"POST", "/v1/{parent=councils/*}:ingestBatch", "*"}},
      {"/dpmon.v1.Ledger/ListTransactions",
       {"GET", "/v1/{parent=councils/*/accounts/*}/transactions", ""}},
      {"/dpmon.v1.Ledger/ListStatements",
       {"GET", "/v1/{parent=councils/*/accounts/*}/statements", ""}},
      {"/dpmon.v1.Ledger/ListSuspense", {"GET", "/v1/{parent=councils/*}/suspense", ""}},
      {"/dpmon.v1.Ledger/GetBalance", {"GET", "/v1/{account=councils/*/accounts/*}/balance", ""}},
      {"/dpmon.v1.Ledger/GetCategoryTotals",
       {"GET", "/v1/{account=councils/*/accounts/*}/categoryTotals", ""}},
      {"/dpmon.v1.Ledger/RecategoriseTransaction",
       {"POST", "/v1/{account=councils/*/accounts/*}:recategoriseTransaction", "*"}},
      {"/dpmon.v1.Monitoring/EvaluateCouncil", {"POST", "/v1/{council=councils/*}:evaluate", "*"}},
      {"/dpmon.v1.Monitoring/ComputeFlagReport",
       {"GET", "/v1/{council=councils/*}/flagReport", ""}},
      {"/dpmon.v1.Monitoring/ListFlags", {"GET", "/v1/{council=councils/*}/flags", ""}},
      {"/dpmon.v1.Monitoring/CountFlags", {"GET", "/v1/{council=councils/*}/flagCounts", ""}},
      {"/dpmon.v1.Monitoring/AcknowledgeFlag",
       {"POST", "/v1/{account=councils/*/accounts/*}/flags:acknowledge", "*"}},
      {"/dpmon.v1.Monitoring/ResolveFlag",
       {"POST", "/v1/{account=councils/*/accounts/*}/flags:resolve", "*"}},
      {"/dpmon.v1.Monitoring/GetAccountOverview",
       {"GET", "/v1/{account=councils/*/accounts/*}/overview", ""}},
      {"/dpmon.v1.Audits/ListAuditsDue", {"GET", "/v1/{council=councils/*}/auditsDue", ""}},
      {"/dpmon.v1.Audits/ListAccountRisks", {"GET", "/v1/{council=councils/*}/accountRisks", ""}},
      {"/dpmon.v1.Audits/GetAuditPack",
       {"GET", "/v1/{account=councils/*/accounts/*}/auditPack", ""}},
      {"/dpmon.v1.Admin/CreateApiKey", {"POST", "/v1/keys", "api_key"}},
      {"/dpmon.v1.Admin/ListApiKeys", {"GET", "/v1/keys", ""}},
      {"/dpmon.v1.Admin/RevokeApiKey", {"POST", "/v1/{name=keys/*}:revoke", "*"}},
      {"/dpmon.v1.Admin/ListAccessLog", {"GET", "/v1/accessLog", ""}},
      {"/dpmon.v1.Admin/CreateBackup", {"POST", "/v1/backups", "*"}},
      {"/dpmon.v1.Admin/ListBackups", {"GET", "/v1/backups", ""}},
      {"/dpmon.v1.Admin/VerifyBackup", {"POST", "/v1/backups:verify", "*"}},
      {"/dpmon.v1.Admin/PruneBackups", {"POST", "/v1/backups:prune", "*"}},
      {"/dpmon.v1.Admin/CheckIntegrity", {"POST", "/v1/integrity:check", "*"}},
      {"/dpmon.v1.Identity/GetCaller", {"GET", "/v1/caller", ""}},
  };
  return *routes;
}

using google::protobuf::FieldDescriptor;

// The string at `path` ("account.name") of `m`, cleared there.
std::string TakeField(google::protobuf::Message* m, const std::string& path) {
  std::vector<std::string> names = absl::StrSplit(path, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(names[i]);
    if (f == nullptr) return "";
    if (i + 1 == names.size()) {
      std::string v = m->GetReflection()->GetString(*m, f);
      m->GetReflection()->ClearField(m, f);
      return v;
    }
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return "";
}

// The set fields of `m` as query parameters.
std::string QueryOf(const google::protobuf::Message& m) {
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  std::string q;
  auto add = [&](const FieldDescriptor* f, const std::string& v) {
    absl::StrAppend(&q, q.empty() ? "?" : "&", f->json_name(), "=", testing::UrlEncode(v));
  };
  const google::protobuf::Reflection* r = m.GetReflection();
  for (const FieldDescriptor* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const bool rep = f->is_repeated();
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          add(f, rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f));
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          add(f, absl::StrCat(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f)));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          add(f, absl::StrCat(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f)));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          add(f, (rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f)) ? "true" : "false");
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          add(f, (rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f))->name());
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          std::string json;  // A FieldMask: "a,b" in JSON.
          EXPECT_TRUE(google::protobuf::util::MessageToJsonString(r->GetMessage(m, f), &json).ok());
          add(f, json.substr(1, json.size() - 2));
          break;
        }
        default:
          ADD_FAILURE() << f->full_name() << " cannot go in a query";
      }
    }
  }
  return q;
}

StatusCode CodeNamed(const std::string& name) {
  for (int c = 0; c <= 16; ++c) {
    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(c)) == name) {
      return static_cast<StatusCode>(c);
    }
  }
  return StatusCode::UNKNOWN;
}

// AIP-193's HTTP status for each code, for the codes the matrix meets.
int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::OK:
      return 200;
    case StatusCode::INVALID_ARGUMENT:
    case StatusCode::FAILED_PRECONDITION:
      return 400;
    case StatusCode::UNAUTHENTICATED:
      return 401;
    case StatusCode::PERMISSION_DENIED:
      return 403;
    case StatusCode::NOT_FOUND:
      return 404;
    case StatusCode::ALREADY_EXISTS:
    case StatusCode::ABORTED:
      return 409;
    default:
      return 500;
  }
}

// `request` as the JSON face takes it, sent with `key`.
Outcome HttpCall(const std::string& address, const std::string& method,
                 const google::protobuf::Message& request, const std::string& key) {
  const HttpRoute& route = HttpRoutes().at(method);
  std::unique_ptr<google::protobuf::Message> rest(request.New());
  rest->CopyFrom(request);
  std::string target = route.path;
  for (size_t open; (open = target.find('{')) != std::string::npos;) {
    const size_t close = target.find('}', open);
    std::string var = target.substr(open + 1, close - open - 1);
    const std::string field = var.substr(0, var.find('='));
    target.replace(open, close - open + 1, TakeField(rest.get(), field));
  }
  std::string body;
  if (route.body == "*") {
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(*rest, &body).ok());
    rest->Clear();
  } else if (!route.body.empty()) {
    const FieldDescriptor* f = rest->GetDescriptor()->FindFieldByName(route.body);
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(
                    rest->GetReflection()->GetMessage(*rest, f), &body)
                    .ok());
    rest->GetReflection()->ClearField(rest.get(), f);
  }
  target += QueryOf(*rest);
  std::vector<std::string> headers;
  if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
  testing::HttpReply reply = testing::HttpFetch(address, route.verb, target, headers, body);
  Outcome out;
  if (reply.status == 200) {
    out.code = StatusCode::OK;
    return out;
  }
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(reply.body, &json).ok()) {
    out.message = absl::StrCat("HTTP ", reply.status, ": ", reply.body);
    return out;
  }
  const auto& error = json.fields().at("error").struct_value().fields();
  out.code = CodeNamed(error.at("status").string_value());
  out.message = error.at("message").string_value();
  EXPECT_EQ(reply.status, HttpStatusFor(out.code)) << target << ": " << out.message;
  return out;
}

// Every row of the matrix, for every role and both councils, plus no key, a
// malformed key and a key nobody issued; through `call`.
void Auth::RunMatrix(const Transport& call) {
  std::map<Who, std::string> keys;
  keys[kFeed] = MakeKey(v1::FEED, {kOwn});
  keys[kOfficer] = MakeKey(v1::OFFICER, {kOwn});
  keys[kAuditor] = MakeKey(v1::AUDITOR, {kOwn});
  keys[kAdmin] = MakeKey(v1::ADMIN, {kOwn});
  // Each RevokeApiKey call revokes a fresh OFFICER key of that council.
  std::map<std::string, std::string> revocable;
  const std::map<std::string, Case> matrix = Matrix(&revocable);
  int n = 0;
  int calls = 0;
  for (const auto& [method, c] : matrix) {
    SCOPED_TRACE(method);
    for (const std::string& bad :
         {std::string(), std::string("nonsense"),
          std::string("dpmon_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}) {
      revocable[kOwn] = "keys/none";
      EXPECT_EQ(call(method, *c.request(kOwn, ++n), bad).code, StatusCode::UNAUTHENTICATED)
          << "key \"" << bad << "\"";
      ++calls;
    }
    for (Who who : kRoles) {
      for (const char* council : {kOwn, kOther}) {
        std::string revoke_name;
        if (method == "/dpmon.v1.Admin/RevokeApiKey") {
          MakeKey(v1::OFFICER, {council}, {}, "", &revoke_name);
          revocable[council] = revoke_name;
        }
        const bool allowed = who == kAdmin || c.allowed.count(who) > 0;
        StatusCode want;
        if (!allowed) {
          want = StatusCode::PERMISSION_DENIED;
        } else if (std::string(council) == kOwn) {
          want = c.own;
        } else {
          want = c.other.value_or(c.scoped ? StatusCode::NOT_FOUND : StatusCode::OK);
        }
        Outcome got = call(method, *c.request(council, ++n), keys[who]);
        EXPECT_EQ(got.code, want) << WhoName(who) << " on council " << council << ": "
                                  << got.message;
        if (want == StatusCode::NOT_FOUND) {
          // Worded as for a council (or key) that does not exist: nothing leaks.
          EXPECT_EQ(got.message, revoke_name.empty()
                                     ? absl::StrCat("council \"", council, "\" not found")
                                     : absl::StrCat("key \"", revoke_name, "\" not found"));
        }
        ++calls;
      }
    }
  }
  EXPECT_GT(calls, 300);
}

TEST_F(Auth, MatrixOfEveryMethodRoleAndCouncil) {
  // Every method of every dpmon service must have a row: a new RPC without
  // one fails here.
  std::map<std::string, std::string> unused_revocable;
  const std::map<std::string, Case> matrix = Matrix(&unused_revocable);
  const google::protobuf::FileDescriptor* file = v1::IngestBatchRequest::descriptor()->file();
  std::set<std::string> methods;
  for (int i = 0; i < file->service_count(); ++i) {
    const google::protobuf::ServiceDescriptor* s = file->service(i);
    for (int j = 0; j < s->method_count(); ++j) {
      methods.insert(absl::StrCat("/", s->full_name(), "/", s->method(j)->name()));
    }
  }
  for (const std::string& m : methods) {
    EXPECT_TRUE(matrix.count(m) || m == "/dpmon.v1.Ledger/StreamIngest")
        << m << " has no row in the permission matrix";
  }
  for (const auto& [m, unused] : matrix) EXPECT_TRUE(methods.count(m)) << m;

  auto channel = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  RunMatrix([&](const std::string& method, const google::protobuf::Message& request,
                const std::string& key) {
    grpc::Status s = CallRaw(stub, method, request, key);
    return Outcome{s.error_code(), s.error_message()};
  });
  std::map<Who, std::string> keys;
  keys[kFeed] = MakeKey(v1::FEED, {kOwn});
  keys[kOfficer] = MakeKey(v1::OFFICER, {kOwn});
  keys[kAuditor] = MakeKey(v1::AUDITOR, {kOwn});
  keys[kAdmin] = MakeKey(v1::ADMIN, {kOwn});
  int n = 0;

  // StreamIngest: FEED and ADMIN on their council; not on the other; no
  // other role at all.
  for (Who who : kRoles) {
    for (const char* council : {kOwn, kOther}) {
      Client client(server_.OptionsWithKey(keys[who]));
      bool sent = false;
      int acks = 0;
      absl::Status s = client.StreamIngest(
          [&](v1::IngestBatchRequest* b) {
            if (sent) return false;
            sent = true;
            b->set_parent(absl::StrCat("councils/", council));
            *b->add_items()->mutable_transaction() =
                Txn("cardco", absl::StrCat("S", ++n), -100, "2026-06-03");
            return true;
          },
          1, [&](const v1::IngestBatchResponse&) { ++acks; });
      const bool allowed = who == kFeed || who == kAdmin;
      const absl::StatusCode want = !allowed ? absl::StatusCode::kPermissionDenied
                                    : std::string(council) == kOwn ? absl::StatusCode::kOk
                                                                   : absl::StatusCode::kNotFound;
      EXPECT_EQ(s.code(), want) << WhoName(who) << " streaming to " << council << ": " << s;
      EXPECT_EQ(acks, want == absl::StatusCode::kOk ? 1 : 0);
    }
  }

  // Health checks need no key (an empty HealthCheckRequest is zero bytes,
  // as is GetCallerRequest).
  EXPECT_TRUE(CallRaw(stub, "/grpc.health.v1.Health/Check", v1::GetCallerRequest(), "").ok());
}

TEST_F(Auth, MatrixOverHttp) {
  // Every row has a route (the server's table must match docs/http.md's,
  // copied here).
  std::map<std::string, std::string> unused_revocable;
  for (const auto& [m, unused] : Matrix(&unused_revocable)) {
    EXPECT_TRUE(HttpRoutes().count(m)) << m << " has no route in docs/http.md";
  }
  ASSERT_FALSE(server_.http_address().empty());
  RunMatrix([&](const std::string& method, const google::protobuf::Message& request,
                const std::string& key) {
    return HttpCall(server_.http_address(), method, request, key);
  });
}

// One connection, two keys: each call is its own key's, whatever came before
// on the connection.
TEST_F(Auth, EachCallIsItsOwnKeysOnASharedConnection) {
  const std::string officer_other = MakeKey(v1::OFFICER, {kOther});
  const std::string admin = server_.AdminKey();
  auto channel = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
  v1::Identity::Stub identity(channel);
  v1::Ledger::Stub ledger(channel);
  for (int i = 0; i < 3; ++i) {
    for (const std::string* key : {&admin, &officer_other}) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + *key);
      v1::GetBalanceRequest r;
      r.set_account(Account(kOwn));
      r.set_as_of_date("2026-06-30");
      v1::Balance b;
      grpc::Status s = ledger.GetBalance(&ctx, r, &b);
      EXPECT_EQ(s.error_code(), key == &admin ? StatusCode::OK : StatusCode::NOT_FOUND) << i;
      grpc::ClientContext ctx2;
      ctx2.AddMetadata("authorization", "Bearer " + *key);
      v1::ApiKey me;
      ASSERT_TRUE(identity.GetCaller(&ctx2, v1::GetCallerRequest(), &me).ok());
      EXPECT_EQ(me.role(), key == &admin ? v1::ADMIN : v1::OFFICER);
    }
  }
}

TEST_F(Auth, RevocationRotationAndRestart) {
  std::string old_name;
  const std::string old_key = MakeKey(v1::OFFICER, {kOwn}, {}, "", &old_name);
  auto whoami = [this](const std::string& key) {
    Client c(server_.OptionsWithKey(key));
    v1::ApiKey me;
    grpc::ClientContext ctx;
    c.PrepareContext(&ctx);
    grpc::Status s = c.identity().GetCaller(&ctx, v1::GetCallerRequest(), &me);
    return std::make_pair(s.error_code(), me.name());
  };
  EXPECT_EQ(whoami(old_key), std::make_pair(StatusCode::OK, old_name));
  // Rotate: a new key, then revoke the old one; the old stops at once.
  std::string new_name;
  const std::string new_key = MakeKey(v1::OFFICER, {kOwn}, {}, "", &new_name);
  ASSERT_TRUE(Revoke(old_name).ok());
  EXPECT_EQ(whoami(old_key).first, StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(whoami(new_key), std::make_pair(StatusCode::OK, new_name));
  // A secret differing in one character is refused.
  std::string forged = new_key;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(whoami(forged).first, StatusCode::UNAUTHENTICATED);

  // The list shows no secret (ApiKey has no field for one) and the revoked
  // key only when asked.
  Client& client = *admin_;
  v1::ListApiKeysRequest lr;
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(Call(
                  client,
                  [&](auto* x, auto& q, auto* p) { return client.admin().ListApiKeys(x, q, p); },
                  lr, &listed)
                  .ok());
  std::set<std::string> names;
  for (const auto& k : listed.api_keys()) names.insert(k.name());
  EXPECT_TRUE(names.count(new_name));
  EXPECT_FALSE(names.count(old_name));
  lr.set_show_revoked(true);
  ASSERT_TRUE(Call(
                  client,
                  [&](auto* x, auto& q, auto* p) { return client.admin().ListApiKeys(x, q, p); },
                  lr, &listed)
                  .ok());
  bool found_revoked = false;
  for (const auto& k : listed.api_keys()) {
    if (k.name() == old_name) found_revoked = !k.revoke_time().empty() && !k.revoker().empty();
  }
  EXPECT_TRUE(found_revoked);

  // A retried create (same request_id) makes no second key and shows no secret.
  v1::CreateApiKeyRequest cr;
  cr.mutable_api_key()->set_display_name("retried");
  cr.mutable_api_key()->set_role(v1::AUDITOR);
  cr.mutable_api_key()->add_councils(kOwn);
  cr.set_request_id("create-auditor-1");
  v1::CreateApiKeyResponse first, second;
  ASSERT_TRUE(Call(
                  client,
                  [&](auto* x, auto& q, auto* p) { return client.admin().CreateApiKey(x, q, p); },
                  cr, &first)
                  .ok());
  EXPECT_FALSE(first.secret().empty());
  grpc::Status again = Call(
      client, [&](auto* x, auto& q, auto* p) { return client.admin().CreateApiKey(x, q, p); }, cr,
      &second);
  EXPECT_EQ(again.error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_NE(again.error_message().find(first.api_key().name()), std::string::npos);
  EXPECT_TRUE(second.secret().empty());

  // Keys and revocations survive a restart; the bootstrap key file is not rewritten.
  const std::string admin_key = server_.AdminKey();
  ASSERT_TRUE(server_.Terminate());
  ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
  EXPECT_EQ(server_.AdminKey(), admin_key);
  EXPECT_EQ(whoami(old_key).first, StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(whoami(new_key), std::make_pair(StatusCode::OK, new_name));
  EXPECT_EQ(whoami(first.secret()), std::make_pair(StatusCode::OK, first.api_key().name()));
}

TEST_F(Auth, ExpiredKeyStopsWorking) {
  const std::string expiry =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Seconds(3), absl::UTCTimeZone());
  const std::string key = MakeKey(v1::AUDITOR, {kOwn}, {}, expiry);
  Client c(server_.OptionsWithKey(key));
  auto call = [&c] {
    grpc::ClientContext ctx;
    c.PrepareContext(&ctx);
    v1::ApiKey me;
    return c.identity().GetCaller(&ctx, v1::GetCallerRequest(), &me);
  };
  EXPECT_TRUE(call().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(4200));
  grpc::Status s = call();
  EXPECT_EQ(s.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("expired"), std::string::npos) << s.error_message();

  // An expiry in the past is refused at creation.
  Client& client = *admin_;
  v1::CreateApiKeyRequest r;
  r.mutable_api_key()->set_display_name("past");
  r.mutable_api_key()->set_role(v1::AUDITOR);
  r.mutable_api_key()->add_councils(kOwn);
  r.mutable_api_key()->set_expire_time("2020-01-01T00:00:00Z");
  v1::CreateApiKeyResponse out;
  grpc::Status bad = Call(
      client, [&](auto* x, auto& q, auto* p) { return client.admin().CreateApiKey(x, q, p); }, r,
      &out);
  EXPECT_EQ(bad.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(bad), "api_key.expire_time");
}

TEST_F(Auth, RevokedKeyStopsAStreamAtItsNextBatch) {
  std::string name;
  const std::string key = MakeKey(v1::FEED, {kOwn}, {}, "", &name);
  Client feed(server_.OptionsWithKey(key));
  int sent = 0, acks = 0;
  absl::Status s = feed.StreamIngest(
      [&](v1::IngestBatchRequest* b) {
        if (sent == 1) {
          // The first batch is acknowledged (window 1); now revoke.
          EXPECT_TRUE(Revoke(name).ok());
        }
        if (sent == 3) return false;
        b->set_parent(absl::StrCat("councils/", kOwn));
        *b->add_items()->mutable_transaction() =
            Txn("cardco", absl::StrCat("RV", sent), -100, "2026-06-04");
        ++sent;
        return true;
      },
      1, [&](const v1::IngestBatchResponse&) { ++acks; });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(acks, 1);
  // Only the acknowledged batch is in the ledger.
  Client& client = *admin_;
  v1::ListTransactionsRequest lr;
  lr.set_parent(Account(kOwn));
  lr.set_start_date("2026-06-04");
  lr.set_end_date("2026-06-04");
  v1::ListTransactionsResponse listed;
  ASSERT_TRUE(
      Call(
          client,
          [&](auto* x, auto& q, auto* p) { return client.ledger().ListTransactions(x, q, p); }, lr,
          &listed)
          .ok());
  ASSERT_EQ(listed.transactions_size(), 1);
  EXPECT_EQ(listed.transactions(0).input().external_id(), "RV0");
}

TEST_F(Auth, FeedKeyPushesOnlyItsSources) {
  const std::string key = MakeKey(v1::FEED, {kOwn}, {"cardco"});
  Client feed(server_.OptionsWithKey(key));
  v1::IngestBatchRequest r;
  r.set_parent(absl::StrCat("councils/", kOwn));
  *r.add_items()->mutable_transaction() = Txn("cardco", "F1", -250, "2026-06-05");
  *r.add_items()->mutable_transaction() = Txn("bankx", "F2", -250, "2026-06-05");
  v1::StatementInput* st = r.add_items()->mutable_statement();
  st->set_source("bankx");
  st->set_account("A1");
  st->set_date("2026-06-05");
  st->set_closing_balance_pence(1);
  v1::IngestBatchResponse out;
  ASSERT_TRUE(Call(
                  feed,
                  [&](auto* x, auto& q, auto* p) { return feed.ledger().IngestBatch(x, q, p); }, r,
                  &out)
                  .ok());
  ASSERT_EQ(out.results_size(), 3);
  EXPECT_EQ(out.results(0).outcome(), v1::ACCEPTED);
  EXPECT_EQ(out.results(1).outcome(), v1::DENIED);
  EXPECT_EQ(out.results(1).field(), "items[1].transaction.source");
  EXPECT_EQ(out.results(2).outcome(), v1::DENIED);
  EXPECT_EQ(out.results(2).field(), "items[2].statement.source");
  EXPECT_EQ(out.accepted(), 1);
  EXPECT_EQ(out.denied(), 2);
  Client& client = *admin_;
  v1::ListTransactionsRequest lr;
  lr.set_parent(Account(kOwn));
  lr.set_start_date("2026-06-05");
  lr.set_end_date("2026-06-05");
  v1::ListTransactionsResponse listed;
  ASSERT_TRUE(
      Call(
          client,
          [&](auto* x, auto& q, auto* p) { return client.ledger().ListTransactions(x, q, p); }, lr,
          &listed)
          .ok());
  ASSERT_EQ(listed.transactions_size(), 1);
  EXPECT_EQ(listed.transactions(0).input().source(), "cardco");
}

TEST_F(Auth, AKeyGrantsOnlyWhatItsCreatorHolds) {
  Client scoped(server_.OptionsWithKey(MakeKey(v1::ADMIN, {kOwn})));
  v1::CreateApiKeyRequest r;
  r.mutable_api_key()->set_display_name("too wide");
  r.mutable_api_key()->set_role(v1::OFFICER);
  r.mutable_api_key()->set_all_councils(true);
  v1::CreateApiKeyResponse out;
  EXPECT_EQ(
      Call(
          scoped, [&](auto* x, auto& q, auto* p) { return scoped.admin().CreateApiKey(x, q, p); },
          r, &out)
          .error_code(),
      StatusCode::PERMISSION_DENIED);
  // Sources only for FEED; a role is required.
  r.mutable_api_key()->set_all_councils(false);
  r.mutable_api_key()->add_councils(kOwn);
  r.mutable_api_key()->add_sources("cardco");
  grpc::Status s = Call(
      scoped, [&](auto* x, auto& q, auto* p) { return scoped.admin().CreateApiKey(x, q, p); }, r,
      &out);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(s), "api_key.sources");
  r.mutable_api_key()->clear_sources();
  r.mutable_api_key()->set_role(v1::ROLE_UNSPECIFIED);
  s = Call(
      scoped, [&](auto* x, auto& q, auto* p) { return scoped.admin().CreateApiKey(x, q, p); }, r,
      &out);
  EXPECT_EQ(BadRequestField(s), "api_key.role");
  // Its key list holds only keys within its councils.
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(Call(
                  scoped,
                  [&](auto* x, auto& q, auto* p) { return scoped.admin().ListApiKeys(x, q, p); },
                  v1::ListApiKeysRequest(), &listed)
                  .ok());
  for (const auto& k : listed.api_keys()) {
    EXPECT_FALSE(k.all_councils()) << k.name();
    for (const auto& c : k.councils()) EXPECT_EQ(c, kOwn) << k.name();
  }
}

TEST_F(Auth, AccessLogRecordsWhoLookedIncludingRefusals) {
  std::string officer_name;
  const std::string officer = MakeKey(v1::OFFICER, {kOwn}, {}, "", &officer_name);
  std::string feed_name;
  const std::string feed = MakeKey(v1::FEED, {kOwn}, {}, "", &feed_name);
  auto channel = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  v1::GetBalanceRequest own;
  own.set_account(Account(kOwn));
  own.set_as_of_date("2026-06-30");
  v1::GetBalanceRequest other = own;
  other.set_account(Account(kOther));
  const std::string m = "/dpmon.v1.Ledger/GetBalance";
  ASSERT_TRUE(CallRaw(stub, m, own, officer).ok());
  ASSERT_EQ(CallRaw(stub, m, other, officer).error_code(), StatusCode::NOT_FOUND);
  ASSERT_EQ(CallRaw(stub, m, own, feed).error_code(), StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(CallRaw(stub, m, own, "").error_code(), StatusCode::UNAUTHENTICATED);

  auto list = [this](v1::ListAccessLogRequest r) {
    Client& client = *admin_;
    v1::ListAccessLogResponse out;
    grpc::Status s = Call(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().ListAccessLog(x, q, p); }, r,
        &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  };
  // Who touched councils/own/accounts/A1: the officer's read, newest first
  // after the setup's writes.
  v1::ListAccessLogRequest by_account;
  by_account.set_account(Account(kOwn));
  v1::ListAccessLogResponse a = list(by_account);
  ASSERT_GE(a.entries_size(), 1);
  EXPECT_EQ(a.entries(0).key(), officer_name);
  EXPECT_EQ(a.entries(0).method(), m);
  EXPECT_EQ(a.entries(0).code(), "OK");
  EXPECT_EQ(a.entries(0).account(), "A1");
  for (const auto& e : a.entries()) EXPECT_EQ(e.council(), kOwn);
  // Council and account together: the proto allows at most one (issue 13).
  {
    v1::ListAccessLogRequest both;
    both.set_account(Account(kOwn));
    both.set_council(absl::StrCat("councils/", kOwn));
    Client& client = *admin_;
    v1::ListAccessLogResponse out;
    grpc::Status s = Call(
        client, [&](auto* x, auto& q, auto* p) { return client.admin().ListAccessLog(x, q, p); },
        both, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(BadRequestField(s), "council");
  }
  // The other council's log holds the refused look, under its council.
  v1::ListAccessLogRequest by_other;
  by_other.set_council(absl::StrCat("councils/", kOther));
  by_other.set_key(officer_name);
  v1::ListAccessLogResponse o = list(by_other);
  ASSERT_EQ(o.entries_size(), 1);
  EXPECT_EQ(o.entries(0).code(), "NOT_FOUND");
  // The whole log holds the role refusal and the call without a key.
  v1::ListAccessLogResponse all = list(v1::ListAccessLogRequest());
  bool denied = false, unauthenticated = false;
  for (const auto& e : all.entries()) {
    if (e.key() == feed_name && e.code() == "PERMISSION_DENIED" && e.method() == m) denied = true;
    if (e.key().empty() && e.code() == "UNAUTHENTICATED" && e.method() == m) unauthenticated = true;
  }
  EXPECT_TRUE(denied);
  EXPECT_TRUE(unauthenticated);
  // Paging gives the same entries as one page.
  v1::ListAccessLogRequest paged;
  paged.set_page_size(3);
  std::vector<std::string> seen;
  do {
    v1::ListAccessLogResponse p = list(paged);
    for (const auto& e : p.entries()) seen.push_back(e.time() + e.method() + e.code());
    paged.set_page_token(p.next_page_token());
  } while (!paged.page_token().empty());
  std::vector<std::string> whole;
  for (const auto& e : all.entries()) whole.push_back(e.time() + e.method() + e.code());
  // The listing calls themselves are logged between pages; compare the older part.
  ASSERT_GE(seen.size(), whole.size());
  EXPECT_EQ(std::vector<std::string>(seen.end() - static_cast<long>(whole.size()), seen.end()),
            whole);

  // Kept across a restart, and readable with dpctl.
  ASSERT_TRUE(server_.Terminate());
  ASSERT_TRUE(server_.Start({"--evaluate_at=off"}));
  std::string out;
  ASSERT_EQ(RunCommand(server_.Dpctl({"admin", "access-log", "--council", kOther, "--account", "A1",
                                      "--format", "json"}),
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("\"code\":\"NOT_FOUND\""), std::string::npos) << out;
  EXPECT_NE(out.find(officer_name), std::string::npos) << out;
}

TEST(AuthStartup, BootstrapKeyFileAndPlaintextRule) {
  TestServer server("auth_boot");
  ASSERT_TRUE(server.Start({"--evaluate_at=off"}));
  struct stat st;
  ASSERT_EQ(stat(server.admin_key_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string out;
  EXPECT_EQ(RunCommand(server.Dpctl({"whoami"}), &out), 0) << out;
  EXPECT_NE(out.find("ADMIN"), std::string::npos) << out;
  // Without a key (an empty key file): refused, non-zero exit.
  const std::string empty = server.data_dir() + "-empty.key";
  { std::ofstream(empty) << ""; }
  EXPECT_NE(
      RunCommand({DPMON_DPCTL_BIN, "--server=" + server.address(), "--key_file=" + empty, "whoami"},
                 &out),
      0);
  ASSERT_TRUE(server.Terminate());

  // Plaintext anywhere but loopback is refused; so is --auth=off there.
  TestServer open("auth_open");
  EXPECT_FALSE(open.Start({"--listen=0.0.0.0:0"}));
  TestServer off("auth_off");
  EXPECT_FALSE(off.Start({"--listen=0.0.0.0:0", "--auth=off"}));
}

}  // namespace
}  // namespace dpmon
