#include "server/request_reader.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "dpmon/v1/field_behavior.pb.h"
#include "google/protobuf/descriptor.h"

namespace dpmon {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

thread_local bool t_unreadable = false;

// For one message type: its OUTPUT_ONLY fields, and its message fields
// whose types hold one (at any depth).
struct Plan {
  std::vector<const FieldDescriptor*> clear;
  std::vector<const FieldDescriptor*> descend;
};

bool IsOutputOnly(const FieldDescriptor* f) {
  return f->options().GetExtension(v1::field_behavior) == v1::OUTPUT_ONLY;
}

// Whether `d` holds an OUTPUT_ONLY field at any depth; `path` (the types on
// the way down) breaks cycles: a type met again adds nothing new.
bool Reaches(const Descriptor* d, std::vector<const Descriptor*>* path) {
  for (const Descriptor* p : *path) {
    if (p == d) return false;
  }
  path->push_back(d);
  bool reaches = false;
  for (int i = 0; i < d->field_count() && !reaches; ++i) {
    const FieldDescriptor* f = d->field(i);
    reaches = IsOutputOnly(f) || (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                                  Reaches(f->message_type(), path));
  }
  path->pop_back();
  return reaches;
}

const Plan& PlanFor(const Descriptor* d) {
  static absl::Mutex mu(absl::kConstInit);
  // Node-based: a reference handed out stays valid as plans are added.
  static auto* plans ABSL_GUARDED_BY(mu) = new absl::node_hash_map<const Descriptor*, Plan>();
  {
    absl::ReaderMutexLock lock(&mu);
    if (auto it = plans->find(d); it != plans->end()) return it->second;
  }
  Plan plan;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (IsOutputOnly(f)) {
      plan.clear.push_back(f);
      continue;
    }
    std::vector<const Descriptor*> path;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && Reaches(f->message_type(), &path)) {
      plan.descend.push_back(f);
    }
  }
  absl::MutexLock lock(&mu);
  return plans->try_emplace(d, std::move(plan)).first->second;
}

}  // namespace

void ClearOutputOnly(Message* message) {
  const Plan& plan = PlanFor(message->GetDescriptor());
  if (plan.clear.empty() && plan.descend.empty()) return;
  const Reflection* r = message->GetReflection();
  for (const FieldDescriptor* f : plan.clear) r->ClearField(message, f);
  for (const FieldDescriptor* f : plan.descend) {
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*message, f); ++i) {
        ClearOutputOnly(r->MutableRepeatedMessage(message, f, i));
      }
    } else if (r->HasField(*message, f)) {
      ClearOutputOnly(r->MutableMessage(message, f));
    }
  }
}

bool UnreadableRequest() { return t_unreadable; }

int MethodIndex(const char* service_full_name, const char* method) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_full_name);
  const google::protobuf::MethodDescriptor* m =
      service == nullptr ? nullptr : service->FindMethodByName(method);
  if (m == nullptr) {
    std::fprintf(stderr, "dpmon: no method %s/%s in the API\n", service_full_name, method);
    std::abort();
  }
  return m->index();
}

namespace internal {

UnreadableScope::UnreadableScope() { t_unreadable = true; }
UnreadableScope::~UnreadableScope() { t_unreadable = false; }

}  // namespace internal
}  // namespace dpmon
