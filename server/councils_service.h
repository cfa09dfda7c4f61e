// The Councils service of dpmon API v1: councils and their policies.
//
// Thread-safety: safe for concurrent calls (server/service_context.h).
#ifndef DPMON_SERVER_COUNCILS_SERVICE_H_
#define DPMON_SERVER_COUNCILS_SERVICE_H_

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class CouncilsService final : public ReadingService<v1::Councils> {
 public:
  explicit CouncilsService(ServiceContext ctx);
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

}  // namespace dpmon

#endif  // DPMON_SERVER_COUNCILS_SERVICE_H_
