// The Monitoring service of dpmon API v1 (callback API): evaluation, the
// flag report, the dashboard's flag lists, counts and account overview, and
// acknowledging and resolving flags.
//
// Thread-safety: safe for concurrent calls. Does not own the Store, the
// Executor or the Evaluator, which must outlive the gRPC server.
#ifndef DPMON_SERVER_MONITORING_SERVICE_H_
#define DPMON_SERVER_MONITORING_SERVICE_H_

#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/evaluator.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class MonitoringService final : public ReadingService<v1::Monitoring> {
 public:
  MonitoringService(ServiceContext ctx, Evaluator* evaluator);

  grpc::ServerUnaryReactor* EvaluateCouncil(grpc::CallbackServerContext* context,
                                            const v1::EvaluateCouncilRequest* request,
                                            v1::EvaluateCouncilResponse* response) override;
  grpc::ServerUnaryReactor* ComputeFlagReport(grpc::CallbackServerContext* context,
                                              const v1::ComputeFlagReportRequest* request,
                                              v1::ComputeFlagReportResponse* response) override;
  grpc::ServerUnaryReactor* ListFlags(grpc::CallbackServerContext* context,
                                      const v1::ListFlagsRequest* request,
                                      v1::ListFlagsResponse* response) override;
  grpc::ServerUnaryReactor* CountFlags(grpc::CallbackServerContext* context,
                                       const v1::CountFlagsRequest* request,
                                       v1::CountFlagsResponse* response) override;
  grpc::ServerUnaryReactor* AcknowledgeFlag(grpc::CallbackServerContext* context,
                                            const v1::ActOnFlagRequest* request,
                                            v1::Flag* response) override;
  grpc::ServerUnaryReactor* ResolveFlag(grpc::CallbackServerContext* context,
                                        const v1::ActOnFlagRequest* request,
                                        v1::Flag* response) override;
  grpc::ServerUnaryReactor* GetAccountOverview(grpc::CallbackServerContext* context,
                                               const v1::GetAccountOverviewRequest* request,
                                               v1::AccountOverview* response) override;

 private:
  absl::Status ActOnFlag(const v1::ActOnFlagRequest& request, v1::FlagState state,
                         absl::string_view method, v1::Flag* response);

  ServiceContext ctx_;
  Evaluator* evaluator_;
};

}  // namespace dpmon

#endif  // DPMON_SERVER_MONITORING_SERVICE_H_
