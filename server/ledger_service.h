// The Ledger service of dpmon API v1: ingest (server/ingest.cc), and the
// ledger's transactions, statements, suspense, balances and totals.
//
// Thread-safety: safe for concurrent calls (server/service_context.h).
#ifndef DPMON_SERVER_LEDGER_SERVICE_H_
#define DPMON_SERVER_LEDGER_SERVICE_H_

#include <string>
#include <vector>

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/service_context.h"

namespace dpmon {

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

#endif  // DPMON_SERVER_LEDGER_SERVICE_H_
