// The gRPC services of dpmon API v1 (callback API).
//
// Handlers never block a gRPC thread: unary calls run on an Executor, and
// ingest is validated on the calling thread and handed to the Store's writer
// asynchronously, so that a stream's batches reach the store in order.
//
// Thread-safety: the service objects are safe for concurrent calls. They do
// not own the Store or the Executor, which must outlive the gRPC server.
#ifndef DPMON_SERVER_SERVICES_H_
#define DPMON_SERVER_SERVICES_H_

#include <functional>
#include <memory>

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/executor.h"
#include "storage/store.h"

namespace dpmon {

class KeyRegistry;
class AccessLog;
struct Principal;

// What the services need from outside, passed explicitly.
struct ServiceContext {
  Store* store = nullptr;
  Executor* executor = nullptr;
  KeyRegistry* keys = nullptr;
  AccessLog* access_log = nullptr;
  // Today's date for defaults (Account.status, ListAccounts' as_of_date).
  std::function<Date()> today;
};

class CouncilsService final : public v1::Councils::CallbackService {
 public:
  explicit CouncilsService(ServiceContext ctx) : ctx_(std::move(ctx)) {}
  grpc::ServerUnaryReactor* CreateCouncil(grpc::CallbackServerContext* context,
                                          const v1::CreateCouncilRequest* request,
                                          v1::Council* response) override;
  grpc::ServerUnaryReactor* GetCouncil(grpc::CallbackServerContext* context,
                                       const v1::GetCouncilRequest* request,
                                       v1::Council* response) override;
  grpc::ServerUnaryReactor* ListCouncils(grpc::CallbackServerContext* context,
                                         const v1::ListCouncilsRequest* request,
                                         v1::ListCouncilsResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePolicy(grpc::CallbackServerContext* context,
                                         const v1::UpdatePolicyRequest* request,
                                         v1::Council* response) override;

 private:
  ServiceContext ctx_;
};

class AccountsService final : public v1::Accounts::CallbackService {
 public:
  explicit AccountsService(ServiceContext ctx) : ctx_(std::move(ctx)) {}
  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* context,
                                          const v1::CreateAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::Account* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* context,
                                         const v1::ListAccountsRequest* request,
                                         v1::ListAccountsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAccount(grpc::CallbackServerContext* context,
                                          const v1::UpdateAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* AddExternalRef(grpc::CallbackServerContext* context,
                                           const v1::AddExternalRefRequest* request,
                                           v1::AddExternalRefResponse* response) override;
  grpc::ServerUnaryReactor* ChangeAccountStatus(grpc::CallbackServerContext* context,
                                                const v1::ChangeAccountStatusRequest* request,
                                                v1::Account* response) override;
  grpc::ServerUnaryReactor* CreatePlanVersion(grpc::CallbackServerContext* context,
                                              const v1::CreatePlanVersionRequest* request,
                                              v1::Account* response) override;
  grpc::ServerUnaryReactor* UpsertEarmark(grpc::CallbackServerContext* context,
                                          const v1::UpsertEarmarkRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* RecordReview(grpc::CallbackServerContext* context,
                                         const v1::RecordReviewRequest* request,
                                         v1::Account* response) override;
  grpc::ServerUnaryReactor* RecordAudit(grpc::CallbackServerContext* context,
                                        const v1::RecordAuditRequest* request,
                                        v1::Account* response) override;
  grpc::ServerUnaryReactor* RecordRecovery(grpc::CallbackServerContext* context,
                                           const v1::RecordRecoveryRequest* request,
                                           v1::Account* response) override;

 private:
  ServiceContext ctx_;
};

class LedgerService final : public v1::Ledger::CallbackService {
 public:
  explicit LedgerService(ServiceContext ctx) : ctx_(std::move(ctx)) {}
  grpc::ServerUnaryReactor* IngestBatch(grpc::CallbackServerContext* context,
                                        const v1::IngestBatchRequest* request,
                                        v1::IngestBatchResponse* response) override;
  grpc::ServerBidiReactor<v1::IngestBatchRequest, v1::IngestBatchResponse>* StreamIngest(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListTransactions(grpc::CallbackServerContext* context,
                                             const v1::ListTransactionsRequest* request,
                                             v1::ListTransactionsResponse* response) override;
  grpc::ServerUnaryReactor* ListStatements(grpc::CallbackServerContext* context,
                                           const v1::ListStatementsRequest* request,
                                           v1::ListStatementsResponse* response) override;
  grpc::ServerUnaryReactor* ListSuspense(grpc::CallbackServerContext* context,
                                         const v1::ListSuspenseRequest* request,
                                         v1::ListSuspenseResponse* response) override;
  grpc::ServerUnaryReactor* GetBalance(grpc::CallbackServerContext* context,
                                       const v1::GetBalanceRequest* request,
                                       v1::Balance* response) override;
  grpc::ServerUnaryReactor* GetCategoryTotals(grpc::CallbackServerContext* context,
                                              const v1::GetCategoryTotalsRequest* request,
                                              v1::CategoryTotals* response) override;
  grpc::ServerUnaryReactor* RecategoriseTransaction(
      grpc::CallbackServerContext* context, const v1::RecategoriseTransactionRequest* request,
      v1::Transaction* response) override;

 private:
  ServiceContext ctx_;
};

// Validates an ingest request: fills `response` with one result per item
// (INVALID ones complete, the rest pending) and `writes` with the valid items.
// A non-OK status rejects the whole request.
// Items whose source `caller` may not push are DENIED. NOT_FOUND for a
// council the caller does not hold.
absl::Status PrepareIngest(const v1::IngestBatchRequest& request, const Principal& caller,
                           std::string* council, std::vector<LedgerWrite>* writes,
                           v1::IngestBatchResponse* response, RequestKey* key);

}  // namespace dpmon

#endif  // DPMON_SERVER_SERVICES_H_
