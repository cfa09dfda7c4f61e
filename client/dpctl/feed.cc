// dpctl's feed command: parse bank and card exports and push them.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/audit_pack.h"
#include "client/client.h"
#include "client/dpctl/dpctl.h"
#include "client/feed_push.h"
#include "client/feeds/camt_feed.h"
#include "client/feeds/csv_feed.h"
#include "client/feeds/mt940_feed.h"
#include "client/feeds/ofx_feed.h"
#include "client/feeds/presets.h"
#include "client/flag_report.h"
#include "client/importer.h"
#include "common/ids.h"
#include "common/money.h"
#include "google/protobuf/util/json_util.h"

namespace dpctl {
namespace {

using Args = std::vector<std::string>;

constexpr const char* kOutcomes[] = {"ACCEPTED", "DUPLICATE", "CONFLICT", "SUSPENSE",
                                     "INVALID",  "DENIED",    "SKIPPED"};

// Everything read from a file: the entries parsed, those refused or in
// conflict as they were read, and those skipped on purpose. Every one of
// them has an outcome in the summary or is unsent.
int64_t ItemsRead(int64_t transactions, int64_t statements, const dpmon::feeds::FeedResult& feed) {
  return transactions + statements + static_cast<int64_t>(feed.invalid.size()) +
         static_cast<int64_t>(feed.conflicts.size()) + static_cast<int64_t>(feed.skipped.size());
}

int64_t ItemsAnswered(dpmon::PushSummary& summary) {
  int64_t n = summary.unsent;
  for (const char* o : kOutcomes) n += summary.outcomes[o];
  return n;
}

void PrintSummary(const std::string& path, int64_t transactions, int64_t statements, int64_t millis,
                  dpmon::PushSummary& summary, const dpmon::feeds::FeedResult& feed) {
  std::printf("%s: %lld items read (%lld transactions and %lld statements), pushed in %.2fs\n",
              path.c_str(), static_cast<long long>(ItemsRead(transactions, statements, feed)),
              static_cast<long long>(transactions), static_cast<long long>(statements),
              static_cast<double>(millis) / 1000);
  std::string counts;
  for (const char* o : kOutcomes) {
    absl::StrAppend(&counts, counts.empty() ? "  " : ", ", absl::AsciiStrToLower(o), " ",
                    summary.outcomes[o]);
  }
  absl::StrAppend(&counts, ", unsent ", summary.unsent);
  std::printf("%s\n", counts.c_str());
  for (const auto& p : summary.problems) {
    std::printf("  %s: %s%s%s\n", p.where.c_str(), p.outcome.c_str(),
                p.field.empty() ? "" : (" " + p.field).c_str(),
                p.reason.empty() ? "" : (": " + p.reason).c_str());
  }
  for (const auto& p : feed.skipped) {
    std::printf("  %s: SKIPPED %s\n", p.where.c_str(), p.reason.c_str());
  }
}

// One JSON object a file, for cron jobs: what was read, every outcome's
// count, every problem, what was never sent and the error that stopped it.
void PrintSummaryJson(const std::string& path, int64_t transactions, int64_t statements,
                      int64_t millis, dpmon::PushSummary& summary,
                      const dpmon::feeds::FeedResult& feed, const absl::Status& status) {
  std::string out = absl::StrCat("{\"file\":", dpmon::JsonQuote(path),
                                 ",\"items_read\":", ItemsRead(transactions, statements, feed),
                                 ",\"transactions\":", transactions, ",\"statements\":", statements,
                                 ",\"milliseconds\":", millis, ",\"outcomes\":{");
  for (const char* o : kOutcomes) {
    absl::StrAppend(&out, o == kOutcomes[0] ? "" : ",", "\"", o, "\":", summary.outcomes[o]);
  }
  absl::StrAppend(&out, "},\"unsent\":", summary.unsent, ",\"problems\":[");
  bool first = true;
  for (const auto& p : summary.problems) {
    absl::StrAppend(&out, first ? "" : ",", "{\"where\":", dpmon::JsonQuote(p.where),
                    ",\"outcome\":", dpmon::JsonQuote(p.outcome),
                    ",\"field\":", dpmon::JsonQuote(p.field),
                    ",\"reason\":", dpmon::JsonQuote(p.reason), "}");
    first = false;
  }
  for (const auto& p : feed.skipped) {
    absl::StrAppend(
        &out, first ? "" : ",", "{\"where\":", dpmon::JsonQuote(p.where),
        ",\"outcome\":\"SKIPPED\",\"field\":\"\",\"reason\":", dpmon::JsonQuote(p.reason), "}");
    first = false;
  }
  absl::StrAppend(&out, "]");
  if (!status.ok()) absl::StrAppend(&out, ",\"error\":", dpmon::JsonQuote(status.ToString()));
  std::printf("%s}\n", out.c_str());
}

int FeedPush(dpmon::Client& client, const std::vector<std::string>& files) {
  const std::string council = Require("council", absl::GetFlag(FLAGS_council));
  const std::string source = Require("source", absl::GetFlag(FLAGS_source));
  const std::string format = absl::GetFlag(FLAGS_file_format);
  if (files.empty()) return Fail("feed push: name the files");
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  if (batch_size < 1 || batch_size > 10000) return Fail("--batch_size must be 1..10000");
  std::optional<dpmon::feeds::Charset> charset;
  if (const std::string name = absl::GetFlag(FLAGS_charset); !name.empty()) {
    absl::StatusOr<dpmon::feeds::Charset> c = dpmon::feeds::ParseCharset(name);
    if (!c.ok()) return Fail(absl::StrCat("--charset: ", c.status().message()));
    charset = *c;
  }
  dpmon::feeds::CsvMapping mapping;
  if (format == "csv") {
    std::string text;
    if (const std::string preset = absl::GetFlag(FLAGS_preset); !preset.empty()) {
      text = dpmon::feeds::PresetMapping(preset);
      if (text.empty()) {
        return Fail(absl::StrCat("no preset \"", preset, "\"; there are ",
                                 absl::StrJoin(dpmon::feeds::PresetNames(), ", ")));
      }
    } else {
      absl::StatusOr<std::string> file =
          dpmon::ReadSmallFile(Require("mapping", absl::GetFlag(FLAGS_mapping)));
      if (!file.ok()) return Fail(file.status());
      text = *file;
    }
    absl::StatusOr<dpmon::feeds::CsvMapping> m = dpmon::feeds::CsvMapping::Parse(text);
    if (!m.ok()) return Fail(m.status());
    mapping = *m;
    if (charset) mapping.charset = charset;
  } else if (format == "ofx" || format == "camt053" || format == "mt940") {
    // Nothing to set up: the file names its own accounts and fields.
  } else {
    return Fail("feed push: --file_format must be csv, camt053, mt940 or ofx");
  }
  const bool tty = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  int exit_code = 0;
  for (const std::string& path : files) {
    absl::StatusOr<std::string> text = dpmon::ReadSmallFile(path);
    if (!text.ok()) {
      std::fprintf(stderr, "dpctl: %s\n", std::string(text.status().message()).c_str());
      exit_code = kExitFailure;
      continue;
    }
    dpmon::PushSummary summary;
    const absl::Time start = absl::Now();
    const std::function<void(int64_t)> progress =
        tty ? std::function<void(int64_t)>([&path](int64_t done) {
          std::fprintf(stderr, "\r%s: %lld pushed", path.c_str(), static_cast<long long>(done));
        })
            : nullptr;
    dpmon::feeds::FeedResult feed;  // Problems (and, for XML formats, the entries).
    int64_t transactions = 0, statements = 0;
    absl::Status s;
    if (format == "csv" || format == "mt940") {
      // Read and push at once: the parser runs ahead by at most 20,000 entries.
      dpmon::EntryQueue queue(20000);
      std::thread producer([&] {
        const auto emit = [&](dpmon::feeds::FeedEntry e) {
          (e.transaction ? transactions : statements) += 1;
          queue.Push(std::move(e));
        };
        feed = format == "csv" ? dpmon::feeds::ParseCsvFeed(*text, mapping, source,
                                                            absl::GetFlag(FLAGS_account_ref), emit)
                               : dpmon::feeds::ParseMt940Feed(*text, source, charset, emit);
        queue.Close();
      });
      s = dpmon::PushEntries(
          client, council, [&queue](dpmon::feeds::FeedEntry* e) { return queue.Pop(e); },
          batch_size, progress, &summary);
      queue.Abandon();
      producer.join();
      dpmon::CountProblems(feed, &summary);
    } else {
      feed = format == "ofx" ? dpmon::feeds::ParseOfxFeed(*text, source, charset)
                             : dpmon::feeds::ParseCamt053Feed(*text, source, charset);
      for (const auto& e : feed.entries) (e.transaction ? transactions : statements) += 1;
      s = dpmon::PushFeed(
          client, council, feed, batch_size,
          [&progress](int64_t done, int64_t) {
            if (progress) progress(done);
          },
          &summary);
    }
    if (tty) std::fprintf(stderr, "\n");
    if (format == "csv" || format == "mt940") {
      // Entries parsed but never taken because the stream failed first.
      summary.unsent += transactions + statements - summary.taken;
    }
    const int64_t millis = absl::ToInt64Milliseconds(absl::Now() - start);
    if (Json()) {
      PrintSummaryJson(path, transactions, statements, millis, summary, feed, s);
    } else {
      PrintSummary(path, transactions, statements, millis, summary, feed);
    }
    if (const int64_t read = ItemsRead(transactions, statements, feed),
        answered = ItemsAnswered(summary);
        read != answered) {
      // A fault in dpctl itself: say so rather than let an entry go unseen.
      std::fprintf(stderr, "dpctl: %s: the summary accounts for %lld of the %lld items read\n",
                   path.c_str(), static_cast<long long>(answered), static_cast<long long>(read));
      exit_code = kExitFailure;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "dpctl: %s: %s (%lld entries unsent)\n", path.c_str(),
                   s.ToString().c_str(), static_cast<long long>(summary.unsent));
      exit_code = kExitFailure;
    } else if (!summary.Clean() && exit_code == 0) {
      exit_code = kExitRejected;
    }
  }
  return exit_code;
}

}  // namespace

const std::vector<Command>& FeedCommands() {
  static const std::vector<Command> table = {
      {"feed push",
       "--council C --source S --file_format csv|ofx|camt053|mt940 [--preset NAME | --mapping "
       "FILE] [--account_ref R] [--charset C] FILE...",
       "parse bank or card exports and push them; a summary per file (JSON with --format json); "
       "pushing again changes nothing",
       kManyArgs, [](dpmon::Client& c, const Args& a) { return FeedPush(c, a); }},
  };
  return table;
}

}  // namespace dpctl
