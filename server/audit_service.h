// The Audits service of dpmon API v1 (callback API): what is due, risk
// scores and audit packs (docs/audits.md).
//
// Thread-safety: safe for concurrent calls. Does not own what its
// ServiceContext points to.
#ifndef DPMON_SERVER_AUDIT_SERVICE_H_
#define DPMON_SERVER_AUDIT_SERVICE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/due_index.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class AuditsService final : public ReadingService<v1::Audits> {
 public:
  // `due_index` answers ListAuditsDue and ListAccountRisks; not owned.
  AuditsService(ServiceContext ctx, DueIndex* due_index);
  grpc::ServerUnaryReactor* ListAuditsDue(grpc::CallbackServerContext* context,
                                          const v1::ListAuditsDueRequest* request,
                                          v1::ListAuditsDueResponse* response) override;
  grpc::ServerUnaryReactor* ListAccountRisks(grpc::CallbackServerContext* context,
                                             const v1::ListAccountRisksRequest* request,
                                             v1::ListAccountRisksResponse* response) override;
  grpc::ServerUnaryReactor* GetAuditPack(grpc::CallbackServerContext* context,
                                         const v1::GetAuditPackRequest* request,
                                         v1::AuditPack* response) override;

 private:
  ServiceContext ctx_;
  DueIndex* const due_index_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_AUDIT_SERVICE_H_
