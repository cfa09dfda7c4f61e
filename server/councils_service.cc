#include "server/councils_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/names.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

CouncilsService::CouncilsService(ServiceContext ctx) : ctx_(std::move(ctx)) {
  ReadUnary(this, &CouncilsService::CreateCouncil, "CreateCouncil");
  ReadUnary(this, &CouncilsService::GetCouncil, "GetCouncil");
  ReadUnary(this, &CouncilsService::ListCouncils, "ListCouncils");
  ReadUnary(this, &CouncilsService::UpdatePolicy, "UpdatePolicy");
}

grpc::ServerUnaryReactor* CouncilsService::CreateCouncil(grpc::CallbackServerContext* context,
                                                         const v1::CreateCouncilRequest* request,
                                                         v1::Council* response) {
  return Serve(ctx_, context, RpcOf<v1::Councils>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 if (absl::Status s = ValidateId(request->council_id()); !s.ok()) {
                   return InvalidField("council_id", s.message());
                 }
                 if (absl::Status s = ValidateText(request->council().display_name()); !s.ok()) {
                   return InvalidField("council.display_name", s.message());
                 }
                 v1::Council council;
                 council.set_name(CouncilName(request->council_id()));
                 council.set_display_name(request->council().display_name());
                 *council.mutable_policy() = DefaultPolicy();
                 if (absl::Status s = MergePolicy(request->council().policy(), {}, "council.policy",
                                                  council.mutable_policy());
                     !s.ok()) {
                   return s;
                 }
                 absl::StatusOr<v1::Council> created = ctx_.store->CreateCouncil(
                     request->council_id(), council, KeyFor(call.rpc, *request), NowRfc3339());
                 if (!created.ok()) return created.status();
                 *response = *std::move(created);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::GetCouncil(grpc::CallbackServerContext* context,
                                                      const v1::GetCouncilRequest* request,
                                                      v1::Council* response) {
  return Serve(ctx_, context, RpcOf<v1::Councils>(__func__), request,
               [this, request, response](const Call&) -> absl::Status {
                 absl::StatusOr<std::string> id = ParseCouncilName(request->name(), "name");
                 if (!id.ok()) return id.status();
                 std::string as_of_time;
                 if (!request->as_of_date().empty()) {
                   absl::StatusOr<Date> d = ParseDateField(request->as_of_date(), "as_of_date");
                   if (!d.ok()) return d.status();
                   as_of_time = Rfc3339(EndOfDayInLondon(*d) - absl::Milliseconds(1));
                 }
                 absl::StatusOr<v1::Council> council = ctx_.store->GetCouncilAsOf(*id, as_of_time);
                 if (!council.ok()) return council.status();
                 *response = *std::move(council);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::ListCouncils(grpc::CallbackServerContext* context,
                                                        const v1::ListCouncilsRequest* request,
                                                        v1::ListCouncilsResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Councils>(__func__), request,
               [this, request, response](const Call& call) {
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 absl::StatusOr<std::string> after =
                     DecodePageToken(request->page_token(), "councils");
                 if (!after.ok()) return after.status();
                 // Only the councils the key holds: read on past the others.
                 std::string resume = *after;
                 for (;;) {
                   absl::StatusOr<Page<v1::Council>> page = ctx_.store->ListCouncils(resume, *size);
                   if (!page.ok()) return page.status();
                   for (v1::Council& c : page->items) {
                     if (response->councils_size() == *size) break;
                     if (!call.caller.HoldsCouncil(LastNameSegment(c.name()))) continue;
                     *response->add_councils() = std::move(c);
                   }
                   resume = page->next_key;
                   if (resume.empty() || response->councils_size() == *size) break;
                 }
                 if (response->councils_size() == *size && !response->councils().empty()) {
                   resume = std::string(LastNameSegment(response->councils().rbegin()->name()));
                 }
                 response->set_next_page_token(EncodePageToken("councils", resume));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* CouncilsService::UpdatePolicy(grpc::CallbackServerContext* context,
                                                        const v1::UpdatePolicyRequest* request,
                                                        v1::Council* response) {
  return Serve(ctx_, context, RpcOf<v1::Councils>(__func__), request,
               [this, request, response](const Call& call) -> absl::Status {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<std::string> id = ParseCouncilName(request->council(), "council");
                 if (!id.ok()) return id.status();
                 // Validate against defaults first, so that bad input never reaches the writer.
                 v1::Policy probe = DefaultPolicy();
                 if (absl::Status s =
                         MergePolicy(request->policy(), request->update_mask(), "policy", &probe);
                     !s.ok() && s.code() == absl::StatusCode::kInvalidArgument &&
                     FieldOf(s).rfind("update_mask", 0) == 0) {
                   return s;
                 }
                 absl::StatusOr<v1::Council> updated = ctx_.store->UpdateCouncil(
                     *id,
                     [request](v1::Council* council) {
                       return MergePolicy(request->policy(), request->update_mask(), "policy",
                                          council->mutable_policy());
                     },
                     KeyFor(call.rpc, *request), NowRfc3339());
                 if (!updated.ok()) return updated.status();
                 *response = *std::move(updated);
                 return absl::OkStatus();
               });
}

}  // namespace dpmon
