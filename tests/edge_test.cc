// The contracts at the API's edges, over real gRPC against the real server
// (issue 13): output-only fields cannot be written, an unreadable request is
// refused by name and logged, a stream acknowledges every batch it writes,
// and shutdown drains streams at once.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "common/limits.h"
#include "dpmon/v1/field_behavior.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kGarbageText[] = "zz-output-only\0zz";
const std::string kGarbage(kGarbageText, sizeof kGarbageText - 1);
constexpr int64_t kGarbageInt64 = 987654321987;
constexpr int32_t kGarbageInt32 = 987654;
constexpr int kGarbageEnum = 77;  // Proto3 enums keep unknown numbers.

std::vector<const google::protobuf::ServiceDescriptor*> ApiServices() {
  const google::protobuf::FileDescriptor* file =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName("dpmon/v1/dpmon.proto");
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  for (int i = 0; file != nullptr && i < file->service_count(); ++i)
    out.push_back(file->service(i));
  return out;
}

v1::FieldBehavior BehaviorOf(const FieldDescriptor* f) {
  return f->options().GetExtension(v1::field_behavior);
}

// Every path from `d` down to a field the server must not take from a
// caller: OUTPUT_ONLY anywhere, and IDENTIFIER too when `creating`.
void WalkNotWritable(const Descriptor* d, bool creating, std::vector<const FieldDescriptor*>* path,
                     std::vector<std::vector<const FieldDescriptor*>>* out) {
  if (path->size() > 6) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    path->push_back(f);
    const v1::FieldBehavior b = BehaviorOf(f);
    if (b == v1::OUTPUT_ONLY || (creating && b == v1::IDENTIFIER)) {
      out->push_back(*path);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      WalkNotWritable(f->message_type(), creating, path, out);
    }
    path->pop_back();
  }
}

std::string PathName(const std::vector<const FieldDescriptor*>& path) {
  std::string s;
  for (const FieldDescriptor* f : path) absl::StrAppend(&s, s.empty() ? "" : ".", f->name());
  return s;
}

void SetGarbage(Message* m, const FieldDescriptor* f, int depth);

void FillGarbage(Message* m, int depth) {
  for (int i = 0; i < m->GetDescriptor()->field_count(); ++i) {
    SetGarbage(m, m->GetDescriptor()->field(i), depth + 1);
  }
}

// Sets `f` of `m` (adds one element if repeated) to a value no server would
// produce.
void SetGarbage(Message* m, const FieldDescriptor* f, int depth) {
  const Reflection* r = m->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      f->is_repeated() ? r->AddString(m, f, kGarbage) : r->SetString(m, f, kGarbage);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      f->is_repeated() ? r->AddInt64(m, f, kGarbageInt64) : r->SetInt64(m, f, kGarbageInt64);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      f->is_repeated() ? r->AddInt32(m, f, kGarbageInt32) : r->SetInt32(m, f, kGarbageInt32);
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      f->is_repeated() ? r->AddEnumValue(m, f, kGarbageEnum) : r->SetEnumValue(m, f, kGarbageEnum);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (depth < 4)
        FillGarbage(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), depth);
      break;
    default:
      ADD_FAILURE() << "no garbage for " << f->full_name();
  }
}

// Sets the field at the end of `path`, creating the messages on the way (a
// repeated message on the way gets its first element, added if needed).
void SetGarbageAt(Message* root, const std::vector<const FieldDescriptor*>& path) {
  Message* m = root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const FieldDescriptor* f = path[i];
    const Reflection* r = m->GetReflection();
    if (f->is_repeated()) {
      m = r->FieldSize(*m, f) > 0 ? r->MutableRepeatedMessage(m, f, 0) : r->AddMessage(m, f);
    } else {
      m = r->MutableMessage(m, f);
    }
  }
  SetGarbage(m, path.back(), 0);
}

// Where a garbage value shows in `m`, if anywhere.
std::string FindGarbage(const Message& m, const std::string& at = "") {
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string here = absl::StrCat(at, at.empty() ? "" : ".", f->name());
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      const bool rep = f->is_repeated();
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          if (absl::StrContains(rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f),
                                "zz-output-only")) {
            return here;
          }
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          if ((rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f)) == kGarbageInt64)
            return here;
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          if ((rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f)) == kGarbageInt32)
            return here;
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          if ((rep ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f)) == kGarbageEnum) {
            return here;
          }
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          std::string found =
              FindGarbage(rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f), here);
          if (!found.empty()) return found;
          break;
        }
        default:
          break;
      }
    }
  }
  return "";
}

class Edges : public ::testing::Test {
 protected:
  void SetUp() override { Boot({}); }

  void Boot(const std::vector<std::string>& flags) {
    ASSERT_TRUE(server_.Start(flags));
    client_ = std::make_unique<Client>(server_.Options(absl::Seconds(30)));
    channel_ =
        grpc::CreateChannel(server_.address(), grpc::experimental::LocalCredentials(LOCAL_TCP));
  }

  void MakeCouncil() {
    v1::CreateCouncilRequest c;
    c.set_council_id("c");
    v1::Council council;
    ASSERT_TRUE(
        Call([&](auto* ctx) { return client_->councils().CreateCouncil(ctx, c, &council); }).ok());
    ASSERT_TRUE(CreateAccount("A1").ok());
  }

  grpc::Status CreateAccount(const std::string& id) {
    v1::CreateAccountRequest a = NewAccount(id);
    v1::Account account;
    return Call([&](auto* ctx) { return client_->accounts().CreateAccount(ctx, a, &account); });
  }

  static v1::CreateAccountRequest NewAccount(const std::string& id) {
    v1::CreateAccountRequest a;
    a.set_parent("councils/c");
    a.set_account_id(id);
    a.mutable_account()->set_start_date("2025-01-01");
    a.mutable_account()->set_holding(v1::PREPAID_CARD);
    a.mutable_account()->set_management(v1::SELF);
    a.mutable_account()->set_recipient(v1::SERVICE_USER);
    return a;
  }

  template <typename F>
  grpc::Status Call(F f) {
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    return f(&ctx);
  }

  // One unary call by path with raw request bytes: the reply's bytes.
  grpc::Status RawCall(const std::string& path, const std::string& bytes, std::string* reply) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    client_->PrepareContext(&ctx);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      status = std::move(s);
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    if (status.ok() && reply != nullptr) {
      std::vector<grpc::Slice> slices;
      (void)response.Dump(&slices);
      reply->clear();
      for (const grpc::Slice& s : slices)
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return status;
  }

  std::vector<v1::AccessLogEntry> AccessLog() {
    std::vector<v1::AccessLogEntry> out;
    std::string token;
    do {
      v1::ListAccessLogRequest r;
      r.set_page_size(1000);
      r.set_page_token(token);
      v1::ListAccessLogResponse page;
      grpc::Status s =
          Call([&](auto* ctx) { return client_->admin().ListAccessLog(ctx, r, &page); });
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& e : page.entries()) out.push_back(e);
      token = page.next_page_token();
    } while (!token.empty());
    return out;
  }

  testing::TestServer server_{"edges"};
  std::unique_ptr<Client> client_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A valid request for each method whose request holds a field a caller may
// not write, made fresh for the n-th call; and the account to read back.
struct WriteCase {
  std::function<std::unique_ptr<Message>(int n)> request;
  std::string account;  // "" when the method touches no account.
};

std::map<std::string, WriteCase> WriteCases() {
  std::map<std::string, WriteCase> cases;
  cases["/dpmon.v1.Councils/CreateCouncil"] = {[](int n) {
                                                 auto r =
                                                     std::make_unique<v1::CreateCouncilRequest>();
                                                 r->set_council_id(absl::StrCat("oc", n));
                                                 return r;
                                               },
                                               ""};
  cases["/dpmon.v1.Accounts/CreateAccount"] = {
      [](int n) {
        auto r = std::make_unique<v1::CreateAccountRequest>();
        r->set_parent("councils/c");
        r->set_account_id(absl::StrCat("O", n));
        r->mutable_account()->set_start_date("2025-01-01");
        r->mutable_account()->set_holding(v1::PREPAID_CARD);
        r->mutable_account()->set_management(v1::SELF);
        r->mutable_account()->set_recipient(v1::SERVICE_USER);
        return r;
      },
      "new"};
  cases["/dpmon.v1.Accounts/UpdateAccount"] = {
      [](int) {
        auto r = std::make_unique<v1::UpdateAccountRequest>();
        r->mutable_account()->set_name("councils/c/accounts/A1");
        r->mutable_account()->set_management(v1::SELF);
        r->mutable_update_mask()->add_paths("management");
        return r;
      },
      "councils/c/accounts/A1"};
  cases["/dpmon.v1.Accounts/RecordRecovery"] = {[](int n) {
                                                  auto r =
                                                      std::make_unique<v1::RecordRecoveryRequest>();
                                                  r->set_account("councils/c/accounts/A1");
                                                  v1::Recovery* rec = r->mutable_recovery();
                                                  rec->set_id(absl::StrCat("rec", n));
                                                  rec->set_amount_pence(1000);
                                                  rec->set_method(v1::INVOICE);
                                                  rec->set_date("2025-03-01");
                                                  rec->set_recorded_by("officer");
                                                  return r;
                                                },
                                                "councils/c/accounts/A1"};
  cases["/dpmon.v1.Accounts/AddCaseNote"] = {
      [](int n) {
        auto r = std::make_unique<v1::AddCaseNoteRequest>();
        r->set_account("councils/c/accounts/A1");
        r->mutable_case_note()->set_text(absl::StrCat("spoke to the family ", n));
        return r;
      },
      "councils/c/accounts/A1"};
  cases["/dpmon.v1.Admin/CreateApiKey"] = {
      [](int n) {
        auto r = std::make_unique<v1::CreateApiKeyRequest>();
        r->mutable_api_key()->set_display_name(absl::StrCat("key ", n));
        r->mutable_api_key()->set_role(v1::OFFICER);
        r->mutable_api_key()->add_councils("c");
        return r;
      },
      ""};
  return cases;
}

TEST_F(Edges, OutputOnlyFieldsAreIgnoredOnEveryCreateAndUpdate) {
  MakeCouncil();
  const std::map<std::string, WriteCase> cases = WriteCases();
  int n = 0;
  int walked = 0;
  for (const auto* service : ApiServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      const bool creating = absl::StartsWith(method->name(), "Create");
      std::vector<const FieldDescriptor*> on_the_way;
      std::vector<std::vector<const FieldDescriptor*>> fields;
      WalkNotWritable(method->input_type(), creating, &on_the_way, &fields);
      if (fields.empty()) continue;
      auto it = cases.find(path);
      ASSERT_NE(it, cases.end()) << path << " takes " << PathName(fields[0])
                                 << ", which a caller may not write: add a case here";
      for (const auto& field : fields) {
        ++walked;
        SCOPED_TRACE(absl::StrCat(path, " with ", PathName(field)));
        std::unique_ptr<Message> request = it->second.request(++n);
        SetGarbageAt(request.get(), field);
        std::string reply_bytes;
        grpc::Status s = RawCall(path, request->SerializeAsString(), &reply_bytes);
        if (!s.ok()) {
          // Refusing it is allowed too, by name.
          EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
          EXPECT_FALSE(BadRequestField(s).empty()) << s.error_message();
          continue;
        }
        std::unique_ptr<Message> reply(google::protobuf::MessageFactory::generated_factory()
                                           ->GetPrototype(method->output_type())
                                           ->New());
        ASSERT_TRUE(reply->ParseFromString(reply_bytes));
        EXPECT_EQ(FindGarbage(*reply), "") << "the reply shows what the caller wrote";
        std::string account = it->second.account;
        if (account == "new") {
          account = absl::StrCat("councils/c/accounts/O", n);
          EXPECT_EQ(static_cast<v1::Account&>(*reply).name(), account);
        }
        if (path == "/dpmon.v1.Councils/CreateCouncil") {
          EXPECT_EQ(static_cast<v1::Council&>(*reply).name(), absl::StrCat("councils/oc", n));
        }
        if (account.empty()) continue;
        if (path == "/dpmon.v1.Accounts/AddCaseNote") {
          EXPECT_TRUE(absl::StartsWith(static_cast<v1::CaseNote&>(*reply).name(),
                                       "councils/c/accounts/A1/notes/"));
          v1::ListCaseNotesRequest lr;
          lr.set_parent(account);
          v1::ListCaseNotesResponse notes;
          s = Call([&](auto* ctx) { return client_->accounts().ListCaseNotes(ctx, lr, &notes); });
          ASSERT_TRUE(s.ok()) << s.error_message();
          EXPECT_EQ(FindGarbage(notes), "");
        }
        // What was stored reads back whole, without the garbage.
        v1::GetAccountOverviewRequest o;
        o.set_account(account);
        o.set_as_of_date("2025-06-30");
        v1::AccountOverview overview;
        s = Call(
            [&](auto* ctx) { return client_->monitoring().GetAccountOverview(ctx, o, &overview); });
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(FindGarbage(overview), "");
        v1::GetAuditPackRequest p;
        p.set_account(account);
        p.set_start_date("2025-01-01");
        p.set_end_date("2025-06-30");
        v1::AuditPack pack;
        s = Call([&](auto* ctx) { return client_->audits().GetAuditPack(ctx, p, &pack); });
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(FindGarbage(pack), "");
      }
    }
  }
  // Account alone has eight such fields: the walk found them.
  EXPECT_GE(walked, 15);
  // The keys as listed show nothing a caller wrote either.
  v1::ListApiKeysRequest lr;
  v1::ListApiKeysResponse keys;
  ASSERT_TRUE(Call([&](auto* ctx) { return client_->admin().ListApiKeys(ctx, lr, &keys); }).ok());
  EXPECT_EQ(FindGarbage(keys), "");
}

// Bytes that do not parse as the method's request, three ways.
std::vector<std::pair<std::string, std::string>> UnreadableBodies(const Descriptor* request) {
  std::vector<std::pair<std::string, std::string>> out;
  out.push_back({"garbage", std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)});
  // A length-delimited field 1 that says 10 bytes and holds 2.
  out.push_back({"cut short", std::string("\x0a\x0a\x41\x42", 4)});
  for (int i = 0; i < request->field_count(); ++i) {
    const FieldDescriptor* f = request->field(i);
    if (f->type() != FieldDescriptor::TYPE_STRING || f->number() > 15) continue;
    std::string bytes;
    bytes.push_back(static_cast<char>(f->number() << 3 | 2));
    bytes.push_back(2);
    bytes.append("\xc3\x28", 2);  // Not UTF-8.
    out.push_back({absl::StrCat("invalid UTF-8 in ", f->name()), bytes});
    break;
  }
  return out;
}

TEST_F(Edges, EveryMethodRefusesAnUnreadableRequestByNameAndLogsIt) {
  MakeCouncil();
  std::map<std::string, int> refused;  // By method path.
  for (const auto* service : ApiServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      for (const auto& [what, bytes] : UnreadableBodies(method->input_type())) {
        SCOPED_TRACE(absl::StrCat(path, ": ", what));
        grpc::Status s;
        if (method->client_streaming()) {
          grpc::GenericStub stub(channel_);
          grpc::ClientContext ctx;
          client_->PrepareContext(&ctx);
          grpc::CompletionQueue cq;
          std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
              stub.PrepareCall(&ctx, path, &cq);
          void* tag;
          bool ok;
          call->StartCall(reinterpret_cast<void*>(1));
          ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
          grpc::Slice slice(bytes);
          grpc::ByteBuffer buffer(&slice, 1);
          call->WriteLast(buffer, grpc::WriteOptions(), reinterpret_cast<void*>(2));
          ASSERT_TRUE(cq.Next(&tag, &ok));
          call->Finish(&s, reinterpret_cast<void*>(3));
          ASSERT_TRUE(cq.Next(&tag, &ok));
          cq.Shutdown();
          while (cq.Next(&tag, &ok)) {
          }
        } else {
          s = RawCall(path, bytes, nullptr);
        }
        EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
        EXPECT_TRUE(absl::StrContains(s.error_message(),
                                      "could not be read as " + method->input_type()->full_name()))
            << s.error_message();
        EXPECT_EQ(BadRequestField(s), "request");
        if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) ++refused[path];
      }
    }
  }
  // Each of those calls is in the access log, refused.
  std::map<std::string, int> logged;
  for (int attempt = 0; attempt < 50; ++attempt) {
    logged.clear();
    for (const v1::AccessLogEntry& e : AccessLog()) {
      if (e.code() == "INVALID_ARGUMENT" && absl::StrContains(e.message(), "could not be read")) {
        ++logged[e.method()];
      }
    }
    if (logged == refused) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(logged, refused);
  EXPECT_GE(refused.size(), 38u);
}

// A stream's batches: batch b holds one transaction of b+1 pence, so the
// balance and count say which batches were written.
v1::IngestBatchRequest StreamBatch(int round, int b) {
  v1::IngestBatchRequest r;
  r.set_parent("councils/c");
  r.set_batch_id(b);
  r.set_request_id(absl::StrCat("stream-", round, "-", b));
  v1::TransactionInput* t = r.add_items()->mutable_transaction();
  t->set_source("card");
  t->set_account(absl::StrCat("S", round));
  t->set_external_id(absl::StrCat("s", round, "-", b));
  t->set_booking_date("2025-02-01");
  t->set_amount_pence(1LL << b);
  return r;
}

TEST_F(Edges, AStreamAcknowledgesEveryBatchItWritesAndWritesNothingAfterARefusal) {
  MakeCouncil();
  constexpr int kBatches = 6;
  const std::vector<std::string> refusals = {"empty", "bad request_id", "unknown council",
                                             "unreadable"};
  int round = 0;
  for (int trial = 0; trial < 3; ++trial) {
    for (const std::string& refusal : refusals) {
      for (int refused_at = 1; refused_at < kBatches; ++refused_at) {
        SCOPED_TRACE(absl::StrCat(refusal, " at batch ", refused_at, ", trial ", trial));
        ++round;
        ASSERT_TRUE(CreateAccount(absl::StrCat("S", round)).ok());
        grpc::GenericStub stub(channel_);
        grpc::ClientContext ctx;
        client_->PrepareContext(&ctx);
        grpc::CompletionQueue cq;
        auto call = stub.PrepareCall(&ctx, "/dpmon.v1.Ledger/StreamIngest", &cq);
        void* tag;
        bool ok;
        call->StartCall(nullptr);
        ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
        // Every batch is sent before any acknowledgement is read.
        for (int b = 0; b < kBatches; ++b) {
          std::string bytes;
          v1::IngestBatchRequest r = StreamBatch(round, b);
          if (b == refused_at) {
            if (refusal == "empty") r.clear_items();
            if (refusal == "bad request_id") r.set_request_id(std::string(300, 'x'));
            if (refusal == "unknown council") r.set_parent("councils/nowhere");
          }
          bytes = r.SerializeAsString();
          if (b == refused_at && refusal == "unreadable") bytes = "\xff\xff\xff\xff";
          grpc::Slice slice(bytes);
          grpc::ByteBuffer buffer(&slice, 1);
          call->Write(buffer, nullptr);
          if (!(cq.Next(&tag, &ok) && ok)) break;  // The server has ended the stream.
        }
        call->WritesDone(nullptr);
        cq.Next(&tag, &ok);
        std::set<int> acked;
        for (;;) {
          grpc::ByteBuffer buffer;
          call->Read(&buffer, nullptr);
          if (!(cq.Next(&tag, &ok) && ok)) break;
          std::vector<grpc::Slice> slices;
          (void)buffer.Dump(&slices);
          std::string bytes;
          for (const grpc::Slice& s : slices) {
            bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
          }
          v1::IngestBatchResponse ack;
          ASSERT_TRUE(ack.ParseFromString(bytes));
          for (const auto& item : ack.results()) EXPECT_EQ(item.outcome(), v1::ACCEPTED);
          acked.insert(static_cast<int>(ack.batch_id()));
        }
        grpc::Status status;
        call->Finish(&status, nullptr);
        cq.Next(&tag, &ok);
        cq.Shutdown();
        while (cq.Next(&tag, &ok)) {
        }
        EXPECT_FALSE(status.ok());
        // Which batches were written, from the ledger.
        v1::GetBalanceRequest br;
        br.set_account(absl::StrCat("councils/c/accounts/S", round));
        br.set_as_of_date("2099-01-01");
        v1::Balance balance;
        ASSERT_TRUE(
            Call([&](auto* c) { return client_->ledger().GetBalance(c, br, &balance); }).ok());
        std::set<int> written;
        for (int b = 0; b < kBatches; ++b) {
          if (balance.balance_pence() & (1LL << b)) written.insert(b);
        }
        EXPECT_EQ(static_cast<int64_t>(written.size()), balance.transaction_count());
        EXPECT_EQ(written, acked) << "written and acknowledged differ; status "
                                  << status.error_message();
        for (int b = 0; b < refused_at; ++b) EXPECT_TRUE(acked.count(b)) << "batch " << b;
        EXPECT_FALSE(written.count(refused_at));
      }
    }
  }
}

TEST_F(Edges, ShutdownStopsStreamsAtOnceAndLosesOrDoublesNoBatch) {
  // A long grace: an idle stream or a busy one would hold shutdown for it.
  ASSERT_TRUE(server_.Terminate());
  Boot({"--shutdown_grace_seconds=60"});
  MakeCouncil();
  ASSERT_TRUE(CreateAccount("S1").ok());
  ASSERT_TRUE(CreateAccount("S2").ok());

  // An idle stream: one batch, acknowledged, then nothing.
  grpc::ClientContext idle_ctx;
  client_->PrepareContext(&idle_ctx);
  auto idle = client_->ledger().StreamIngest(&idle_ctx);
  ASSERT_TRUE(idle->Write(StreamBatch(1, 0)));
  v1::IngestBatchResponse first;
  ASSERT_TRUE(idle->Read(&first));

  // A busy stream: batches as fast as the server takes them. Batch b of
  // account S2 is one transaction of 1 penny with its own id.
  grpc::ClientContext busy_ctx;
  client_->PrepareContext(&busy_ctx);
  auto busy = client_->ledger().StreamIngest(&busy_ctx);
  auto busy_batch = [](int b) {
    v1::IngestBatchRequest r;
    r.set_parent("councils/c");
    r.set_batch_id(b);
    r.set_request_id(absl::StrCat("busy-", b));
    v1::TransactionInput* t = r.add_items()->mutable_transaction();
    t->set_source("card");
    t->set_account("S2");
    t->set_external_id(absl::StrCat("busy-", b));
    t->set_booking_date("2025-02-01");
    t->set_amount_pence(1);
    return r;
  };
  std::atomic<int> sent{0};
  std::thread writer([&] {
    for (int b = 0;; ++b) {
      if (!busy->Write(busy_batch(b))) break;
      ++sent;
    }
  });
  std::set<int64_t> busy_acked;
  std::atomic<int> acks{0};
  std::thread reader([&] {
    v1::IngestBatchResponse ack;
    while (busy->Read(&ack)) {
      busy_acked.insert(ack.batch_id());
      ++acks;
    }
  });
  // Busy: the server is taking batches and more are queued behind them.
  while (sent.load() < 200 || acks.load() < 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  const absl::Time signalled = absl::Now();
  EXPECT_TRUE(server_.Terminate());
  const absl::Duration took = absl::Now() - signalled;
  EXPECT_LT(took, absl::Seconds(15)) << "shutdown waited for the streams";
  writer.join();
  reader.join();
  grpc::Status busy_status = busy->Finish();
  EXPECT_EQ(busy_status.error_code(), grpc::StatusCode::UNAVAILABLE) << busy_status.error_message();
  v1::IngestBatchResponse none;
  EXPECT_FALSE(idle->Read(&none));
  grpc::Status idle_status = idle->Finish();
  EXPECT_EQ(idle_status.error_code(), grpc::StatusCode::UNAVAILABLE) << idle_status.error_message();

  // What was acknowledged was written: the first batches, in order. At most
  // the batches in flight at the drain were written as well; shutdown
  // acknowledges them, but one can still be lost with the connection.
  Boot({});
  auto count_written = [&] {
    v1::GetBalanceRequest br;
    br.set_account("councils/c/accounts/S2");
    br.set_as_of_date("2099-01-01");
    v1::Balance balance;
    EXPECT_TRUE(Call([&](auto* c) { return client_->ledger().GetBalance(c, br, &balance); }).ok());
    EXPECT_EQ(balance.balance_pence(), balance.transaction_count());
    return balance.transaction_count();
  };
  const int64_t written = count_written();
  const int64_t acked = static_cast<int64_t>(busy_acked.size());
  EXPECT_GT(acked, 0);
  if (acked > 0) {
    EXPECT_EQ(*busy_acked.rbegin(), acked - 1) << "acknowledged out of order";
  }
  EXPECT_GE(written, acked);
  EXPECT_LE(written, acked + limits::kStreamBatchesInFlightMax);
  EXPECT_LE(written, sent.load());
  if (written != acked) {
    std::cerr << written - acked << " batches written but their acknowledgement lost\n";
  }

  // The client resends every batch it sent, as it must those without an
  // acknowledgement: each is counted once.
  for (int b = 0; b < sent.load(); ++b) {
    v1::IngestBatchRequest r = busy_batch(b);
    v1::IngestBatchResponse answer;
    ASSERT_TRUE(Call([&](auto* c) { return client_->ledger().IngestBatch(c, r, &answer); }).ok());
    ASSERT_EQ(answer.results_size(), 1);
    // A batch written before was answered as it was then: ACCEPTED.
    EXPECT_EQ(answer.results(0).outcome(), v1::ACCEPTED) << "batch " << b;
  }
  EXPECT_EQ(count_written(), sent.load());
}

}  // namespace
}  // namespace dpmon
