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

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "dpmon/v1/dpmon.grpc.pb.h"
#include "server/request_reader.h"
#include "server/service_context.h"

namespace dpmon {

class AuditsService final : public ReadingService<v1::Audits> {
 public:
  explicit AuditsService(ServiceContext ctx);
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
  // Every account's due entries and risks as of a date, computed once and
  // kept for a few minutes so that paging through a large council does not
  // recompute it for every page.
  struct Survey {
    std::vector<v1::DueEntry> due;       // Sorted, for within_days of the key.
    std::vector<v1::AccountRisk> risks;  // Highest first.
  };
  absl::StatusOr<std::shared_ptr<const Survey>> SurveyOf(const std::string& council, Date as_of,
                                                         int within_days);
  // The survey a later page of a listing (`later_page`) computed moments
  // ago, else a fresh one, kept under `scope`.
  absl::StatusOr<std::shared_ptr<const Survey>> CachedSurvey(const std::string& scope,
                                                             bool later_page,
                                                             const std::string& council, Date as_of,
                                                             int within_days);

  ServiceContext ctx_;
  struct Cached {
    absl::Time at;
    std::shared_ptr<const Survey> survey;
  };
  absl::Mutex mu_;
  std::map<std::string, Cached> surveys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dpmon

#endif  // DPMON_SERVER_AUDIT_SERVICE_H_
