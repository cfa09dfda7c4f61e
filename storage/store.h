// Store: dpmon's durable state in RocksDB. The only code that includes RocksDB.
//
// Every mutation runs on one writer thread that gathers whatever requests
// are queued into one group, applies each in memory (GroupWrites: later
// requests see earlier ones' writes), takes back any request that fails, and
// hands the group to a committer thread that writes it with one synced WAL
// write before answering any of them (group commit); the writer meanwhile
// builds the next group. Reads go straight to RocksDB and see only committed
// state.
//
//   std::unique_ptr<Store> store;
//   absl::Status s = Store::Open({.path = "data/dpmon"}, &store);
//   absl::StatusOr<domain::Totals> t = store->SumThrough("wilts", "A1001", date);
//
// Thread-safety: Store is safe for concurrent access from multiple threads
// without external synchronization. Callbacks passed to IngestAsync run on the
// writer thread and must not block.
#ifndef DPMON_STORAGE_STORE_H_
#define DPMON_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/civil_date.h"
#include "common/histogram.h"
#include "domain/ledger_facts.h"
#include "domain/rules.h"
#include "domain/totals.h"
#include "dpmon/v1/dpmon.pb.h"
#include "dpmon/v1/storage.pb.h"
#include "storage/backup.h"
#include "storage/totals_record.h"

namespace dpmon {

// What one durable write changed, for indexes kept outside the store.
struct WrittenKeys {
  // (council, account): the account's ledger, statements or record.
  std::vector<std::pair<std::string, std::string>> accounts;
  // (council, account): the account's stored flags.
  std::vector<std::pair<std::string, std::string>> flag_accounts;
  // Councils whose record (name, policy) changed.
  std::vector<std::string> councils;
};

// A quarter of the machine's memory, and at least 64 MiB: what the server's
// block cache is unless told otherwise. The nightly evaluation reads a few
// hundred bytes of rows an account; at 100,000 accounts that is more than
// 256 MiB, and each run would otherwise read and decompress again what the
// last one read (docs/benchmarks.md).
size_t DefaultBlockCacheBytes();

struct StoreOptions {
  // Directory of the RocksDB database; created if missing.
  std::string path;
  // Sync the write-ahead log before any write is acknowledged. Turning this
  // off loses acknowledged writes on power loss: benchmarks only.
  // Default: true.
  bool sync = true;
  // Shared block cache for all column families, in bytes (uncompressed
  // blocks; taken as they are read, not up front). Default: 256 MiB. The
  // server sizes it from the machine (DefaultBlockCacheBytes).
  size_t block_cache_bytes = 256u << 20;
  // Called on the committer thread after each durable write with the
  // accounts (of one council) whose ledger or record it changed. Must not
  // block.
  std::function<void(const std::string& council, const std::vector<std::string>& accounts)>
      on_accounts_changed;
  // Called on the committer thread after each durable write that changed
  // an account or a council, before any of its writers is answered: a
  // reader that sees the answer sees the index told. Must not block.
  std::function<void(const WrittenKeys&)> on_written;
  // Tests only: called on the committer thread before each group is
  // written; a non-OK status fails that group's write as an I/O error would.
  std::function<absl::Status()> before_write_for_test;
  // Tests only: called on the writer thread when a group is built, before
  // it waits for the group before it to be written.
  std::function<void()> after_build_for_test;
};

// A mutation's AIP-155 identity. An empty request_id means none: the
// mutation is applied every time it is sent.
struct RequestKey {
  std::string method;
  std::string request_id;
  std::string request_fingerprint;  // Serialized request, less the request_id.
};

// A validated ledger item, ready to be written.
struct LedgerWrite {
  int index = 0;                // Position in the request.
  int64_t received_micros = 0;  // When the request came (kept if it waits in suspense).
  bool is_transaction = true;
  v1::TransactionInput transaction;
  v1::StatementInput statement;
  Date date;  // booking_date or statement date, parsed.
  // The transaction serialized (what DUPLICATE and CONFLICT compare) and its
  // Fingerprint64: filled by the caller off the writer thread (the server
  // does, as it validates), else by the store.
  std::string content;
  uint64_t fingerprint = 0;
};

// Fills w.content and w.fingerprint from w.transaction.
void SerializeLedgerWrite(LedgerWrite* w);

struct AttachResult {
  int64_t transactions = 0;
  int64_t statements = 0;
  int64_t conflicting_statements = 0;
};

// Rows of a list read, with the key to resume after.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_key;  // Empty at the end.
};

class Store {
 public:
  using AccountMutator = std::function<absl::Status(v1::Account*)>;
  using CouncilMutator = std::function<absl::Status(v1::Council*)>;

  static absl::Status Open(const StoreOptions& options, std::unique_ptr<Store>* store);
  // Finishes every queued write, then closes the database.
  ~Store();
  // The version of RocksDB this build links, for --version.
  static std::string RocksDbVersion();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- councils ----
  // AlreadyExists if the id is taken (unless request_key repeats a request).
  // The council is stored as given, its name (set by the caller) included.
  // With a `create_time` / `change_time` (RFC 3339 UTC, fixed width), the
  // policy's history records the council's policy from then on (policy_since).
  absl::StatusOr<v1::Council> CreateCouncil(const std::string& council_id,
                                            const v1::Council& council, const RequestKey& key,
                                            const std::string& create_time = "");
  absl::StatusOr<v1::Council> GetCouncil(const std::string& council_id);
  // The council with the policy in force at `as_of_time` (RFC 3339 UTC,
  // fixed width; "" = now): the first recorded if the time is before it.
  absl::StatusOr<v1::Council> GetCouncilAsOf(const std::string& council_id,
                                             const std::string& as_of_time);
  absl::StatusOr<v1::Council> UpdateCouncil(const std::string& council_id,
                                            const CouncilMutator& mutate, const RequestKey& key,
                                            const std::string& change_time = "");
  absl::StatusOr<Page<v1::Council>> ListCouncils(const std::string& after_key, int limit);

  // ---- accounts ----
  // Takes the account's external references and attaches their suspense
  // items in the same write. FailedPrecondition if a reference is held by
  // another account. The account is stored as given, its name (set by the
  // caller) included.
  absl::StatusOr<storage::AttachOutcome> CreateAccount(const std::string& council_id,
                                                       const std::string& account_id,
                                                       const v1::Account& account,
                                                       const RequestKey& key,
                                                       int64_t now_micros = 0);
  absl::StatusOr<v1::Account> GetAccount(const std::string& council_id,
                                         const std::string& account_id);
  // Reads, changes and writes the account record atomically. `mutate` runs on
  // the writer thread; it must be quick and must not call the Store.
  absl::StatusOr<v1::Account> UpdateAccount(const std::string& council_id,
                                            const std::string& account_id,
                                            const AccountMutator& mutate, const RequestKey& key);
  absl::StatusOr<storage::AttachOutcome> AddExternalRef(const std::string& council_id,
                                                        const std::string& account_id,
                                                        const v1::ExternalRef& ref,
                                                        const RequestKey& key,
                                                        int64_t now_micros = 0);
  // Accounts of a council in id order, starting after `after_account`
  // (exclusive; "" = from the start); `keep` decides which to return. Stops
  // after `limit` kept accounts.
  absl::StatusOr<Page<v1::Account>> ListAccounts(
      const std::string& council_id, const std::string& after_account, int limit,
      const std::function<bool(const v1::Account&)>& keep);

  // ---- the account index (account_index.cc) ----
  enum class IndexKind : char {
    kOfficer = 'O',      // value: the assigned officer's key id
    kPersonRef = 'P',    // value: person_ref
    kExternalRef = 'F',  // value: an external ref (any source)
    kNameWord = 'N',     // value: a word of the display name (domain::NameWords)
    kRecoveries = 'R',   // value "": the account has recoveries
  };
  struct IndexHit {
    std::string value;
    std::string account_id;
    std::string stored;  // kNameWord: the account's display name.
  };
  // Entries of `kind` whose value is `value` (or, with `prefix`, starts
  // with it), in (value, account) order, resuming strictly after `after_key`
  // (an opaque key from a previous page).
  absl::StatusOr<Page<IndexHit>> FindAccounts(const std::string& council_id, IndexKind kind,
                                              const std::string& value, bool prefix,
                                              const std::string& after_key, int limit);
  // Several accounts from one snapshot, in the order asked; an id that
  // names no account is left out.
  absl::StatusOr<std::vector<v1::Account>> GetAccounts(const std::string& council_id,
                                                       const std::vector<std::string>& account_ids);

  // ---- case notes ----
  // Appends a note (author and create_time already set) to an existing
  // account. The answer's name is the note's id within the account.
  absl::StatusOr<v1::CaseNote> AddCaseNote(const std::string& council_id,
                                           const std::string& account_id, v1::CaseNote note,
                                           const RequestKey& key);
  // Newest first, resuming strictly before `after_key`; names are note ids.
  absl::StatusOr<Page<v1::CaseNote>> ListCaseNotes(const std::string& council_id,
                                                   const std::string& account_id,
                                                   const std::string& after_key, int limit);

  // ---- ledger ----
  using IngestDone = std::function<void(absl::StatusOr<storage::IngestOutcome>)>;
  // Applies the valid `items` of one request; `response` arrives with the
  // results of the invalid ones already filled in (ItemResult.index set for
  // every item). `done` is called on the writer thread once the write is
  // durable, or with the error that stopped it.
  void IngestAsync(const std::string& council_id, std::vector<LedgerWrite> items,
                   storage::IngestOutcome outcome, const RequestKey& key, IngestDone done);
  absl::StatusOr<storage::IngestOutcome> Ingest(const std::string& council_id,
                                                std::vector<LedgerWrite> items,
                                                storage::IngestOutcome outcome,
                                                const RequestKey& key);

  // Puts a transaction of the account in `category` (see the API's
  // RecategoriseTransaction), recording `change` (from is filled in). The
  // transaction comes back without its account's name, as from
  // ListTransactions (the caller names it).
  absl::StatusOr<v1::Transaction> RecategoriseTransaction(
      const std::string& council_id, const std::string& account_id, const std::string& source,
      const std::string& external_id, v1::Category category, v1::CategoryChange change,
      const RequestKey& key);

  // Transactions (then statements) of an account with booking date in
  // [from, to], in key order, resuming strictly after `after_key` (an opaque
  // key from a previous page); without the account's name, which the caller
  // knows.
  absl::StatusOr<Page<v1::Transaction>> ListTransactions(const std::string& council_id,
                                                         const std::string& account_id, Date from,
                                                         Date to, const std::string& after_key,
                                                         int limit);
  absl::StatusOr<Page<v1::Statement>> ListStatements(const std::string& council_id,
                                                     const std::string& account_id, Date from,
                                                     Date to, const std::string& after_key,
                                                     int limit);
  // Suspense as it stood at the end of a day: what had come by `end_micros`
  // (exclusive) and was not yet given to an account, dated on or before
  // `date`. What came before dpmon recorded arrival times counts as come;
  // what was given to an account before it kept copies is not shown.
  struct SuspenseAsOf {
    Date date;
    int64_t end_micros = 0;
  };
  // What waits, or with `as_of` what waited then (items given to an account
  // since carry attached_account, the bare account id, and attach_time). A
  // page examines at most limits::kSuspenseScanMax items, so it may be short
  // with a next key.
  absl::StatusOr<Page<v1::SuspenseItem>> ListSuspense(
      const std::string& council_id, const std::string& after_key, int limit,
      std::optional<SuspenseAsOf> as_of = std::nullopt);

  // Sums of every transaction booked on or before `through`, from the
  // aggregates. Does not check that the account exists.
  absl::StatusOr<domain::Totals> SumThrough(const std::string& council_id,
                                            const std::string& account_id, Date through);
  // Sums over [from, to].
  absl::StatusOr<domain::Totals> SumRange(const std::string& council_id,
                                          const std::string& account_id, Date from, Date to);

  // ---- what changed since (the evaluator's skipping) ----
  // A count that moves on with every durable write that changes an
  // account's ledger, statements or record. Read before reading an account:
  // if AccountWrittenAt(it) is not later than the count read, every write
  // that changed the account is in what was read after.
  uint64_t WriteClock() const;
  // The count when the account was last changed; 0 if not since opening.
  uint64_t AccountWrittenAt(const std::string& council_id, const std::string& account_id) const;
  // What the evaluator knew, kept across a clean restart: given at
  // shutdown with the WriteClock it holds for, it is written as the
  // store's last write when the store closes, unless an account was
  // written after that clock. The next Open takes it only if nothing at all
  // was written to the directory after it (RocksDB's sequence number),
  // and deletes it; TakeEvaluatorMemory then answers it once. Anything
  // else that opens and writes the directory in between makes it void.
  void KeepEvaluatorMemory(std::string memory, uint64_t write_clock);
  std::optional<std::string> TakeEvaluatorMemory();

  // ---- monitoring (flag_store.cc) ----
  // Reads domain::LedgerFacts for many accounts from one consistent view of the
  // store. Not thread-safe: one per thread.
  class FactsReader {
   public:
    virtual ~FactsReader() = default;
    // Facts as of `as_of`: window sums over [window_start, as_of], watched
    // debits booked in [lookback_start, as_of].
    virtual absl::Status Read(const std::string& council_id, const std::string& account_id,
                              Date as_of, Date window_start, Date lookback_start,
                              domain::LedgerFacts* out) = 0;
    // Every stored occurrence of the account's flags, in key order. The
    // messages already in *out are reused (an evaluation reads a handful an
    // account, for every account).
    virtual absl::Status ReadFlags(const std::string& council_id, const std::string& account_id,
                                   std::vector<v1::Flag>* out) = 0;
  };
  std::unique_ptr<FactsReader> NewFactsReader();

  // The flags the rules raise for one account as of a date: account, kind,
  // severity, subject, amount_pence and date set; the rest is the store's.
  struct AccountEvaluation {
    std::string account_id;
    std::vector<v1::Flag> flags;
    // The stored flags as a FactsReader saw them, if the caller read them:
    // an account whose stored flags already agree is then left out without
    // another read.
    std::optional<std::vector<v1::Flag>> stored;
    // Set by a caller that asked ChangesFlags and was told yes: not asked
    // again before the writer plans the change.
    bool changes = false;
  };
  struct EvaluationCounts {
    int64_t raised = 0;   // New occurrences.
    int64_t cleared = 0;  // Occurrences whose condition stopped holding.
    int64_t updated = 0;  // Still holding, with a new amount or date.
  };
  // Brings the stored flags of each account in line with what the rules
  // found as of `as_of`: raises, updates and clears, keeping the history.
  // `now` is the RFC 3339 time recorded on raised flags.
  absl::StatusOr<EvaluationCounts> ApplyEvaluation(const std::string& council_id, Date as_of,
                                                   const std::string& now,
                                                   std::vector<AccountEvaluation> accounts);
  // Whether storing `a` as of `as_of_text` (YYYY-MM-DD) would change its stored flags (read
  // into a->stored, which this consumes): what ApplyEvaluation leaves out
  // when it would not. Pure, so that evaluation threads can ask it of their
  // own accounts before the results are gathered.
  static absl::StatusOr<bool> ChangesFlags(const std::string& as_of_text, const std::string& now,
                                           AccountEvaluation* a);
  // What ChangesFlags answers, worked out from the rules' own `flags` and
  // `stored` (every stored occurrence of one account's flags) without
  // making a v1::Flag of each rule flag: so that an evaluation thread tells
  // an account whose flags did not change at the cost of reading them.
  // DataLoss, as ChangesFlags, for a stored flag with no state.
  static absl::StatusOr<bool> FlagsChange(const std::vector<v1::Flag>& stored,
                                          const std::vector<domain::RuleFlag>& flags);
  // Records that a whole-council evaluation finished.
  absl::Status RecordCouncilEvaluation(const std::string& council_id,
                                       const storage::EvaluationRecord& record);
  absl::StatusOr<storage::EvaluationRecord> GetCouncilEvaluation(const std::string& council_id);

  // Every occurrence of every flag of one account, in key order (account,
  // kind, subject, occurrence).
  absl::StatusOr<std::vector<v1::Flag>> GetAccountFlags(const std::string& council_id,
                                                        const std::string& account_id);

  struct FlagQuery {
    // Groups to list, in this order: 'A' (OPEN, ACKNOWLEDGED), 'R'
    // (RESOLVED), 'X' (CLEARED). Within a group: most severe, then oldest.
    std::string groups = "A";
    std::vector<v1::FlagState> states;  // Empty: every state of the groups.
    v1::FlagKind kind = v1::FLAG_KIND_UNSPECIFIED;
    v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
    std::string account_id;  // "" = every account.
  };
  absl::StatusOr<Page<v1::Flag>> ListFlags(const std::string& council_id, const FlagQuery& query,
                                           const std::string& after_key, int limit);
  // Counts of the council's flags by "KIND/STATE".
  absl::StatusOr<storage::FlagCountsRecord> CountFlags(const std::string& council_id);

  // Acknowledges (any flag that still holds) or resolves (a per-transaction
  // flag) the latest occurrence of (account, kind, subject).
  absl::StatusOr<v1::Flag> ActOnFlag(const std::string& council_id, const std::string& account_id,
                                     v1::FlagKind kind, const std::string& subject,
                                     const v1::FlagAction& action, const RequestKey& key);

  // ---- keys and the access log (auth_store.cc) ----
  // Stores a new key. AlreadyExists if its id is taken. A repeated
  // request_key returns the key the first request created.
  absl::StatusOr<v1::ApiKey> CreateApiKey(const storage::ApiKeyRecord& record,
                                          const RequestKey& key);
  // Sets revoke_time and revoker (an already revoked key keeps its first).
  absl::StatusOr<v1::ApiKey> RevokeApiKey(const std::string& key_id, const std::string& revoke_time,
                                          const std::string& revoker, const RequestKey& key);
  // Every key, revoked ones included, in id order.
  absl::StatusOr<std::vector<storage::ApiKeyRecord>> LoadApiKeys();

  // One call for the access log; `micros` is its time (Unix microseconds).
  struct AccessWrite {
    int64_t micros = 0;
    v1::AccessLogEntry entry;
  };
  // Appends entries in one write (synced unless the store runs unsynced).
  absl::Status AppendAccessLog(const std::vector<AccessWrite>& entries);
  struct AccessQuery {
    std::string council;             // "" = any
    std::string account;             // with council; "" = any
    std::string key_id;              // "" = any
    int64_t start_micros = 0;        // inclusive
    int64_t end_micros = INT64_MAX;  // exclusive
  };
  // Newest first, resuming strictly before `after_key`; examines at most
  // `scan_max` entries (then next_key is set even if fewer than `limit` came).
  absl::StatusOr<Page<v1::AccessLogEntry>> ListAccessLog(const AccessQuery& query,
                                                         const std::string& after_key, int limit,
                                                         int scan_max);
  // Deletes entries older than `before_micros`; returns how many.
  absl::StatusOr<int64_t> PruneAccessLog(int64_t before_micros);

  // ---- operations (backup.cc, integrity.cc) ----
  // Takes a backup into `dir` (created, private, if missing) while the
  // store serves and ingests: every write acknowledged before the call is
  // in it.
  absl::StatusOr<BackupInfo> CreateBackup(const std::string& dir, const BackupOptions& options);

  struct IntegrityProblem {
    std::string council;
    std::string account;  // "" where no one account is concerned.
    std::string where;    // The column family and key, readable.
    std::string problem;  // What differs from what the records give.
  };
  struct IntegrityReport {
    int64_t councils = 0;
    int64_t accounts = 0;
    int64_t transactions = 0;
    int64_t statements = 0;
    int64_t suspense_items = 0;
    int64_t totals_rows = 0;
    int64_t flags = 0;
    int64_t problem_count = 0;
    std::vector<IntegrityProblem> problems;  // The first `max_problems`.
  };
  // Recomputes from the records of one snapshot what the store derives from
  // them (totals rows and balances, reversal links, marks, txn_ids, refs,
  // suspense, the account index, the flag index and counts) and reports
  // every difference. `council_id` "" checks every council.
  absl::StatusOr<IntegrityReport> CheckIntegrity(const std::string& council_id, int max_problems);

  // ---- what an operator watches (the server's /metrics) ----
  struct Stats {
    uint64_t groups = 0;                    // Groups written, since the store opened.
    uint64_t items = 0;                     // Items (transactions, statements, changes) in them.
    uint64_t synced_writes = 0;             // WAL fsyncs: groups and access-log appends.
    uint64_t failed_writes = 0;             // Groups whose write failed.
    int64_t queued_requests = 0;            // Waiting for the writer now.
    Histogram::Snapshot commit_micros;      // Each group's synced write.
    Histogram::Snapshot group_items;        // Items a group.
    bool write_stopped = false;             // RocksDB has stopped writes.
    uint64_t delayed_write_rate = 0;        // Bytes/s while RocksDB slows writes.
    uint64_t stall_count = 0;               // Write slowdowns and stops, since open.
    uint64_t pending_compaction_bytes = 0;  // Estimated, every column family.
    uint64_t live_sst_bytes = 0;            // Every column family.
    uint64_t memtable_bytes = 0;
    uint64_t running_compactions = 0;
  };
  Stats GetStats();

  // Compacts every column family fully (benchmarks: a steady state).
  absl::Status CompactAll();

  // Forces memtables to disk (tests, shutdown).
  absl::Status Flush();

  class Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_STORE_H_
