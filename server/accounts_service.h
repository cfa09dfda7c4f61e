// The Accounts service of dpmon API v1: accounts, their references, plans,
// earmarks, status changes, reviews, audits and recoveries; case notes,
// caseloads and search.
//
// Thread-safety: safe for concurrent calls (server/service_context.h).
#ifndef DPMON_SERVER_ACCOUNTS_SERVICE_H_
#define DPMON_SERVER_ACCOUNTS_SERVICE_H_

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class DueIndex;

class AccountsService final : public ReadingService<v1::Accounts> {
 public:
  // `due_index`: where ListRecoveries reads the council's recoveries.
  AccountsService(ServiceContext ctx, DueIndex* due_index);
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
  grpc::ServerUnaryReactor* ListRecoveries(grpc::CallbackServerContext* context,
                                           const v1::ListRecoveriesRequest* request,
                                           v1::ListRecoveriesResponse* response) override;
  grpc::ServerUnaryReactor* AddCaseNote(grpc::CallbackServerContext* context,
                                        const v1::AddCaseNoteRequest* request,
                                        v1::CaseNote* response) override;
  grpc::ServerUnaryReactor* ListCaseNotes(grpc::CallbackServerContext* context,
                                          const v1::ListCaseNotesRequest* request,
                                          v1::ListCaseNotesResponse* response) override;
  grpc::ServerUnaryReactor* SearchAccounts(grpc::CallbackServerContext* context,
                                           const v1::SearchAccountsRequest* request,
                                           v1::SearchAccountsResponse* response) override;

 private:
  ServiceContext ctx_;
  DueIndex* const due_index_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_ACCOUNTS_SERVICE_H_
