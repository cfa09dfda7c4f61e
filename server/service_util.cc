#include "server/service_util.h"

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace dpmon {

Rpc RpcNamed(absl::string_view service_full_name, absl::string_view handler) {
  static absl::Mutex mu(absl::kConstInit);
  static absl::node_hash_set<std::string>* interned ABSL_GUARDED_BY(mu) =
      new absl::node_hash_set<std::string>();
  const std::string path = absl::StrCat("/", service_full_name, "/", handler);
  absl::MutexLock lock(&mu);
  const std::string& p = *interned->insert(path).first;
  return Rpc{p.c_str(), p.c_str() + p.size() - handler.size()};
}

void LogCall(const ServiceContext& ctx, const grpc::ServerContextBase& context,
             absl::string_view method, const Principal* caller, const Target& target,
             const absl::Status& status, absl::Time start) {
  if (ctx.access_log == nullptr) return;
  const absl::Time end = absl::Now();
  v1::AccessLogEntry e = AccessEntry(caller, method, status);
  e.set_council(target.council.substr(0, target.council.find('\n')));
  e.set_account(target.account);
  e.set_peer(context.peer());
  e.set_duration_us(absl::ToInt64Microseconds(end - start));
  ctx.access_log->Record(std::move(e), end);
}

}  // namespace dpmon
