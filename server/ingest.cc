// LedgerService's ingest: IngestBatch and StreamIngest, and the validation
// both share (PrepareIngest); and LedgerService's construction, which gives
// StreamIngest its own handler.
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/limits.h"
#include "server/clock.h"
#include "server/ledger_service.h"
#include "server/metrics.h"
#include "server/service_util.h"
#include "server/status_util.h"
#include "server/validation.h"
#include "storage/proto_domain.h"

namespace dpmon {

absl::Status PrepareIngest(const v1::IngestBatchRequest& request, const Principal& caller,
                           std::string* council, std::vector<LedgerWrite>* writes,
                           storage::IngestOutcome* response, RequestKey* key) {
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return s;
  absl::StatusOr<std::string> c = ParseCouncilName(request.parent(), "parent");
  if (!c.ok()) return c.status();
  if (absl::Status s = Authorize(caller, *c); !s.ok()) return s;
  *council = *c;
  if (request.items_size() == 0) return InvalidField("items", "must hold at least one item");
  if (request.items_size() > limits::kIngestItemsMax) {
    return InvalidField("items", absl::StrFormat("holds %d items; the limit is %d",
                                                 request.items_size(), limits::kIngestItemsMax));
  }
  response->set_batch_id(request.batch_id());
  writes->reserve(request.items_size());
  const int64_t received_micros = absl::ToUnixMicros(absl::Now());
  for (int i = 0; i < request.items_size(); ++i) {
    const v1::LedgerItem& item = request.items(i);
    v1::ItemResult* result = response->add_results();
    result->set_index(i);
    LedgerWrite w;
    w.index = i;
    w.received_micros = received_micros;
    absl::Status s;
    if (item.has_transaction()) {
      s = ValidateTransactionInput(item.transaction(), absl::StrCat("items[", i, "].transaction"),
                                   &w.date);
      w.is_transaction = true;
      if (s.ok()) w.transaction = item.transaction();
    } else if (item.has_statement()) {
      s = ValidateStatementInput(item.statement(), absl::StrCat("items[", i, "].statement"),
                                 &w.date);
      w.is_transaction = false;
      if (s.ok()) w.statement = item.statement();
    } else {
      s = InvalidField(absl::StrCat("items[", i, "]"),
                       "holds neither a transaction nor a statement");
    }
    if (s.ok()) {
      const std::string& source = w.is_transaction ? w.transaction.source() : w.statement.source();
      if (!caller.HoldsSource(source)) {
        result->set_outcome(v1::DENIED);
        result->set_field(absl::StrCat("items[", i, "].",
                                       w.is_transaction ? "transaction" : "statement", ".source"));
        result->set_reason(absl::StrFormat("this key may not push source \"%s\"", source));
        continue;
      }
    }
    if (!s.ok()) {
      result->set_outcome(v1::INVALID);
      std::string field = FieldOf(s);
      absl::string_view reason = s.message();
      absl::ConsumePrefix(&reason, absl::StrCat(field, ": "));
      result->set_field(field);
      result->set_reason(std::string(reason));
      continue;
    }
    // Here, on the calling thread, rather than on the store's one writer.
    if (w.is_transaction) SerializeLedgerWrite(&w);
    writes->push_back(std::move(w));
  }
  // Batches of IngestBatch and of StreamIngest share one namespace of
  // request ids: a batch retried on the other path is still a repeat.
  *key = RequestKey{"IngestBatch", request.request_id(), {}};
  if (!request.request_id().empty()) {
    v1::IngestBatchRequest copy = request;
    copy.clear_request_id();
    copy.clear_batch_id();
    key->request_fingerprint = copy.SerializeAsString();
  }
  return absl::OkStatus();
}

v1::IngestBatchResponse IngestResponseOf(storage::IngestOutcome outcome) {
  v1::IngestBatchResponse r;
  r.mutable_results()->Swap(outcome.mutable_results());
  r.set_batch_id(outcome.batch_id());
  r.set_accepted(outcome.accepted());
  r.set_duplicate(outcome.duplicate());
  r.set_conflict(outcome.conflict());
  r.set_suspense(outcome.suspense());
  r.set_invalid(outcome.invalid());
  r.set_denied(outcome.denied());
  return r;
}

grpc::ServerUnaryReactor* LedgerService::IngestBatch(grpc::CallbackServerContext* context,
                                                     const v1::IngestBatchRequest* request,
                                                     v1::IngestBatchResponse* response) {
  return ServeAsync(
      ctx_, context, RpcOf<v1::Ledger>(__func__), request,
      [this, request, response](const Call& call, std::function<void(const absl::Status&)> finish) {
        std::string council;
        std::vector<LedgerWrite> writes;
        storage::IngestOutcome prepared;
        RequestKey key;
        if (absl::Status s =
                PrepareIngest(*request, call.caller, &council, &writes, &prepared, &key);
            !s.ok()) {
          finish(s);
          return;
        }
        ctx_.store->IngestAsync(council, std::move(writes), std::move(prepared), key,
                                [this, response, finish](absl::StatusOr<storage::IngestOutcome> r) {
                                  if (r.ok()) {
                                    *response = IngestResponseOf(*std::move(r));
                                    if (ctx_.metrics != nullptr)
                                      ctx_.metrics->CountIngest(*response);
                                  }
                                  finish(r.status());
                                });
      });
}

namespace {
class IngestStream;

// How long shutdown waits, once the streams have ended, before the
// connections close: a margin for a client slow to read its last frames.
// Closing the connections while the streams were still ending lost the last
// few acknowledgements in about 1 shutdown of a busy stream in 12 on a
// loaded two-core machine; waiting for the streams to end, none in 60
// without this margin and none in 100 with 500 ms (tests/edge_test.cc).
constexpr absl::Duration kShutdownLinger = absl::Milliseconds(200);
}  // namespace

// The open ingest streams, so that shutdown can drain them.
class IngestStreams {
 public:
  // False once draining: the stream must end at once.
  bool Add(IngestStream* stream);
  // Called by a stream's OnDone, before the stream can be deleted.
  void Remove(IngestStream* stream);
  // Drains every open stream; true if there was one.
  bool Drain();
  // Waits until every stream has ended, or `deadline`.
  void AwaitEnded(absl::Time deadline);

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<IngestStream*> open_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

// One ingest stream. Batches go to the store in the order they are read;
// acknowledgements come back in the same order (the writer is FIFO) and are
// written one at a time.
//
// Every batch the store wrote is acknowledged before the stream ends, even
// when a later batch was refused or the server is shutting down; after the
// first refused batch nothing more is read, so nothing more is written. A
// batch the client saw no acknowledgement for was therefore not written,
// unless the connection failed before the acknowledgement reached it (the
// client went away, or shutdown closed the connection before the client had
// read it, which the shutdown's linger makes rare). Either way the client
// resends with the same request_id, and the retry is answered as a repeat.
class IngestStream final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, v1::IngestBatchResponse> {
 public:
  IngestStream(const ServiceContext& ctx, IngestStreams* streams,
               grpc::CallbackServerContext* context, Rpc rpc)
      : ctx_(ctx), streams_(streams), context_(context), rpc_(rpc), start_(absl::Now()) {
    if (streams_->Add(this)) {
      StartRead(&raw_);
    } else {
      Drain();
    }
  }

  // Takes no more batches; ends once those taken are acknowledged.
  void Drain() {
    absl::MutexLock lock(&mu_);
    if (error_.ok()) {
      error_ = absl::UnavailableError(
          "dpmon is shutting down: send the batches not acknowledged again, with the same "
          "request_id (one already written is answered as a repeat)");
    }
    reads_done_ = true;
    MaybeFinishLocked();
  }

  void OnReadDone(bool ok) override {
    std::string council;
    std::vector<LedgerWrite> writes;
    storage::IngestOutcome prepared;
    RequestKey key;
    {
      absl::MutexLock lock(&mu_);
      if (!PrepareLocked(ok, &council, &writes, &prepared, &key)) return;
      ++in_store_;
    }
    ctx_.store->IngestAsync(
        council, std::move(writes), std::move(prepared), key,
        [this](absl::StatusOr<storage::IngestOutcome> r) { OnStored(std::move(r)); });
    absl::MutexLock lock(&mu_);
    if (in_store_ + static_cast<int>(to_write_.size()) < limits::kStreamBatchesInFlightMax) {
      StartRead(&raw_);
    } else {
      read_paused_ = true;
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    to_write_.pop_front();
    if (!ok) {
      if (error_.ok()) error_ = absl::CancelledError("the client went away");
      reads_done_ = true;
    }
    WriteNextLocked();
    ResumeReadLocked();
    MaybeFinishLocked();
  }

  // Finish is only called once nothing is left in the store, so OnDone can
  // normally delete at once; the count guards the order of the two anyway.
  void OnDone() override {
    streams_->Remove(this);
    bool last;
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      last = in_store_ == 0;
    }
    if (last) delete this;
  }

  void OnCancel() override {}

 private:
  // The batch just read, validated and ready for the store; false (with
  // the stream finishing where it must) if there is none to send.
  bool PrepareLocked(bool ok, std::string* council, std::vector<LedgerWrite>* writes,
                     storage::IngestOutcome* prepared, RequestKey* key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return false;
    }
    if (!error_.ok()) return false;  // Finishing: take nothing more.
    // Checked on every batch: a key revoked or expired mid-stream stops it.
    absl::StatusOr<std::shared_ptr<const Principal>> caller = CallerOf(*ctx_.keys, *context_);
    if (caller_ == nullptr && caller.ok()) caller_ = *caller;
    absl::Status s = caller.status();
    if (s.ok()) s = Permit(**caller, rpc_.path);
    if (s.ok()) {
      request_.Clear();
      if (!grpc::SerializationTraits<v1::IngestBatchRequest>::Deserialize(&raw_, &request_).ok()) {
        s = UnreadableRequestError(v1::IngestBatchRequest::descriptor()->full_name());
      }
      ClearOutputOnly(&request_);
    }
    if (s.ok()) {
      if (target_.council.empty()) target_ = TargetOf(request_);
      s = PrepareIngest(request_, **caller, council, writes, prepared, key);
    }
    if (!s.ok()) {
      error_ = s;
      reads_done_ = true;
      MaybeFinishLocked();
      return false;
    }
    return true;
  }

  void OnStored(absl::StatusOr<storage::IngestOutcome> r) {
    absl::ReleasableMutexLock lock(&mu_);
    --in_store_;
    if (done_) {
      if (in_store_ == 0) {
        lock.Release();
        delete this;
      }
      return;
    }
    if (!r.ok()) {
      if (error_.ok()) error_ = r.status();
      reads_done_ = true;
    } else {
      // Written, so acknowledged, even if the stream is ending.
      to_write_.push_back(IngestResponseOf(*std::move(r)));
      if (ctx_.metrics != nullptr) ctx_.metrics->CountIngest(to_write_.back());
      WriteNextLocked();
    }
    ResumeReadLocked();
    MaybeFinishLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || to_write_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&to_write_.front());
  }

  void ResumeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (read_paused_ && !reads_done_ && error_.ok() &&
        in_store_ + static_cast<int>(to_write_.size()) < limits::kStreamBatchesInFlightMax) {
      read_paused_ = false;
      StartRead(&raw_);
    }
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_done_ || in_store_ > 0 || writing_ || !to_write_.empty()) return;
    finished_ = true;
    LogCall(ctx_, *context_, rpc_.path, caller_.get(), target_, error_, start_);
    Finish(ToGrpc(error_));
  }

  const ServiceContext& ctx_;
  IngestStreams* const streams_;
  grpc::CallbackServerContext* context_;
  const Rpc rpc_;
  const absl::Time start_;
  absl::Mutex mu_;
  std::shared_ptr<const Principal> caller_ ABSL_GUARDED_BY(mu_);
  Target target_ ABSL_GUARDED_BY(mu_);  // The first batch's council.
  grpc::ByteBuffer raw_;                // The batch being read.
  v1::IngestBatchRequest request_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::IngestBatchResponse> to_write_ ABSL_GUARDED_BY(mu_);
  int in_store_ ABSL_GUARDED_BY(mu_) = 0;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

bool IngestStreams::Add(IngestStream* stream) {
  absl::MutexLock lock(&mu_);
  if (draining_) return false;
  open_.insert(stream);
  return true;
}

void IngestStreams::Remove(IngestStream* stream) {
  absl::MutexLock lock(&mu_);
  open_.erase(stream);
}

bool IngestStreams::Drain() {
  absl::MutexLock lock(&mu_);  // Then each stream's own: never the other way round.
  draining_ = true;
  for (IngestStream* stream : open_) stream->Drain();
  return !open_.empty();
}

void IngestStreams::AwaitEnded(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(
      absl::Condition(
          +[](absl::flat_hash_set<IngestStream*>* open) { return open->empty(); }, &open_),
      deadline);
}

LedgerService::LedgerService(ServiceContext ctx)
    : ctx_(std::move(ctx)), streams_(std::make_unique<IngestStreams>()) {
  MarkMethodCallback(
      MethodIndex(v1::Ledger::service_full_name(), "StreamIngest"),
      new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, v1::IngestBatchResponse>(
          [this](grpc::CallbackServerContext* context) { return OpenIngestStream(context); }));
  ReadUnary(this, &LedgerService::IngestBatch, "IngestBatch");
  ReadUnary(this, &LedgerService::ListTransactions, "ListTransactions");
  ReadUnary(this, &LedgerService::ListStatements, "ListStatements");
  ReadUnary(this, &LedgerService::ListSuspense, "ListSuspense");
  ReadUnary(this, &LedgerService::GetBalance, "GetBalance");
  ReadUnary(this, &LedgerService::GetCategoryTotals, "GetCategoryTotals");
  ReadUnary(this, &LedgerService::RecategoriseTransaction, "RecategoriseTransaction");
}
LedgerService::~LedgerService() = default;

void LedgerService::DrainStreams(absl::Time deadline) {
  if (!streams_->Drain()) return;
  streams_->AwaitEnded(deadline);
  // As a web server lingers before closing: the clients read what was sent.
  absl::SleepFor(std::min(kShutdownLinger, std::max(absl::ZeroDuration(), deadline - absl::Now())));
}

grpc::ServerBidiReactor<grpc::ByteBuffer, v1::IngestBatchResponse>* LedgerService::OpenIngestStream(
    grpc::CallbackServerContext* context) {
  return new IngestStream(ctx_, streams_.get(), context,
                          RpcNamed(v1::Ledger::service_full_name(), "StreamIngest"));
}

}  // namespace dpmon
