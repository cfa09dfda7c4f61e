// Key encoding for dpmon's RocksDB column families (docs/storage.md).
//
// Components are joined with a 0x00 byte, which no identifier may contain
// (common/ids.h), so that keys of one parent sort together and a shorter id
// sorts before a longer one that extends it. Dates are 4 bytes big-endian
// of (days since 1970-01-01 + 2^31), so byte order is date order; sequence
// numbers are 8 bytes big-endian.
//
// Thread-safety: pure functions.
#ifndef DPMON_STORAGE_KEYS_H_
#define DPMON_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/civil_date.h"

namespace dpmon::keys {

// Levels of the per-account totals.
enum class Level : char { kYear = 'Y', kMonth = 'M', kDay = 'D' };

// councils: council
std::string Council(absl::string_view council);
// accounts, statements, txns, totals share this parent: council \0 account \0
std::string AccountParent(absl::string_view council, absl::string_view account);
// accounts: council \0 account
std::string Account(absl::string_view council, absl::string_view account);
std::string CouncilChildren(absl::string_view council);  // council \0
// refs: council \0 source \0 ref
std::string Ref(absl::string_view council, absl::string_view source, absl::string_view ref);
// txn_ids: council \0 source \0 external_id
std::string TxnId(absl::string_view council, absl::string_view source, absl::string_view ext_id);
// txns: council \0 account \0 date seq
std::string Txn(absl::string_view council, absl::string_view account, Date date, uint64_t seq);
// statements: council \0 account \0 date
std::string Statement(absl::string_view council, absl::string_view account, Date date);
// suspense: council \0 source \0 ref \0 'T' seq   or   ... \0 'S' date
std::string SuspensePrefix(absl::string_view council, absl::string_view source,
                           absl::string_view ref);
std::string SuspenseTxn(absl::string_view council, absl::string_view source, absl::string_view ref,
                        uint64_t seq);
std::string SuspenseStatement(absl::string_view council, absl::string_view source,
                              absl::string_view ref, Date date);
// suspense, what has been given to an account: \x01 council \0 attached
// micros (8 bytes, big-endian) then the item's suspense key. Outside every
// council's suspense prefix, so the lists and checks of what waits never
// meet it.
std::string SuspenseAttachedPrefix(absl::string_view council);
std::string SuspenseAttached(absl::string_view council, int64_t attached_micros,
                             absl::string_view suspense_key);
// totals: council \0 level period account \0 bucket
//   Y rows: period 1970-01-01 (one period), bucket the first of the year;
//   M rows: period the first of the year, bucket the first of the month;
//   D rows: period the first of the month, bucket the day.
// Level and period come before the account so that the rows an evaluation
// of every account as of one date reads (all Y rows, the M rows of one year,
// the D rows of one or two months) lie together in account order.
std::string Totals(absl::string_view council, absl::string_view account, Level level, Date bucket);
// The same key into *k (its buffer reused).
void TotalsInto(std::string* k, absl::string_view council, absl::string_view account, Level level,
                Date bucket);
// The period a bucket belongs to, and the prefix of one account's rows in it.
Date TotalsPeriod(Level level, Date bucket);
std::string TotalsPrefix(absl::string_view council, absl::string_view account, Level level,
                         Date period);
// reversals: council \0 source \0 original_external_id \0 reversal_external_id
std::string ReversalPrefix(absl::string_view council, absl::string_view source,
                           absl::string_view original_ext_id);
std::string Reversal(absl::string_view council, absl::string_view source,
                     absl::string_view original_ext_id, absl::string_view reversal_ext_id);
// reversals: council \0 source \0 original_external_id \x01 — "some reversal names this id".
// Sorts after every entry of ReversalPrefix for the same original; its last
// byte is kReversedMarkerEnd, which no reversal entry's key ends with.
inline constexpr char kReversedMarkerEnd = '\x01';
std::string ReversedMarker(absl::string_view council, absl::string_view source,
                           absl::string_view original_ext_id);
// marks: council \0 account \0 kind date seq. Kind 'P': a council payment
// (not a reversal); 'W': a debit that rules 8 and 9 watch.
inline constexpr char kMarkCouncilPayment = 'P';
inline constexpr char kMarkWatched = 'W';
std::string MarkPrefix(absl::string_view council, absl::string_view account, char kind);
std::string Mark(absl::string_view council, absl::string_view account, char kind, Date date,
                 uint64_t seq);
// flags: council \0 account \0 kind \0 subject \0 occurrence (4 bytes)
std::string FlagSubjectPrefix(absl::string_view council, absl::string_view account,
                              absl::string_view kind, absl::string_view subject);
std::string Flag(absl::string_view council, absl::string_view account, absl::string_view kind,
                 absl::string_view subject, uint32_t occurrence);
// flag_index: the dashboard's orderings of the flags of a council.
//   council \0 'S' group tail                 every flag, by group
//   council \0 'K' kind \0 group tail         by kind, then group
//   tail = severity rank (1: '0' CRITICAL .. '2' INFO) raised_on (4)
//          account \0 kind \0 subject \0 occurrence (4)
//   group: 'A' OPEN or ACKNOWLEDGED, 'R' RESOLVED, 'X' CLEARED
//   council \0 'C'            FlagCountsRecord
//   council \0 'V'            EvaluationRecord of the latest whole-council run
std::string FlagIndexTail(int severity, Date raised_on, absl::string_view account,
                          absl::string_view kind, absl::string_view subject, uint32_t occurrence);
std::string FlagByGroupPrefix(absl::string_view council, char group);
std::string FlagByKindPrefix(absl::string_view council, absl::string_view kind, char group);
std::string FlagCounts(absl::string_view council);
std::string CouncilEvaluation(absl::string_view council);
void AppendU32(std::string* key, uint32_t v);
std::optional<uint32_t> DecodeU32(absl::string_view four_bytes);

// account_index: what finds an account other than its id.
//   council \0 kind value \0 account
//   kind 'O' assigned officer key id, 'P' person_ref, 'F' an external ref
//   (any source), 'N' a word of the display name (domain::NameWords),
//   'R' with an empty value: the account has recoveries.
inline constexpr char kIndexOfficer = 'O';
inline constexpr char kIndexPersonRef = 'P';
inline constexpr char kIndexExternalRef = 'F';
inline constexpr char kIndexNameWord = 'N';
inline constexpr char kIndexRecoveries = 'R';
std::string AccountIndex(absl::string_view council, char kind, absl::string_view value,
                         absl::string_view account);
// Every entry of `kind` whose value is `value` (exact) or starts with it.
std::string AccountIndexExact(absl::string_view council, char kind, absl::string_view value);
std::string AccountIndexPrefix(absl::string_view council, char kind, absl::string_view value);
struct AccountIndexParts {
  std::string value;
  std::string account;
};
// Nullopt if `key` is not an account_index key of `council` and `kind`.
std::optional<AccountIndexParts> DecodeAccountIndex(absl::string_view key,
                                                    absl::string_view council, char kind);
// notes: council \0 account \0 seq (8)
std::string CaseNote(absl::string_view council, absl::string_view account, uint64_t seq);

// requests: method \0 request_id
std::string Request(absl::string_view method, absl::string_view request_id);

// Fixed-width pieces, exposed for tests and decoders.
void AppendDate(std::string* key, Date date);
void AppendU64(std::string* key, uint64_t v);
std::optional<Date> DecodeDate(absl::string_view four_bytes);
std::optional<uint64_t> DecodeU64(absl::string_view eight_bytes);

// The smallest key greater than every key that starts with `prefix`.
std::string PrefixEnd(absl::string_view prefix);

struct TxnKeyParts {
  std::string council;
  std::string account;
  Date date;
  uint64_t seq = 0;
};
std::optional<TxnKeyParts> DecodeTxn(absl::string_view key);

struct TotalsKeyParts {
  Level level = Level::kDay;
  Date period;
  std::string account;
  Date bucket;
};
// Nullopt if `key` is not a totals key of `council`.
std::optional<TotalsKeyParts> DecodeTotals(absl::string_view key, absl::string_view council);

struct MarkKeyParts {
  std::string account;
  char kind = 0;
  Date date;
  uint64_t seq = 0;
};
// Nullopt if `key` is not a marks key of `council`.
std::optional<MarkKeyParts> DecodeMark(absl::string_view key, absl::string_view council);

// statements: the account and the date.
struct StatementKeyParts {
  std::string account;
  Date date;
};
std::optional<StatementKeyParts> DecodeStatement(absl::string_view key, absl::string_view council);

// suspense: the source and reference, and 'T' (a transaction) or 'S' (a
// statement).
struct SuspenseKeyParts {
  std::string source;
  std::string ref;
  char kind = 0;
};
std::optional<SuspenseKeyParts> DecodeSuspense(absl::string_view key, absl::string_view council);

// flags: the account (the rest is in the flag itself).
std::optional<std::string> DecodeFlagAccount(absl::string_view key, absl::string_view council);

// flag_index: what an entry's key says of the flag it lists (its 'S' or 'K'
// form; nullopt for the counts and evaluation records or a malformed key).
struct FlagIndexKeyParts {
  char group = 0;
  int severity_rank = 0;  // 0 CRITICAL .. 2 INFO
  Date raised_on;
  std::string account;
  std::string kind;
  std::string subject;
  uint32_t occurrence = 0;
};
std::optional<FlagIndexKeyParts> DecodeFlagIndex(absl::string_view key, absl::string_view council);
// The length of a flag_index key's run (everything up to and including its
// raised_on: the memtable's insert hint), without copying; 0 for a key of
// no such form.
size_t FlagIndexRunLength(absl::string_view key);

}  // namespace dpmon::keys

#endif  // DPMON_STORAGE_KEYS_H_
