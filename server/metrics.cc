#include "server/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/operations.h"
#include "storage/store.h"

namespace dpmon {
namespace {

// A label value as the text format wants it: \ " and newline escaped.
std::string Quote(absl::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

class Writer {
 public:
  void Head(const char* name, const char* type, const char* help) {
    absl::StrAppend(&out_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  // name{labels} value; labels already formatted ("" for none).
  void Sample(absl::string_view name, absl::string_view labels, absl::string_view value) {
    absl::StrAppend(&out_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    value, "\n");
  }
  void Sample(absl::string_view name, absl::string_view labels, uint64_t value) {
    Sample(name, labels, absl::StrCat(value));
  }
  // A histogram of microseconds (as seconds) or of plain counts.
  void Histo(absl::string_view name, absl::string_view labels, const Histogram::Snapshot& s,
             bool micros) {
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < s.bounds.size(); ++i) {
      const std::string le = micros ? MicrosAsSeconds(s.bounds[i]) : absl::StrCat(s.bounds[i]);
      Sample(absl::StrCat(name, "_bucket"), absl::StrCat(labels, sep, "le=", Quote(le)),
             s.cumulative[i]);
    }
    Sample(absl::StrCat(name, "_bucket"), absl::StrCat(labels, sep, "le=\"+Inf\""), s.count());
    Sample(absl::StrCat(name, "_sum"), labels,
           micros ? MicrosAsSeconds(s.sum) : absl::StrCat(s.sum));
    Sample(absl::StrCat(name, "_count"), labels, s.count());
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string MicrosAsSeconds(int64_t micros) {
  const bool negative = micros < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  std::string frac = absl::StrFormat("%06d", m % 1'000'000);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return absl::StrCat(negative ? "-" : "", m / 1'000'000, frac.empty() ? "" : ".", frac);
}

Metrics::Metrics() : started_(absl::Now()) {}

Metrics::Method* Metrics::MethodOf(const std::string& method) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = methods_.find(method);
    if (it != methods_.end()) return it->second.get();
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Method>& m = methods_[method];
  if (m == nullptr) m = std::make_unique<Method>();
  return m.get();
}

void Metrics::ObserveCall(const std::string& method, absl::StatusCode code,
                          absl::Duration latency) {
  Method* m = MethodOf(method);
  m->latency_micros.Observe(absl::ToInt64Microseconds(latency));
  const int c = static_cast<int>(code);
  m->by_code[c >= 0 && c < 17 ? c : 2].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountIngest(const v1::IngestBatchResponse& response) {
  for (const v1::ItemResult& r : response.results()) {
    const int o = static_cast<int>(r.outcome());
    if (o >= 0 && o < static_cast<int>(ingest_by_outcome_.size())) {
      ingest_by_outcome_[o].fetch_add(1, std::memory_order_relaxed);
    }
  }
}

std::string Metrics::Render(Store* store, const Operations* operations) const {
  Writer w;
  w.Head("dpmon_start_time_seconds", "gauge", "When this server started (Unix seconds).");
  w.Sample("dpmon_start_time_seconds", "", static_cast<uint64_t>(absl::ToUnixSeconds(started_)));

  w.Head("dpmon_ingest_items_total", "counter",
         "Ledger items answered by ingest (IngestBatch and StreamIngest), by outcome.");
  for (int o = 1; o <= v1::ItemOutcome_MAX; ++o) {
    w.Sample("dpmon_ingest_items_total",
             absl::StrCat("outcome=", Quote(v1::ItemOutcome_Name(static_cast<v1::ItemOutcome>(o)))),
             ingest_by_outcome_[o].load(std::memory_order_relaxed));
  }
  {
    absl::ReaderMutexLock lock(&mu_);
    w.Head("dpmon_calls_total", "counter", "Calls answered, by method and status code.");
    for (const auto& [method, m] : methods_) {
      for (int c = 0; c < 17; ++c) {
        const uint64_t n = m->by_code[c].load(std::memory_order_relaxed);
        if (n == 0) continue;
        w.Sample("dpmon_calls_total",
                 absl::StrCat("method=", Quote(method), ",code=",
                              Quote(absl::StatusCodeToString(static_cast<absl::StatusCode>(c)))),
                 n);
      }
    }
    w.Head("dpmon_call_duration_seconds", "histogram", "How long calls took, by method.");
    for (const auto& [method, m] : methods_) {
      w.Histo("dpmon_call_duration_seconds", absl::StrCat("method=", Quote(method)),
              m->latency_micros.Read(), true);
    }
  }

  if (store != nullptr) {
    const Store::Stats s = store->GetStats();
    w.Head("dpmon_commit_groups_total", "counter", "Groups of writes committed.");
    w.Sample("dpmon_commit_groups_total", "", s.groups);
    w.Head("dpmon_commit_items_total", "counter", "Items (transactions, changes) committed.");
    w.Sample("dpmon_commit_items_total", "", s.items);
    w.Head("dpmon_commit_failures_total", "counter", "Groups whose write failed.");
    w.Sample("dpmon_commit_failures_total", "", s.failed_writes);
    w.Head("dpmon_fsyncs_total", "counter", "Synced write-ahead-log writes (groups, access log).");
    w.Sample("dpmon_fsyncs_total", "", s.synced_writes);
    w.Head("dpmon_commit_duration_seconds", "histogram", "Each group's synced write.");
    w.Histo("dpmon_commit_duration_seconds", "", s.commit_micros, true);
    w.Head("dpmon_commit_group_items", "histogram", "Items in each committed group.");
    w.Histo("dpmon_commit_group_items", "", s.group_items, false);
    w.Head("dpmon_write_queue_requests", "gauge", "Requests waiting for the writer.");
    w.Sample("dpmon_write_queue_requests", "", static_cast<uint64_t>(s.queued_requests));
    w.Head("dpmon_rocksdb_write_stopped", "gauge", "1 while RocksDB has stopped writes.");
    w.Sample("dpmon_rocksdb_write_stopped", "", s.write_stopped ? 1 : 0);
    w.Head("dpmon_rocksdb_delayed_write_rate_bytes", "gauge",
           "Bytes a second RocksDB lets through while it slows writes (0: not slowed).");
    w.Sample("dpmon_rocksdb_delayed_write_rate_bytes", "", s.delayed_write_rate);
    w.Head("dpmon_rocksdb_write_stalls_total", "counter",
           "Write slowdowns and stops since the store opened.");
    w.Sample("dpmon_rocksdb_write_stalls_total", "", s.stall_count);
    w.Head("dpmon_rocksdb_pending_compaction_bytes", "gauge",
           "Bytes RocksDB estimates compaction must rewrite.");
    w.Sample("dpmon_rocksdb_pending_compaction_bytes", "", s.pending_compaction_bytes);
    w.Head("dpmon_rocksdb_live_sst_bytes", "gauge", "Bytes of live table files.");
    w.Sample("dpmon_rocksdb_live_sst_bytes", "", s.live_sst_bytes);
    w.Head("dpmon_rocksdb_memtable_bytes", "gauge", "Bytes of every memtable.");
    w.Sample("dpmon_rocksdb_memtable_bytes", "", s.memtable_bytes);
    w.Head("dpmon_rocksdb_running_compactions", "gauge", "Compactions running now.");
    w.Sample("dpmon_rocksdb_running_compactions", "", s.running_compactions);

    // Per council: stored flags, and the latest whole-council evaluation.
    std::vector<std::string> councils;
    for (std::string after;;) {
      absl::StatusOr<Page<v1::Council>> page = store->ListCouncils(after, 1000);
      if (!page.ok()) break;
      for (const v1::Council& c : page->items) {
        councils.push_back(c.name().substr(c.name().find('/') + 1));
      }
      if (page->next_key.empty()) break;
      after = page->next_key;
    }
    w.Head("dpmon_flags", "gauge", "Stored flags, by council, kind and state.");
    for (const std::string& c : councils) {
      absl::StatusOr<storage::FlagCountsRecord> counts = store->CountFlags(c);
      if (!counts.ok()) continue;
      std::map<std::string, int64_t> sorted(counts->counts().begin(), counts->counts().end());
      for (const auto& [key, n] : sorted) {
        const size_t slash = key.find('/');
        w.Sample("dpmon_flags",
                 absl::StrCat("council=", Quote(c), ",kind=", Quote(key.substr(0, slash)),
                              ",state=", Quote(key.substr(slash + 1))),
                 static_cast<uint64_t>(n));
      }
    }
    w.Head("dpmon_evaluation_duration_seconds", "gauge",
           "How long the latest whole-council evaluation took.");
    std::vector<std::pair<std::string, int64_t>> finished;
    for (const std::string& c : councils) {
      absl::StatusOr<storage::EvaluationRecord> e = store->GetCouncilEvaluation(c);
      if (!e.ok() || e->finished_at().empty()) continue;
      w.Sample("dpmon_evaluation_duration_seconds", absl::StrCat("council=", Quote(c)),
               MicrosAsSeconds(e->duration_ms() * 1000));
      absl::Time t;
      std::string err;
      if (absl::ParseTime(absl::RFC3339_full, e->finished_at(), &t, &err)) {
        finished.emplace_back(c, absl::ToUnixSeconds(t));
      }
    }
    w.Head("dpmon_evaluation_last_finish_time_seconds", "gauge",
           "When the latest whole-council evaluation finished (Unix seconds).");
    for (const auto& [c, t] : finished) {
      w.Sample("dpmon_evaluation_last_finish_time_seconds", absl::StrCat("council=", Quote(c)),
               static_cast<uint64_t>(t));
    }
  }
  if (operations != nullptr) {
    w.Head("dpmon_backup_last_success_time_seconds", "gauge",
           "When the newest backup this server took or listed was made (Unix seconds; 0: none).");
    w.Sample("dpmon_backup_last_success_time_seconds", "",
             static_cast<uint64_t>(std::max<int64_t>(0, operations->last_backup_unix_seconds())));
    w.Head("dpmon_operation_running", "gauge", "1 while a backup or integrity check runs.");
    w.Sample("dpmon_operation_running", "", operations->busy() ? 1 : 0);
  }
  return w.Take();
}

}  // namespace dpmon
