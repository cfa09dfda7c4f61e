// The Admin service (keys, the access log, backups and integrity checks)
// and the Identity service of dpmon API v1 (callback API).
//
// Thread-safety: safe for concurrent calls. Does not own what its
// ServiceContext points to.
#ifndef DPMON_SERVER_ADMIN_SERVICE_H_
#define DPMON_SERVER_ADMIN_SERVICE_H_

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/operations.h"
#include "server/request_reader.h"
#include "server/service_context.h"
#include "server/service_util.h"

namespace dpmon {

class AdminService final : public ReadingService<v1::Admin> {
 public:
  // `operations` runs backups and checks; it must outlive the service.
  AdminService(ServiceContext ctx, Operations* operations);
  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* context,
                                         const v1::CreateApiKeyRequest* request,
                                         v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* context,
                                        const v1::ListApiKeysRequest* request,
                                        v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* context,
                                         const v1::RevokeApiKeyRequest* request,
                                         v1::ApiKey* response) override;
  grpc::ServerUnaryReactor* ListAccessLog(grpc::CallbackServerContext* context,
                                          const v1::ListAccessLogRequest* request,
                                          v1::ListAccessLogResponse* response) override;
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const v1::CreateBackupRequest* request,
                                         v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const v1::ListBackupsRequest* request,
                                        v1::ListBackupsResponse* response) override;
  grpc::ServerUnaryReactor* VerifyBackup(grpc::CallbackServerContext* context,
                                         const v1::VerifyBackupRequest* request,
                                         v1::Backup* response) override;
  grpc::ServerUnaryReactor* PruneBackups(grpc::CallbackServerContext* context,
                                         const v1::PruneBackupsRequest* request,
                                         v1::PruneBackupsResponse* response) override;
  grpc::ServerUnaryReactor* CheckIntegrity(grpc::CallbackServerContext* context,
                                           const v1::CheckIntegrityRequest* request,
                                           v1::IntegrityReport* response) override;

 private:
  // Runs `op` on the operations thread for a caller that holds every
  // council, and finishes the call with its status.
  template <typename Req>
  grpc::ServerUnaryReactor* ServeOperation(grpc::CallbackServerContext* context, Rpc rpc,
                                           const Req* request, bool every_council,
                                           std::function<absl::Status()> op);

  ServiceContext ctx_;
  Operations* operations_;
};

class IdentityService final : public ReadingService<v1::Identity> {
 public:
  explicit IdentityService(ServiceContext ctx);
  grpc::ServerUnaryReactor* GetCaller(grpc::CallbackServerContext* context,
                                      const v1::GetCallerRequest* request,
                                      v1::ApiKey* response) override;

 private:
  ServiceContext ctx_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_ADMIN_SERVICE_H_
