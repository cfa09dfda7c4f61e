// Every limit dpmon enforces, in one place. The proto comments quote these
// numbers; a change here is a change to the documented API.
#ifndef DPMON_COMMON_LIMITS_H_
#define DPMON_COMMON_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace dpmon::limits {

// Dates: years 1900..2199 (1900-01-01 to 2199-12-31): wide enough for any
// real record, narrow enough that day arithmetic never overflows.
inline constexpr int kYearMin = 1900;
inline constexpr int kYearMax = 2199;

// Identifiers: council and account ids are [A-Za-z0-9._-], 1..64 bytes.
inline constexpr size_t kIdBytesMax = 64;
// Feed identifiers (source, account_ref, external_id): printable ASCII
// without control characters, 1..128 bytes.
inline constexpr size_t kFeedIdBytesMax = 128;
// Free text (counterparty, description, notes, display names), in bytes of UTF-8.
inline constexpr size_t kTextBytesMax = 1024;
// About the person: the council's case-management id (feed-id characters)
// and their name.
inline constexpr size_t kPersonRefBytesMax = 64;
inline constexpr size_t kDisplayNameBytesMax = 200;
// A case note, in bytes of UTF-8 (line breaks allowed).
inline constexpr size_t kCaseNoteBytesMax = 4096;
// SearchAccounts: the query, and the matches over all its pages.
inline constexpr size_t kSearchQueryBytesMax = 200;
inline constexpr int kSearchMatchesMax = 1000;
// A request_id (AIP-155), any printable ASCII.
inline constexpr size_t kRequestIdBytesMax = 128;

// |amount| of one transaction or statement balance: £100,000,000.00. Far above
// any real direct payment, far below where sums of millions of items overflow.
inline constexpr int64_t kAmountPenceMax = 10'000'000'000;
// Weekly amounts in a support plan: £100,000 a week.
inline constexpr int64_t kWeeklyPenceMax = 10'000'000;

// Items in one IngestBatch request or one streamed batch.
inline constexpr int kIngestItemsMax = 10'000;
// Batches one ingest stream may have in flight (read but not acknowledged):
// at most 16 x 10,000 items held per stream. 16 rather than 8 let the writer
// gather larger groups (fewer fsyncs, each totals row written once for more
// transactions): +10% streaming ingest (docs/benchmarks.md).
inline constexpr int kStreamBatchesInFlightMax = 16;
// gRPC message size: a full ingest batch of maximal items fits comfortably.
inline constexpr int kMessageBytesMax = 32 * 1024 * 1024;

// List pages.
inline constexpr int kPageSizeDefault = 100;
inline constexpr int kPageSizeMax = 1000;

// Per account: external references, plan versions, plan lines, earmarks,
// status changes, reviews and audits. An account record stays small.
inline constexpr int kExternalRefsMax = 16;
inline constexpr int kPlanVersionsMax = 500;
inline constexpr int kPlanLinesMax = 32;
inline constexpr int kEarmarksMax = 500;
inline constexpr int kStatusChangesMax = 500;
inline constexpr int kReviewsMax = 500;
inline constexpr int kAuditsMax = 500;
inline constexpr int kRecoveriesMax = 100;
inline constexpr int kCategoryRulesMax = 200;

// Audits: an audit pack covers at most this many days; "what is due"
// looks at most this many days ahead.
inline constexpr int kPackDaysMax = 3660;
inline constexpr int kWithinDaysMax = 3660;

// API keys: display names and certificate common names, in bytes; councils
// and sources a key may name.
inline constexpr size_t kKeyNameBytesMax = 200;
inline constexpr int kCouncilsPerKeyMax = 1000;
inline constexpr int kSourcesPerKeyMax = 100;
// ListAccessLog reads at most this many entries to fill one page.
inline constexpr int kAccessLogScanMax = 100'000;
// Suspense items a page as of a date examines at most (then it ends short,
// with a next page token).
inline constexpr int kSuspenseScanMax = 100'000;
// CheckIntegrity lists this many problems unless asked for another number
// (up to the max); it counts them all.
inline constexpr int kIntegrityProblemsDefault = 100;
inline constexpr int kIntegrityProblemsMax = 10'000;

// Items one group commit may gather from the queue before it writes.
inline constexpr int kGroupCommitItemsMax = 50'000;
// Requests waiting for the writer before new ones are refused (UNAVAILABLE).
inline constexpr int kWriteQueueRequestsMax = 4096;

// The HTTP listener (server/http/). A request body larger than this is
// refused 413: a JSON ingest batch of 10,000 items is about 3 MiB.
inline constexpr size_t kHttpBodyBytesMax = 16 * 1024 * 1024;
// Memory for one connection's request line and headers (and read buffer):
// a request whose headers do not fit is refused 431.
inline constexpr size_t kHttpHeaderBytesMax = 64 * 1024;
// Open connections, in all and from one address; each has a thread.
inline constexpr unsigned kHttpConnectionsMax = 256;
inline constexpr unsigned kHttpConnectionsPerAddressMax = 64;
// A connection idle (or a request not complete) this long is closed.
inline constexpr unsigned kHttpIdleSecondsMax = 30;
// Dashboard sessions held at once; beyond it the one unused longest ends.
inline constexpr int kSessionsMax = 10'000;
// Each call the HTTP face makes to the services must end within this.
inline constexpr int kHttpCallSecondsMax = 60;

}  // namespace dpmon::limits

#endif  // DPMON_COMMON_LIMITS_H_
