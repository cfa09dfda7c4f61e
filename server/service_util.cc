#include "server/service_util.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/field_error.h"
#include "server/metrics.h"
#include "server/server_log.h"

namespace dpmon {

Rpc RpcNamed(const char* service_full_name, const char* handler) {
  // Keyed by the two pointers (string literals and __func__ live as long as
  // the process): after a handler's first call, a shared lock and a lookup.
  using Key = std::pair<const char*, const char*>;
  static absl::Mutex mu(absl::kConstInit);
  static auto* paths ABSL_GUARDED_BY(mu) = new absl::node_hash_map<Key, std::string>();
  const Key key{service_full_name, handler};
  const std::string* path = nullptr;
  {
    absl::ReaderMutexLock lock(&mu);
    if (auto it = paths->find(key); it != paths->end()) path = &it->second;
  }
  if (path == nullptr) {
    absl::MutexLock lock(&mu);
    path =
        &paths->try_emplace(key, absl::StrCat("/", service_full_name, "/", handler)).first->second;
  }
  return Rpc{path->c_str(), path->c_str() + path->size() - std::strlen(handler)};
}

namespace {

// The caller's address. A call through the in-process channel (the HTTP
// face: server/http/json_api.h) has no transport security type, which every
// call from outside has (local or TLS credentials), so only such a call may
// name the HTTP client's address in its metadata.
std::string PeerOf(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  const bool in_process =
      auth == nullptr || auth->FindPropertyValues("transport_security_type").empty();
  if (in_process) {
    const auto& md = context.client_metadata();
    if (auto it = md.find(kHttpPeerMetadata); it != md.end()) {
      return absl::StrCat("http:", absl::string_view(it->second.data(), it->second.size()));
    }
  }
  return context.peer();
}

}  // namespace

absl::Status UnreadableRequestError(absl::string_view message_type) {
  return InvalidField("request", absl::StrCat("could not be read as ", message_type,
                                              ": not a valid message, cut short, or a string "
                                              "field that is not UTF-8"));
}

void LogCall(const ServiceContext& ctx, const grpc::ServerContextBase& context,
             absl::string_view method, const Principal* caller, const Target& target,
             const absl::Status& status, absl::Time start, const std::vector<std::string>* shown,
             absl::string_view request_id) {
  const absl::Time end = absl::Now();
  if (ctx.log_calls) {
    CallLine line;
    line.method = std::string(method);
    line.council = target.council.substr(0, target.council.find('\n'));
    line.account = target.account;
    line.request_id = std::string(request_id);
    if (caller != nullptr) line.key = caller->name();
    line.peer = PeerOf(context);
    line.code = status.code();
    line.latency = end - start;
    LogCallLine(line);
  }
  if (ctx.metrics != nullptr)
    ctx.metrics->ObserveCall(std::string(method), status.code(), end - start);
  if (ctx.access_log == nullptr) return;
  v1::AccessLogEntry e = AccessEntry(caller, method, status);
  e.set_council(target.council.substr(0, target.council.find('\n')));
  e.set_account(target.account);
  e.set_peer(PeerOf(context));
  e.set_duration_us(absl::ToInt64Microseconds(end - start));
  if (status.ok() && shown != nullptr) {
    absl::flat_hash_set<std::string> seen = {target.account};
    for (const std::string& account : *shown) {
      if (!seen.insert(account).second) continue;
      v1::AccessLogEntry view = e;
      view.set_account(account);
      ctx.access_log->Record(std::move(view), end);
    }
  }
  ctx.access_log->Record(std::move(e), end);
}

std::string RequestIdOf(const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* f =
      request.GetDescriptor()->FindFieldByName("request_id");
  if (f == nullptr || f->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      f->is_repeated()) {
    return "";
  }
  return request.GetReflection()->GetString(request, f);
}

}  // namespace dpmon
