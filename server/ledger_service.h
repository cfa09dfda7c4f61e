// The Ledger service of dpmon API v1: ingest (server/ingest.cc), and the
// ledger's transactions, statements, suspense, balances and totals.
//
// Thread-safety: safe for concurrent calls (server/service_context.h).
#ifndef DPMON_SERVER_LEDGER_SERVICE_H_
#define DPMON_SERVER_LEDGER_SERVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class IngestStreams;

class LedgerService final : public ReadingService<v1::Ledger> {
 public:
  explicit LedgerService(ServiceContext ctx);
  ~LedgerService() override;
  grpc::ServerUnaryReactor* IngestBatch(grpc::CallbackServerContext* context,
                                        const v1::IngestBatchRequest* request,
                                        v1::IngestBatchResponse* response) override;
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

  // Stops every open ingest stream, for shutdown: a batch read from now on
  // is not written; those already taken are written and acknowledged; then
  // each stream ends UNAVAILABLE (the client resends what was not
  // acknowledged, with the same request_id, later or elsewhere). Streams
  // opened afterwards end at once. Returns once every stream has ended (or
  // at `deadline`) and, if any was open, a moment later: time for the
  // clients to read their last acknowledgements before the server closes
  // the connections (closing a socket the client still writes to resets
  // it, and the client's transport drops what it had not yet handed over).
  void DrainStreams(absl::Time deadline);

 private:
  // StreamIngest (server/ingest.cc). It reads raw bytes and parses each
  // batch itself, so that a batch that cannot be read is answered
  // INVALID_ARGUMENT rather than taken for the end of the stream.
  grpc::ServerBidiReactor<grpc::ByteBuffer, v1::IngestBatchResponse>* OpenIngestStream(
      grpc::CallbackServerContext* context);

  ServiceContext ctx_;
  std::unique_ptr<IngestStreams> streams_;  // The open streams.
};

// Validates an ingest request: fills `response` with one result per item
// (INVALID ones complete, the rest pending) and `writes` with the valid items.
// A non-OK status rejects the whole request.
// Items whose source `caller` may not push are DENIED. NOT_FOUND for a
// council the caller does not hold.
absl::Status PrepareIngest(const v1::IngestBatchRequest& request, const Principal& caller,
                           std::string* council, std::vector<LedgerWrite>* writes,
                           storage::IngestOutcome* outcome, RequestKey* key);
// The API's answer to an ingest request from what the store did.
v1::IngestBatchResponse IngestResponseOf(storage::IngestOutcome outcome);

}  // namespace dpmon

#endif  // DPMON_SERVER_LEDGER_SERVICE_H_
