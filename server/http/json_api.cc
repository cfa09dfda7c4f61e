#include "server/http/json_api.h"

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/field_error.h"
#include "common/json_quote.h"
#include "common/limits.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "server/status_util.h"

namespace dpmon {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// A template's segment: a literal, or a variable binding a field to one or
// more segments (each a literal or "*").
struct Segment {
  std::string literal;               // When not a variable.
  std::string field;                 // A variable's field path: "account.name".
  std::vector<std::string> pattern;  // A variable's segments.
};

std::vector<Segment> ParseTemplate(absl::string_view path, std::string* verb) {
  absl::ConsumePrefix(&path, "/");
  std::vector<Segment> out;
  // A variable may hold '/', so split on '/' outside braces only.
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : path) {
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (c == '/' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  parts.push_back(cur);
  if (size_t colon = parts.back().rfind(':');
      colon != std::string::npos && parts.back().find('}', colon) == std::string::npos) {
    *verb = parts.back().substr(colon + 1);
    parts.back().resize(colon);
  }
  for (const std::string& p : parts) {
    Segment s;
    if (!p.empty() && p.front() == '{') {
      std::string inner = p.substr(1, p.size() - 2);
      size_t eq = inner.find('=');
      s.field = inner.substr(0, eq);
      s.pattern = eq == std::string::npos ? std::vector<std::string>{"*"}
                                          : absl::StrSplit(inner.substr(eq + 1), '/');
    } else {
      s.literal = p;
    }
    out.push_back(std::move(s));
  }
  return out;
}

JsonRoute R(const char* verb, const char* path, const char* method, const char* body = "") {
  return JsonRoute{verb, path, method, body};
}

}  // namespace

const std::vector<JsonRoute>& JsonRoutes() {
  static const auto* routes = new std::vector<JsonRoute>{
      R("POST", "/v1/councils", "dpmon.v1.Councils.CreateCouncil", "council"),
      R("GET", "/v1/{name=councils/*}", "dpmon.v1.Councils.GetCouncil"),
      R("GET", "/v1/councils", "dpmon.v1.Councils.ListCouncils"),
      R("PATCH", "/v1/{council=councils/*}/policy", "dpmon.v1.Councils.UpdatePolicy", "policy"),
      R("POST", "/v1/{parent=councils/*}/accounts", "dpmon.v1.Accounts.CreateAccount", "account"),
      R("GET", "/v1/{name=councils/*/accounts/*}", "dpmon.v1.Accounts.GetAccount"),
      R("GET", "/v1/{parent=councils/*}/accounts", "dpmon.v1.Accounts.ListAccounts"),
      R("PATCH", "/v1/{account.name=councils/*/accounts/*}", "dpmon.v1.Accounts.UpdateAccount",
        "account"),
      R("POST", "/v1/{account=councils/*/accounts/*}:addExternalRef",
        "dpmon.v1.Accounts.AddExternalRef", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:changeStatus",
        "dpmon.v1.Accounts.ChangeAccountStatus", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:createPlanVersion",
        "dpmon.v1.Accounts.CreatePlanVersion", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:upsertEarmark",
        "dpmon.v1.Accounts.UpsertEarmark", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:recordReview",
        "dpmon.v1.Accounts.RecordReview", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:recordAudit", "dpmon.v1.Accounts.RecordAudit",
        "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}:recordRecovery",
        "dpmon.v1.Accounts.RecordRecovery", "*"),
      R("GET", "/v1/{council=councils/*}/recoveries", "dpmon.v1.Accounts.ListRecoveries"),
      R("POST", "/v1/{account=councils/*/accounts/*}/notes", "dpmon.v1.Accounts.AddCaseNote",
        "case_note"),
      R("GET", "/v1/{parent=councils/*/accounts/*}/notes", "dpmon.v1.Accounts.ListCaseNotes"),
      R("GET", "/v1/{parent=councils/*}/accounts:search", "dpmon.v1.Accounts.SearchAccounts"),
      R("POST", "/v1/{parent=councils/*}:ingestBatch", "dpmon.v1.Ledger.IngestBatch", "*"),
      R("GET", "/v1/{parent=councils/*/accounts/*}/transactions",
        "dpmon.v1.Ledger.ListTransactions"),
      R("GET", "/v1/{parent=councils/*/accounts/*}/statements", "dpmon.v1.Ledger.ListStatements"),
      R("GET", "/v1/{parent=councils/*}/suspense", "dpmon.v1.Ledger.ListSuspense"),
      R("GET", "/v1/{account=councils/*/accounts/*}/balance", "dpmon.v1.Ledger.GetBalance"),
      R("GET", "/v1/{account=councils/*/accounts/*}/categoryTotals",
        "dpmon.v1.Ledger.GetCategoryTotals"),
      R("POST", "/v1/{account=councils/*/accounts/*}:recategoriseTransaction",
        "dpmon.v1.Ledger.RecategoriseTransaction", "*"),
      R("POST", "/v1/{council=councils/*}:evaluate", "dpmon.v1.Monitoring.EvaluateCouncil", "*"),
      R("GET", "/v1/{council=councils/*}/flagReport", "dpmon.v1.Monitoring.ComputeFlagReport"),
      R("GET", "/v1/{council=councils/*}/flags", "dpmon.v1.Monitoring.ListFlags"),
      R("GET", "/v1/{council=councils/*}/flagCounts", "dpmon.v1.Monitoring.CountFlags"),
      R("POST", "/v1/{account=councils/*/accounts/*}/flags:acknowledge",
        "dpmon.v1.Monitoring.AcknowledgeFlag", "*"),
      R("POST", "/v1/{account=councils/*/accounts/*}/flags:resolve",
        "dpmon.v1.Monitoring.ResolveFlag", "*"),
      R("GET", "/v1/{account=councils/*/accounts/*}/overview",
        "dpmon.v1.Monitoring.GetAccountOverview"),
      R("GET", "/v1/{council=councils/*}/auditsDue", "dpmon.v1.Audits.ListAuditsDue"),
      R("GET", "/v1/{council=councils/*}/accountRisks", "dpmon.v1.Audits.ListAccountRisks"),
      R("GET", "/v1/{account=councils/*/accounts/*}/auditPack", "dpmon.v1.Audits.GetAuditPack"),
      R("POST", "/v1/keys", "dpmon.v1.Admin.CreateApiKey", "api_key"),
      R("GET", "/v1/keys", "dpmon.v1.Admin.ListApiKeys"),
      R("POST", "/v1/{name=keys/*}:revoke", "dpmon.v1.Admin.RevokeApiKey", "*"),
      R("GET", "/v1/accessLog", "dpmon.v1.Admin.ListAccessLog"),
      R("POST", "/v1/backups", "dpmon.v1.Admin.CreateBackup", "*"),
      R("GET", "/v1/backups", "dpmon.v1.Admin.ListBackups"),
      R("POST", "/v1/backups:verify", "dpmon.v1.Admin.VerifyBackup", "*"),
      R("POST", "/v1/backups:prune", "dpmon.v1.Admin.PruneBackups", "*"),
      R("POST", "/v1/integrity:check", "dpmon.v1.Admin.CheckIntegrity", "*"),
      R("GET", "/v1/caller", "dpmon.v1.Identity.GetCaller"),
  };
  return *routes;
}

struct JsonApi::Compiled {
  JsonRoute route;
  std::vector<Segment> segments;
  std::string verb;  // The custom method after ':', or "".
  std::string grpc_path;
  const google::protobuf::MethodDescriptor* method = nullptr;
};

JsonApi::JsonApi(const ServiceCaller* caller) : caller_(caller) {
  for (const JsonRoute& r : JsonRoutes()) {
    Compiled c;
    c.route = r;
    c.segments = ParseTemplate(r.path, &c.verb);
    c.method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(r.method);
    if (c.method == nullptr) continue;  // tests/http_test.cc checks every route has one.
    c.grpc_path = absl::StrCat("/", c.method->service()->full_name(), "/", c.method->name());
    routes_.push_back(std::move(c));
  }
}

JsonApi::~JsonApi() = default;

namespace {

// The variables of `segments` bound by `path` (segments, verb), or false.
bool Match(const std::vector<Segment>& segments, const std::string& want_verb,
           const std::vector<std::string>& path, const std::string& verb,
           std::vector<std::pair<std::string, std::string>>* bound) {
  if (verb != want_verb) return false;
  size_t at = 0;
  for (const Segment& s : segments) {
    if (s.field.empty()) {
      if (at >= path.size() || path[at] != s.literal) return false;
      ++at;
      continue;
    }
    std::vector<std::string> taken;
    for (const std::string& p : s.pattern) {
      if (at >= path.size() || path[at].empty() || (p != "*" && path[at] != p)) return false;
      taken.push_back(path[at++]);
    }
    bound->emplace_back(s.field, absl::StrJoin(taken, "/"));
  }
  return at == path.size();
}

absl::Status ParseJson(absl::string_view json, Message* out, absl::string_view where) {
  google::protobuf::util::JsonParseOptions options;
  auto s = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), out, options);
  if (s.ok()) return absl::OkStatus();
  return InvalidField(where, absl::StrCat("is not a ", out->GetDescriptor()->full_name(),
                                          " in JSON: ", s.message().ToString()));
}

// Sets the string field at `path` ("account.name") of `m`.
bool SetPathField(Message* m, const std::string& path, const std::string& value) {
  std::vector<std::string> names = absl::StrSplit(path, '.');
  for (size_t i = 0; i < names.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(names[i]);
    if (f == nullptr || f->is_repeated()) return false;
    if (i + 1 == names.size()) {
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return false;
      m->GetReflection()->SetString(m, f, value);
      return true;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return false;
}

// The query parameters as a JSON object of the request's top-level fields,
// parsed into `out`.
absl::Status ParseQuery(const std::vector<std::pair<std::string, std::string>>& query,
                        Message* out) {
  if (query.empty()) return absl::OkStatus();
  const Descriptor* d = out->GetDescriptor();
  std::map<const FieldDescriptor*, std::vector<std::string>> values;
  for (const auto& [name, value] : query) {
    const FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) f = d->FindFieldByCamelcaseName(name);
    const bool scalar =
        f != nullptr && (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
                         f->message_type()->full_name() == "google.protobuf.FieldMask");
    if (!scalar) {
      return InvalidField(name, absl::StrCat("is not a query parameter of ", d->full_name()));
    }
    if (!f->is_repeated() && !values[f].empty()) return InvalidField(name, "is given twice");
    values[f].push_back(value);
  }
  std::string json = "{";
  for (const auto& [f, vs] : values) {
    absl::StrAppend(&json, json.size() > 1 ? "," : "", JsonQuote(f->json_name()), ":",
                    f->is_repeated() ? "[" : "");
    for (size_t i = 0; i < vs.size(); ++i) {
      const bool literal =
          f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL && (vs[i] == "true" || vs[i] == "false");
      absl::StrAppend(&json, i > 0 ? "," : "", literal ? vs[i] : JsonQuote(vs[i]));
    }
    absl::StrAppend(&json, f->is_repeated() ? "]" : "");
  }
  json += "}";
  std::unique_ptr<Message> parsed(out->New());
  if (absl::Status s = ParseJson(json, parsed.get(), "query"); !s.ok()) return s;
  out->MergeFrom(*parsed);
  return absl::OkStatus();
}

HttpResponse JsonError(int status, const char* code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = absl::StrCat(R"({"error":{"code":)", status, R"(,"message":)", JsonQuote(message),
                        R"(,"status":")", code, R"("}})");
  return r;
}

}  // namespace

HttpResponse JsonApi::Handle(const HttpRequest& request) const {
  std::string rest = request.path;
  std::string verb;
  if (size_t slash = rest.rfind('/'); slash != std::string::npos) {
    if (size_t colon = rest.find(':', slash); colon != std::string::npos) {
      verb = rest.substr(colon + 1);
      rest.resize(colon);
    }
  }
  std::vector<std::string> path = absl::StrSplit(absl::string_view(rest).substr(1), '/');
  const Compiled* route = nullptr;
  std::vector<std::pair<std::string, std::string>> bound;
  std::vector<std::string> allowed;
  for (const Compiled& c : routes_) {
    std::vector<std::pair<std::string, std::string>> b;
    if (!Match(c.segments, c.verb, path, verb, &b)) continue;
    allowed.push_back(c.route.verb);
    if (c.route.verb == request.method && route == nullptr) {
      route = &c;
      bound = std::move(b);
    }
  }
  if (route == nullptr && allowed.empty()) {
    return JsonError(404, "NOT_FOUND", absl::StrCat("no such route: ", request.path));
  }
  if (route == nullptr) {
    HttpResponse r = JsonError(405, "INVALID_ARGUMENT",
                               absl::StrCat(request.method, " is not allowed on ", request.path));
    r.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return r;
  }

  std::unique_ptr<Message> message(google::protobuf::MessageFactory::generated_factory()
                                       ->GetPrototype(route->method->input_type())
                                       ->New());
  const std::string body_field = route->route.body;
  if (!body_field.empty() && !request.body.empty()) {
    Message* target = message.get();
    if (body_field != "*") {
      const FieldDescriptor* f = message->GetDescriptor()->FindFieldByName(body_field);
      target = message->GetReflection()->MutableMessage(message.get(), f);
    }
    if (absl::Status s = ParseJson(request.body, target, "body"); !s.ok()) {
      return ErrorResponse(s);
    }
  }
  if (absl::Status s = ParseQuery(request.query, message.get()); !s.ok()) return ErrorResponse(s);
  for (const auto& [field, value] : bound) {
    if (!SetPathField(message.get(), field, value)) {
      return JsonError(500, "INTERNAL", absl::StrCat("route binds no field ", field));
    }
  }

  std::unique_ptr<Message> reply(google::protobuf::MessageFactory::generated_factory()
                                     ->GetPrototype(route->method->output_type())
                                     ->New());
  const std::string* authorization = request.Header("authorization");
  grpc::Status status = caller_->Call(route->grpc_path, *message, reply.get(),
                                      authorization == nullptr ? "" : *authorization, request.peer);
  if (!status.ok()) return ErrorResponse(status);
  HttpResponse r;
  if (!google::protobuf::util::MessageToJsonString(*reply, &r.body).ok()) {
    return JsonError(500, "INTERNAL", "the reply could not be written as JSON");
  }
  return r;
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

HttpResponse ErrorResponse(const grpc::Status& status) {
  // The same names the access log gives codes.
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  HttpResponse r;
  r.status = HttpStatusOf(status.error_code());
  std::string details;
  google::rpc::Status rpc;
  if (!status.error_details().empty() && rpc.ParseFromString(status.error_details())) {
    for (const auto& any : rpc.details()) {
      std::string json;
      if (google::protobuf::util::MessageToJsonString(any, &json).ok()) {
        absl::StrAppend(&details, details.empty() ? "" : ",", json);
      }
    }
  }
  r.body = absl::StrCat(R"({"error":{"code":)", r.status, R"(,"message":)",
                        JsonQuote(status.error_message()), R"(,"status":")", name, R"(")",
                        details.empty() ? "" : absl::StrCat(R"(,"details":[)", details, "]"), "}}");
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse ErrorResponse(const absl::Status& status) { return ErrorResponse(ToGrpc(status)); }

}  // namespace dpmon
