// The Admin service (keys, the access log) and the Identity service of
// dpmon API v1 (callback API).
//
// Thread-safety: safe for concurrent calls. Does not own what its
// ServiceContext points to.
#ifndef DPMON_SERVER_ADMIN_SERVICE_H_
#define DPMON_SERVER_ADMIN_SERVICE_H_

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class AdminService final : public ReadingService<v1::Admin> {
 public:
  explicit AdminService(ServiceContext ctx);
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

 private:
  ServiceContext ctx_;
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
