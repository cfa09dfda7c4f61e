// LedgerWriter: the ledger's mutations as they run on the writer thread,
// one per request: ingest of transactions and statements, suspense and what
// attaches from it, reversals and their links, recategorisation, and the
// totals rows and marks each of those moves. Not for use outside storage/.
//
// Thread-safety: writer thread only (it holds the WriteContext).
#ifndef DPMON_STORAGE_LEDGER_WRITER_H_
#define DPMON_STORAGE_LEDGER_WRITER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/civil_date.h"
#include "domain/categorise.h"
#include "domain/policy.h"
#include "dpmon/v1/dpmon.pb.h"
#include "dpmon/v1/storage.pb.h"
#include "storage/store.h"
#include "storage/write_context.h"

namespace dpmon {

// The transaction as the API shows it, but for its account's name.
v1::Transaction TransactionOf(const storage::TransactionRecord& r);

struct LedgerWriter {
  WriteContext& ctx;
  const std::string& council;
  TotalsCache totals;
  // When suspense items are given to an account (microseconds since the
  // epoch): with it, Attach keeps a copy of each for suspense as of a past
  // time; 0 keeps none.
  int64_t attach_micros = 0;

  LedgerWriter(WriteContext& c, const std::string& council_id)
      : ctx(c), council(council_id), totals(&c, council_id) {}

  // The council's policy (cached across requests, forgotten when the
  // council's record is written). NotFound if there is no such council.
  absl::Status GetPolicy(const domain::Policy** out);

  // The marks that let evaluation find a transaction without scanning the
  // account: council payments (rule 7) and watched debits (rules 8, 9).
  absl::Status MarkTransaction(const std::string& account, Date date,
                               const storage::TransactionRecord& rec);

  // The account's categorisation rules (cached across requests).
  absl::Status AccountRules(const std::string& account, const domain::CategoryRules** out);

  // Places a transaction record (already carrying its sequence) into an
  // account: writes it, counts it, links it to its original if that is
  // known, and relinks any reversals of it that arrived earlier.
  absl::Status PlaceInAccount(const std::string& account, Date date,
                              storage::TransactionRecord* rec, std::string* key_out,
                              absl::string_view input_bytes = {});

  // See Store::RecategoriseTransaction.
  absl::Status Recategorise(const std::string& account, const std::string& source,
                            const std::string& external_id, v1::Category category,
                            v1::CategoryChange change, storage::TransactionRecord* out,
                            Date* date_out);

  // The original a reversal names, if it is a transaction of the same account.
  absl::Status FindOriginal(const std::string& account, const std::string& source,
                            const std::string& original_ext_id, storage::TransactionRecord* out,
                            bool* linked);

  // Reversals of `original` that are in the same account now count as its
  // category and direction.
  absl::Status RelinkReversalsOf(const std::string& account,
                                 const storage::TransactionRecord& original, int depth);

  // Resolves where an item goes: an account id, or suspense (empty account).
  // Returns an item-level error (with field) for an unknown account.
  // `item` names the item in errors ("items[3].transaction"); built only then.
  absl::Status ResolveAccount(const std::string& account, const std::string& source,
                              const std::string& account_ref,
                              const std::function<std::string()>& item, std::string* resolved);

  absl::Status IngestTransaction(LedgerWrite* w, v1::ItemResult* result);

  absl::Status IngestRecord(const LedgerWrite& w, const std::string& content, uint64_t fp,
                            storage::TransactionRecord* record, v1::ItemResult* result);

  // A transaction id seen before: DUPLICATE if the content is the same.
  absl::Status Repeat(const storage::TxnIndexEntry& entry, uint64_t fp, const std::string& content,
                      v1::ItemResult* result);

  absl::Status IngestStatement(const LedgerWrite& w, v1::ItemResult* result);

  // A statement's identity is (account, date); its content is its source and
  // closing balance, however the account was named.
  static bool SameStatement(const v1::StatementInput& a, const v1::StatementInput& b);

  static absl::Status ItemError(const absl::Status& s, v1::ItemResult* result);

  // Moves every suspense item waiting for (source, ref) into `account`.
  absl::Status Attach(const std::string& account, const std::string& source, const std::string& ref,
                      AttachResult* out);

  // With attach_micros, keeps a copy of a suspense item `account` takes
  // (`item` fills in the record), for suspense as of a past time.
  absl::Status KeepAttached(const std::string& account, const std::string& suspense_key,
                            const std::function<void(storage::AttachedSuspense*)>& item);

  absl::Status AttachTransaction(const std::string& account, const std::string& suspense_key,
                                 const std::string& value);

  absl::Status AttachStatement(const std::string& account, const std::string& suspense_key,
                               const std::string& value, bool* attached);
};

}  // namespace dpmon

#endif  // DPMON_STORAGE_LEDGER_WRITER_H_
