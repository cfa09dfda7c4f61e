#include "server/admin_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/limits.h"
#include "common/names.h"
#include "server/clock.h"
#include "server/service_util.h"
#include "server/validation.h"

namespace dpmon {

AdminService::AdminService(ServiceContext ctx, Operations* operations)
    : ctx_(std::move(ctx)), operations_(operations) {
  ReadUnary(this, &AdminService::CreateApiKey, "CreateApiKey");
  ReadUnary(this, &AdminService::ListApiKeys, "ListApiKeys");
  ReadUnary(this, &AdminService::RevokeApiKey, "RevokeApiKey");
  ReadUnary(this, &AdminService::ListAccessLog, "ListAccessLog");
  ReadUnary(this, &AdminService::CreateBackup, "CreateBackup");
  ReadUnary(this, &AdminService::ListBackups, "ListBackups");
  ReadUnary(this, &AdminService::VerifyBackup, "VerifyBackup");
  ReadUnary(this, &AdminService::PruneBackups, "PruneBackups");
  ReadUnary(this, &AdminService::CheckIntegrity, "CheckIntegrity");
}

IdentityService::IdentityService(ServiceContext ctx) : ctx_(std::move(ctx)) {
  ReadUnary(this, &IdentityService::GetCaller, "GetCaller");
}

namespace {

absl::StatusOr<int64_t> ParseTimeField(const std::string& text, absl::string_view field,
                                       int64_t if_empty) {
  if (text.empty()) return if_empty;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return InvalidField(field, "must be an RFC 3339 time, e.g. 2026-11-22T09:00:00Z");
  }
  return absl::ToUnixMicros(t);
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::CreateApiKey(grpc::CallbackServerContext* context,
                                                     const v1::CreateApiKeyRequest* request,
                                                     v1::CreateApiKeyResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Admin>(__func__), request,
               [this, request, response](const Call& call) {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::StatusOr<IssuedKey> issued =
                     ctx_.keys->Create(request->api_key(), call.caller, KeyFor(call.rpc, *request));
                 if (!issued.ok()) return issued.status();
                 *response->mutable_api_key() = std::move(issued->key);
                 response->set_secret(std::move(issued->secret));
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* AdminService::ListApiKeys(grpc::CallbackServerContext* context,
                                                    const v1::ListApiKeysRequest* request,
                                                    v1::ListApiKeysResponse* response) {
  return Serve(ctx_, context, RpcOf<v1::Admin>(__func__), request,
               [this, request, response](const Call& call) {
                 absl::StatusOr<int> size = EffectivePageSize(request->page_size());
                 if (!size.ok()) return size.status();
                 std::optional<absl::Time> end;
                 if (!request->as_of_date().empty()) {
                   absl::StatusOr<Date> d = ParseDateField(request->as_of_date(), "as_of_date");
                   if (!d.ok()) return d.status();
                   end = EndOfDayInLondon(*d);
                 }
                 const std::string scope =
                     absl::StrCat("keys\n", request->show_revoked(), "\n", request->as_of_date());
                 absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
                 if (!after.ok()) return after.status();
                 for (v1::ApiKey& k :
                      ctx_.keys->List(call.caller, request->show_revoked() || end.has_value())) {
                   if (end && !ApiKeyAsOf(*end, request->show_revoked(), &k)) continue;
                   if (!after->empty() && k.name() <= *after) continue;
                   if (response->api_keys_size() == *size) {
                     response->set_next_page_token(
                         EncodePageToken(scope, response->api_keys(*size - 1).name()));
                     break;
                   }
                   *response->add_api_keys() = std::move(k);
                 }
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* AdminService::RevokeApiKey(grpc::CallbackServerContext* context,
                                                     const v1::RevokeApiKeyRequest* request,
                                                     v1::ApiKey* response) {
  return Serve(ctx_, context, RpcOf<v1::Admin>(__func__), request,
               [this, request, response](const Call& call) {
                 if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return s;
                 absl::string_view id = request->name();
                 if (!absl::ConsumePrefix(&id, "keys/") || id.empty()) {
                   return InvalidField("name", "must be \"keys/{key_id}\"");
                 }
                 absl::StatusOr<v1::ApiKey> revoked =
                     ctx_.keys->Revoke(id, call.caller, KeyFor(call.rpc, *request));
                 if (!revoked.ok()) return revoked.status();
                 *response = *std::move(revoked);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* AdminService::ListAccessLog(grpc::CallbackServerContext* context,
                                                      const v1::ListAccessLogRequest* request,
                                                      v1::ListAccessLogResponse* response) {
  return Serve(
      ctx_, context, RpcOf<v1::Admin>(__func__), request,
      [this, request, response](const Call& call) {
        Store::AccessQuery q;
        if (!request->account().empty() && !request->council().empty()) {
          return InvalidField("council",
                              "give a council or an account, not both: an account names its "
                              "council");
        }
        if (!request->account().empty()) {
          absl::StatusOr<AccountRef> a = ParseAccountName(request->account(), "account");
          if (!a.ok()) return a.status();
          q.council = a->council;
          q.account = a->account;
        } else if (!request->council().empty()) {
          absl::StatusOr<std::string> c = ParseCouncilName(request->council(), "council");
          if (!c.ok()) return c.status();
          q.council = *c;
        } else if (!call.caller.key.all_councils() && !call.caller.superuser) {
          return absl::PermissionDeniedError(
              "council: required for a key that does not hold every council");
        }
        if (!request->key().empty()) {
          absl::string_view id = request->key();
          if (!absl::ConsumePrefix(&id, "keys/") || id.empty()) {
            return InvalidField("key", "must be \"keys/{key_id}\"");
          }
          q.key_id = std::string(id);
        }
        absl::StatusOr<int64_t> from = ParseTimeField(request->start_time(), "start_time", 0);
        if (!from.ok()) return from.status();
        absl::StatusOr<int64_t> to = ParseTimeField(request->end_time(), "end_time", INT64_MAX);
        if (!to.ok()) return to.status();
        if (*to < *from) return InvalidField("end_time", "is before start_time");
        q.start_micros = *from;
        q.end_micros = *to;
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        const std::string scope =
            absl::StrCat("access\n", request->council(), "\n", request->account(), "\n",
                         request->key(), "\n", request->start_time(), "\n", request->end_time());
        absl::StatusOr<std::string> after = DecodePageToken(request->page_token(), scope);
        if (!after.ok()) return after.status();
        // Entries written a moment ago are still queued: write them first.
        if (absl::Status s = ctx_.access_log->Flush(); !s.ok()) return s;
        absl::StatusOr<Page<v1::AccessLogEntry>> page =
            ctx_.store->ListAccessLog(q, *after, *size, limits::kAccessLogScanMax);
        if (!page.ok()) return page.status();
        for (v1::AccessLogEntry& e : page->items) *response->add_entries() = std::move(e);
        response->set_next_page_token(EncodePageToken(scope, page->next_key));
        return absl::OkStatus();
      });
}

template <typename Req>
grpc::ServerUnaryReactor* AdminService::ServeOperation(grpc::CallbackServerContext* context,
                                                       Rpc rpc, const Req* request,
                                                       bool every_council,
                                                       std::function<absl::Status()> op) {
  return ServeAsync(
      ctx_, context, rpc, request,
      [this, every_council, op = std::move(op)](const Call& call,
                                                std::function<void(const absl::Status&)> finish) {
        if (every_council && !call.caller.superuser && !call.caller.key.all_councils()) {
          finish(absl::PermissionDeniedError(
              "a backup holds every council: this needs an ADMIN key that holds "
              "every council (all_councils)"));
          return;
        }
        operations_->Run([op, finish] { finish(op()); });
      });
}

grpc::ServerUnaryReactor* AdminService::CreateBackup(grpc::CallbackServerContext* context,
                                                     const v1::CreateBackupRequest* request,
                                                     v1::Backup* response) {
  return ServeOperation(context, RpcOf<v1::Admin>(__func__), request, true,
                        [this, request, response]() -> absl::Status {
                          absl::StatusOr<std::string> dir =
                              operations_->BackupDir(request->directory());
                          if (!dir.ok()) return dir.status();
                          absl::StatusOr<v1::Backup> b = operations_->CreateBackup(*dir);
                          if (!b.ok()) return b.status();
                          *response = *std::move(b);
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* AdminService::ListBackups(grpc::CallbackServerContext* context,
                                                    const v1::ListBackupsRequest* request,
                                                    v1::ListBackupsResponse* response) {
  return ServeOperation(context, RpcOf<v1::Admin>(__func__), request, true,
                        [this, request, response]() -> absl::Status {
                          absl::StatusOr<std::string> dir =
                              operations_->BackupDir(request->directory());
                          if (!dir.ok()) return dir.status();
                          absl::StatusOr<std::vector<BackupInfo>> all = dpmon::ListBackups(*dir);
                          if (!all.ok()) return all.status();
                          for (const BackupInfo& b : *all) {
                            operations_->SawBackup(b.create_unix_seconds);
                            *response->add_backups() = BackupToProto(*dir, b);
                          }
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* AdminService::VerifyBackup(grpc::CallbackServerContext* context,
                                                     const v1::VerifyBackupRequest* request,
                                                     v1::Backup* response) {
  return ServeOperation(
      context, RpcOf<v1::Admin>(__func__), request, true,
      [this, request, response]() -> absl::Status {
        absl::StatusOr<std::string> dir = operations_->BackupDir(request->directory());
        if (!dir.ok()) return dir.status();
        absl::StatusOr<BackupInfo> b = dpmon::VerifyBackup(*dir, request->backup_id());
        if (!b.ok()) return b.status();
        *response = BackupToProto(*dir, *b);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminService::PruneBackups(grpc::CallbackServerContext* context,
                                                     const v1::PruneBackupsRequest* request,
                                                     v1::PruneBackupsResponse* response) {
  return ServeOperation(
      context, RpcOf<v1::Admin>(__func__), request, true,
      [this, request, response]() -> absl::Status {
        absl::StatusOr<std::string> dir = operations_->BackupDir(request->directory());
        if (!dir.ok()) return dir.status();
        if (request->keep() < 1) return InvalidField("keep", "must be at least 1");
        absl::StatusOr<std::vector<uint32_t>> deleted = dpmon::PruneBackups(*dir, request->keep());
        if (!deleted.ok()) return deleted.status();
        for (uint32_t id : *deleted) response->add_deleted_backup_ids(id);
        absl::StatusOr<std::vector<BackupInfo>> left = dpmon::ListBackups(*dir);
        if (!left.ok()) return left.status();
        for (const BackupInfo& b : *left) *response->add_backups() = BackupToProto(*dir, b);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminService::CheckIntegrity(grpc::CallbackServerContext* context,
                                                       const v1::CheckIntegrityRequest* request,
                                                       v1::IntegrityReport* response) {
  // A check of one council needs that council; of every council, all.
  return ServeOperation(
      context, RpcOf<v1::Admin>(__func__), request, request->council().empty(),
      [this, request, response]() -> absl::Status {
        std::string council;
        if (!request->council().empty()) {
          absl::StatusOr<std::string> c = ParseCouncilName(request->council(), "council");
          if (!c.ok()) return c.status();
          council = *c;
        }
        const int max = request->max_problems() == 0 ? limits::kIntegrityProblemsDefault
                                                     : request->max_problems();
        if (max < 1 || max > limits::kIntegrityProblemsMax) {
          return InvalidField(
              "max_problems",
              absl::StrCat("must be between 1 and ", limits::kIntegrityProblemsMax,
                           " (0: the default, ", limits::kIntegrityProblemsDefault, ")"));
        }
        absl::StatusOr<v1::IntegrityReport> report = operations_->Check(council, max);
        if (!report.ok()) return report.status();
        *response = *std::move(report);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IdentityService::GetCaller(grpc::CallbackServerContext* context,
                                                     const v1::GetCallerRequest* request,
                                                     v1::ApiKey* response) {
  return Serve(ctx_, context, RpcOf<v1::Identity>(__func__), request, [response](const Call& call) {
    *response = call.caller.key;
    return absl::OkStatus();
  });
}

}  // namespace dpmon
