#include "storage/ledger_writer.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/db.h"
#include "storage/keys.h"
#include "storage/ledger_records.h"
#include "storage/proto_domain.h"

namespace dpmon {

v1::Transaction TransactionOf(const storage::TransactionRecord& r) {
  v1::Transaction t;
  *t.mutable_input() = r.input();
  t.set_effective_category(r.effective_category());
  t.set_direction(r.direction());
  t.set_reversal_linked(r.reversal_linked());
  t.set_sequence(r.sequence());
  t.set_from_suspense(r.from_suspense());
  *t.mutable_category_history() = r.category_history();
  return t;
}

absl::Status LedgerWriter::GetPolicy(const domain::Policy** out) {
  auto& policies = ctx.caches().policies;
  auto it = policies.find(council);
  if (it == policies.end()) {
    storage::CouncilRecord record;
    bool found;
    if (absl::Status s = ctx.GetMessage(kCouncils, keys::Council(council), &record, &found);
        !s.ok()) {
      return s;
    }
    if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council));
    // Not counted by Added(): one a council, and Added() may clear the
    // account rules a caller still holds.
    it = policies.emplace(council, PolicyFromProto(record.council().policy())).first;
  }
  *out = &it->second;
  return absl::OkStatus();
}

absl::Status LedgerWriter::MarkTransaction(const std::string& account, Date date,
                                           const storage::TransactionRecord& rec) {
  const v1::TransactionInput& in = rec.input();
  if (in.has_reverses()) return absl::OkStatus();
  if (rec.effective_category() == v1::COUNCIL_PAYMENT) {
    return ctx.Put(
        kMarks, keys::Mark(council, account, keys::kMarkCouncilPayment, date, rec.sequence()), "");
  }
  const domain::Policy* policy = nullptr;
  if (absl::Status s = GetPolicy(&policy); !s.ok()) return s;
  if (!IsWatched(*policy, rec)) return absl::OkStatus();
  return ctx.PutMessage(
      kMarks, keys::Mark(council, account, keys::kMarkWatched, date, rec.sequence()), WatchOf(rec));
}

absl::Status LedgerWriter::AccountRules(const std::string& account,
                                        const domain::CategoryRules** out) {
  auto& rules = ctx.caches().account_rules[council];
  auto it = rules.find(account);
  if (it == rules.end()) {
    storage::AccountRecord record;
    bool found;
    if (absl::Status s =
            ctx.GetMessage(kAccounts, keys::Account(council, account), &record, &found);
        !s.ok()) {
      return s;
    }
    it = rules.emplace(account, CategoryRulesFromProto(record.account().category_rules())).first;
    ctx.caches().Added();
  }
  *out = &it->second;
  return absl::OkStatus();
}

absl::Status LedgerWriter::PlaceInAccount(const std::string& account, Date date,
                                          storage::TransactionRecord* rec, std::string* key_out,
                                          absl::string_view input_bytes) {
  const v1::TransactionInput& in = rec->input();
  v1::Category category = in.category();
  if (category == v1::CATEGORY_UNSPECIFIED) {
    const domain::CategoryRules* account_rules = nullptr;
    if (absl::Status s = AccountRules(account, &account_rules); !s.ok()) return s;
    const domain::Policy* policy = nullptr;
    if (absl::Status s = GetPolicy(&policy); !s.ok()) return s;
    category =
        ToProto(domain::Categorise(*account_rules, policy->category_rules, CategoriseInputOf(in)));
  }
  rec->set_effective_category(category);
  rec->set_direction(DirectionOf(category, in.amount_pence()));
  rec->set_reversal_linked(false);
  if (in.has_reverses()) {
    storage::TransactionRecord original;
    bool linked;
    if (absl::Status s = FindOriginal(account, in.source(), in.reverses(), &original, &linked);
        !s.ok()) {
      return s;
    }
    if (linked) {
      rec->set_effective_category(original.effective_category());
      rec->set_direction(original.direction());
      rec->set_reversal_linked(true);
    }
    if (absl::Status s = ctx.Put(
            kReversals, keys::Reversal(council, in.source(), in.reverses(), in.external_id()), "");
        !s.ok()) {
      return s;
    }
    // A marker that one exists: arrivals look it up with one point read
    // (a bloom-filter miss for nearly all) instead of opening a scan.
    if (absl::Status s =
            ctx.Put(kReversals, keys::ReversedMarker(council, in.source(), in.reverses()), "");
        !s.ok()) {
      return s;
    }
  }
  std::string key = keys::Txn(council, account, date, rec->sequence());
  if (absl::Status s = ctx.Put(kTxns, key,
                               input_bytes.empty() ? rec->SerializeAsString()
                                                   : TransactionRecordBytes(rec, input_bytes));
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          totals.AddTransaction(account, date, SlotOfRecord(*rec), in.amount_pence(), 1);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MarkTransaction(account, date, *rec); !s.ok()) return s;
  if (key_out != nullptr) *key_out = key;
  return RelinkReversalsOf(account, *rec, 0);
}

absl::Status LedgerWriter::Recategorise(const std::string& account, const std::string& source,
                                        const std::string& external_id, v1::Category category,
                                        v1::CategoryChange change, storage::TransactionRecord* out,
                                        Date* date_out) {
  const auto not_found = [&] {
    return absl::NotFoundError(absl::StrFormat(
        "no transaction \"%s\" from \"%s\" in account \"%s\"", external_id, source, account));
  };
  storage::TxnIndexEntry entry;
  bool found;
  if (absl::Status s =
          ctx.GetMessage(kTxnIds, keys::TxnId(council, source, external_id), &entry, &found);
      !s.ok()) {
    return s;
  }
  if (!found) return not_found();
  if (entry.in_suspense()) {
    return absl::FailedPreconditionError(
        "the transaction is in suspense: it is categorised when an account takes its reference");
  }
  std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(entry.location_key());
  if (!parts) return absl::DataLossError("unreadable transaction key in txn_ids");
  if (parts->account != account) return not_found();
  storage::TransactionRecord rec;
  if (absl::Status s = ctx.GetMessage(kTxns, entry.location_key(), &rec, &found); !s.ok()) {
    return s;
  }
  if (!found) return absl::DataLossError("txn_ids names a transaction that is not stored");
  if (rec.reversal_linked()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "a reversal counts in the category of what it reverses: recategorise \"%s\"",
        rec.input().reverses()));
  }
  const int64_t amount = rec.input().amount_pence();
  // The money keeps its direction: a category of the other side would turn
  // a debit into a credit (issue 13). A reversal goes its original's way.
  const domain::Direction money = domain::MoneyDirection(amount, rec.input().has_reverses());
  if (!domain::CategoryFits(ToDomain(category), money)) {
    return InvalidField(
        "category",
        absl::StrFormat("%s is a %s category, but this %s is money %s", v1::Category_Name(category),
                        domain::IsCreditCategory(ToDomain(category)) ? "credit" : "debit",
                        rec.input().has_reverses() ? "reversal" : "transaction",
                        money == domain::CREDIT ? "in" : "out"));
  }
  const int old_slot = SlotOfRecord(rec);
  // Marks follow the category (council payments, cash withdrawals).
  for (char kind : {keys::kMarkCouncilPayment, keys::kMarkWatched}) {
    if (absl::Status s =
            ctx.Delete(kMarks, keys::Mark(council, account, kind, parts->date, rec.sequence()));
        !s.ok()) {
      return s;
    }
  }
  change.set_from(rec.effective_category());
  change.set_to(category);
  *rec.add_category_history() = std::move(change);
  rec.set_effective_category(category);
  rec.set_direction(DirectionOf(category, amount));
  const int new_slot = SlotOfRecord(rec);
  if (new_slot != old_slot) {
    if (absl::Status s = totals.Move(account, parts->date, old_slot, new_slot, amount); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ctx.PutMessage(kTxns, entry.location_key(), rec); !s.ok()) return s;
  if (absl::Status s = MarkTransaction(account, parts->date, rec); !s.ok()) return s;
  *out = rec;
  *date_out = parts->date;
  return RelinkReversalsOf(account, rec, 0);
}

absl::Status LedgerWriter::FindOriginal(const std::string& account, const std::string& source,
                                        const std::string& original_ext_id,
                                        storage::TransactionRecord* out, bool* linked) {
  *linked = false;
  storage::TxnIndexEntry entry;
  bool found;
  if (absl::Status s =
          ctx.GetMessage(kTxnIds, keys::TxnId(council, source, original_ext_id), &entry, &found);
      !s.ok() || !found || entry.in_suspense()) {
    return s;
  }
  std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(entry.location_key());
  if (!parts) return absl::DataLossError("unreadable transaction key in txn_ids");
  if (parts->account != account) return absl::OkStatus();
  if (absl::Status s = ctx.GetMessage(kTxns, entry.location_key(), out, &found); !s.ok()) return s;
  if (!found) return absl::DataLossError("txn_ids names a transaction that is not stored");
  *linked = true;
  return absl::OkStatus();
}

absl::Status LedgerWriter::RelinkReversalsOf(const std::string& account,
                                             const storage::TransactionRecord& original,
                                             int depth) {
  if (depth >= kReversalChainDepthMax) return absl::OkStatus();
  // The in-memory set of originals some reversal names answers nearly
  // every arrival without a read.
  if (!ctx.MaybeReversed(keys::ReversedMarker(council, original.input().source(),
                                              original.input().external_id()))) {
    return absl::OkStatus();
  }
  const std::string prefix =
      keys::ReversalPrefix(council, original.input().source(), original.input().external_id());
  std::vector<std::pair<std::string, std::string>> rows;
  if (absl::Status s = ctx.ScanPrefix(kReversals, prefix, &rows); !s.ok()) return s;
  for (const auto& row : rows) {
    std::string rev_id = row.first.substr(prefix.size());
    storage::TxnIndexEntry entry;
    bool found;
    if (absl::Status s = ctx.GetMessage(
            kTxnIds, keys::TxnId(council, original.input().source(), rev_id), &entry, &found);
        !s.ok()) {
      return s;
    }
    if (!found || entry.in_suspense()) continue;
    std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(entry.location_key());
    if (!parts) return absl::DataLossError("unreadable transaction key in txn_ids");
    if (parts->account != account) continue;
    storage::TransactionRecord rev;
    if (absl::Status s = ctx.GetMessage(kTxns, entry.location_key(), &rev, &found); !s.ok()) {
      return s;
    }
    if (!found) return absl::DataLossError("txn_ids names a transaction that is not stored");
    if (rev.reversal_linked() && rev.effective_category() == original.effective_category() &&
        rev.direction() == original.direction()) {
      continue;
    }
    int old_slot = SlotOfRecord(rev);
    int new_slot = SlotOfRecord(original);
    if (absl::Status s =
            totals.Move(account, parts->date, old_slot, new_slot, rev.input().amount_pence());
        !s.ok()) {
      return s;
    }
    rev.set_effective_category(original.effective_category());
    rev.set_direction(original.direction());
    rev.set_reversal_linked(true);
    if (absl::Status s = ctx.PutMessage(kTxns, entry.location_key(), rev); !s.ok()) return s;
    if (absl::Status s = RelinkReversalsOf(account, rev, depth + 1); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LedgerWriter::ResolveAccount(const std::string& account, const std::string& source,
                                          const std::string& account_ref,
                                          const std::function<std::string()>& item,
                                          std::string* resolved) {
  resolved->clear();
  if (!account.empty()) {
    auto& known = ctx.caches().accounts[council];
    auto cached = known.find(account);
    if (cached == known.end()) {
      std::string unused;
      bool exists;
      if (absl::Status s = ctx.Get(kAccounts, keys::Account(council, account), &unused, &exists);
          !s.ok()) {
        return s;
      }
      cached = known.emplace(account, exists).first;
      ctx.caches().Added();
    }
    const bool found = cached->second;
    if (!found) {
      return WithField(absl::NotFoundError(absl::StrFormat("no account \"%s\" in council \"%s\"",
                                                           account, council)),
                       item() + ".account");
    }
    *resolved = account;
  }
  if (!account_ref.empty()) {
    auto& holders = ctx.caches().ref_holders[council][source];
    auto cached = holders.find(account_ref);
    if (cached == holders.end()) {
      std::string holder;
      bool found;
      if (absl::Status s = ctx.Get(kRefs, keys::Ref(council, source, account_ref), &holder, &found);
          !s.ok()) {
        return s;
      }
      cached = holders.emplace(account_ref, found ? holder : std::string()).first;
      ctx.caches().Added();
    }
    const std::string& holder = cached->second;
    const bool found = !holder.empty();
    if (found && !resolved->empty() && holder != *resolved) {
      return WithField(absl::InvalidArgumentError(absl::StrFormat(
                           "account_ref \"%s\" belongs to account \"%s\", not \"%s\"", account_ref,
                           holder, *resolved)),
                       item() + ".account_ref");
    }
    if (found) *resolved = holder;
  }
  return absl::OkStatus();
}

absl::Status LedgerWriter::IngestTransaction(LedgerWrite* w, v1::ItemResult* result) {
  if (w->content.empty()) SerializeLedgerWrite(w);
  const std::string& content = w->content;
  const uint64_t fp = w->fingerprint;
  storage::TransactionRecord rec;
  // The record holds the item's input while it is written, and gives it
  // back after (no copy).
  rec.mutable_input()->Swap(&w->transaction);
  absl::Status s = IngestRecord(*w, content, fp, &rec, result);
  rec.mutable_input()->Swap(&w->transaction);
  return s;
}

absl::Status LedgerWriter::IngestRecord(const LedgerWrite& w, const std::string& content,
                                        uint64_t fp, storage::TransactionRecord* record,
                                        v1::ItemResult* result) {
  storage::TransactionRecord& rec = *record;
  const v1::TransactionInput& in = rec.input();
  const std::string id_key = keys::TxnId(council, in.source(), in.external_id());
  storage::TxnIndexEntry entry;
  bool found;
  if (absl::Status s = ctx.GetMessage(kTxnIds, id_key, &entry, &found); !s.ok()) return s;
  if (found) return Repeat(entry, fp, content, result);

  std::string account;
  absl::Status resolve = ResolveAccount(
      in.account(), in.source(), in.account_ref(),
      [&w] { return absl::StrCat("items[", w.index, "].transaction"); }, &account);
  if (!resolve.ok()) return ItemError(resolve, result);

  rec.set_fingerprint(fp);
  rec.set_sequence(static_cast<int64_t>(ctx.NextSequence()));
  entry.set_fingerprint(fp);
  if (account.empty()) {
    std::string key = keys::SuspenseTxn(council, in.source(), in.account_ref(), rec.sequence());
    rec.set_effective_category(in.category() == v1::CATEGORY_UNSPECIFIED ? v1::UNCATEGORISED
                                                                         : in.category());
    rec.set_direction(DirectionOf(rec.effective_category(), in.amount_pence()));
    rec.set_received_micros(w.received_micros);
    if (absl::Status s = ctx.PutMessage(kSuspense, key, rec); !s.ok()) return s;
    rec.clear_received_micros();  // The record may be reused for the next item.
    entry.set_location_key(key);
    entry.set_in_suspense(true);
    result->set_outcome(v1::SUSPENSE);
  } else {
    std::string key;
    if (absl::Status s = PlaceInAccount(account, w.date, &rec, &key, content); !s.ok()) {
      return s;
    }
    entry.set_location_key(key);
    result->set_outcome(v1::ACCEPTED);
  }
  return ctx.PutMessage(kTxnIds, id_key, entry);
}

absl::Status LedgerWriter::Repeat(const storage::TxnIndexEntry& entry, uint64_t fp,
                                  const std::string& content, v1::ItemResult* result) {
  if (entry.fingerprint() == fp) {
    storage::TransactionRecord stored;
    bool found;
    if (absl::Status s = ctx.GetMessage(entry.in_suspense() ? kSuspense : kTxns,
                                        entry.location_key(), &stored, &found);
        !s.ok()) {
      return s;
    }
    if (!found) return absl::DataLossError("txn_ids names a transaction that is not stored");
    if (stored.input().SerializeAsString() == content) {
      result->set_outcome(v1::DUPLICATE);
      return absl::OkStatus();
    }
  }
  result->set_outcome(v1::CONFLICT);
  result->set_reason(
      "a transaction with this source and external_id was already received with different "
      "content; the first one stands");
  return absl::OkStatus();
}

absl::Status LedgerWriter::IngestStatement(const LedgerWrite& w, v1::ItemResult* result) {
  const v1::StatementInput& in = w.statement;
  std::string account;
  absl::Status resolve = ResolveAccount(
      in.account(), in.source(), in.account_ref(),
      [&w] { return absl::StrCat("items[", w.index, "].statement"); }, &account);
  if (!resolve.ok()) return ItemError(resolve, result);
  const bool suspense = account.empty();
  const std::string key =
      suspense ? keys::SuspenseStatement(council, in.source(), in.account_ref(), w.date)
               : keys::Statement(council, account, w.date);
  storage::StatementRecord existing;
  bool found;
  if (absl::Status s = ctx.GetMessage(suspense ? kSuspense : kStatements, key, &existing, &found);
      !s.ok()) {
    return s;
  }
  if (found) {
    if (SameStatement(existing.input(), in)) {
      result->set_outcome(v1::DUPLICATE);
    } else {
      result->set_outcome(v1::CONFLICT);
      result->set_reason(absl::StrFormat(
          "a statement for %s was already received with closing balance %d pence; the first "
          "one stands",
          w.date.ToString(), existing.input().closing_balance_pence()));
    }
    return absl::OkStatus();
  }
  storage::StatementRecord rec;
  *rec.mutable_input() = in;
  rec.set_sequence(static_cast<int64_t>(ctx.NextSequence()));
  if (suspense) rec.set_received_micros(w.received_micros);
  result->set_outcome(suspense ? v1::SUSPENSE : v1::ACCEPTED);
  return ctx.PutMessage(suspense ? kSuspense : kStatements, key, rec);
}

bool LedgerWriter::SameStatement(const v1::StatementInput& a, const v1::StatementInput& b) {
  return a.source() == b.source() && a.closing_balance_pence() == b.closing_balance_pence();
}

absl::Status LedgerWriter::ItemError(const absl::Status& s, v1::ItemResult* result) {
  absl::optional<absl::Cord> field = s.GetPayload("dpmon.field");
  if (!field) return s;  // Not an item-level problem.
  result->set_outcome(v1::INVALID);
  result->set_field(std::string(*field));
  result->set_reason(std::string(s.message()));
  return absl::OkStatus();
}

absl::Status LedgerWriter::Attach(const std::string& account, const std::string& source,
                                  const std::string& ref, AttachResult* out) {
  std::vector<std::pair<std::string, std::string>> rows;
  const std::string prefix = keys::SuspensePrefix(council, source, ref);
  if (absl::Status s = ctx.ScanPrefix(kSuspense, prefix, &rows); !s.ok()) return s;
  for (const auto& [key, value] : rows) {
    char kind = key.size() > prefix.size() ? key[prefix.size()] : '?';
    if (kind == 'T') {
      if (absl::Status s = AttachTransaction(account, key, value); !s.ok()) return s;
      ++out->transactions;
    } else if (kind == 'S') {
      bool attached = false;
      if (absl::Status s = AttachStatement(account, key, value, &attached); !s.ok()) return s;
      attached ? ++out->statements : ++out->conflicting_statements;
    } else {
      return absl::DataLossError("unreadable suspense key");
    }
  }
  return absl::OkStatus();
}

absl::Status LedgerWriter::KeepAttached(
    const std::string& account, const std::string& suspense_key,
    const std::function<void(storage::AttachedSuspense*)>& item) {
  if (attach_micros <= 0) return absl::OkStatus();
  storage::AttachedSuspense kept;
  kept.set_account(account);
  kept.set_attached_micros(attach_micros);
  item(&kept);
  return ctx.PutMessage(kSuspense, keys::SuspenseAttached(council, attach_micros, suspense_key),
                        kept);
}

absl::Status LedgerWriter::AttachTransaction(const std::string& account,
                                             const std::string& suspense_key,
                                             const std::string& value) {
  storage::TransactionRecord rec;
  if (absl::Status s = ParseRecord(value, &rec, "suspense"); !s.ok()) return s;
  absl::StatusOr<Date> date = Date::Parse(rec.input().booking_date());
  if (!date.ok()) return absl::DataLossError("unreadable booking date in suspense");
  if (absl::Status s = KeepAttached(
          account, suspense_key,
          [&](storage::AttachedSuspense* kept) { *kept->mutable_transaction() = rec; });
      !s.ok()) {
    return s;
  }
  rec.set_from_suspense(true);
  rec.clear_received_micros();
  std::string key;
  if (absl::Status s = PlaceInAccount(account, *date, &rec, &key); !s.ok()) return s;
  storage::TxnIndexEntry entry;
  entry.set_fingerprint(rec.fingerprint());
  entry.set_location_key(key);
  if (absl::Status s = ctx.PutMessage(
          kTxnIds, keys::TxnId(council, rec.input().source(), rec.input().external_id()), entry);
      !s.ok()) {
    return s;
  }
  return ctx.Delete(kSuspense, suspense_key);
}

absl::Status LedgerWriter::AttachStatement(const std::string& account,
                                           const std::string& suspense_key,
                                           const std::string& value, bool* attached) {
  storage::StatementRecord rec;
  if (absl::Status s = ParseRecord(value, &rec, "suspense"); !s.ok()) return s;
  absl::StatusOr<Date> date = Date::Parse(rec.input().date());
  if (!date.ok()) return absl::DataLossError("unreadable statement date in suspense");
  const std::string key = keys::Statement(council, account, *date);
  storage::StatementRecord existing;
  bool found;
  if (absl::Status s = ctx.GetMessage(kStatements, key, &existing, &found); !s.ok()) return s;
  if (found && !SameStatement(existing.input(), rec.input())) {
    *attached = false;  // Stays in suspense for an operator to look at.
    return absl::OkStatus();
  }
  *attached = true;
  if (absl::Status s =
          KeepAttached(account, suspense_key,
                       [&](storage::AttachedSuspense* kept) { *kept->mutable_statement() = rec; });
      !s.ok()) {
    return s;
  }
  if (!found) {
    rec.clear_received_micros();
    if (absl::Status s = ctx.PutMessage(kStatements, key, rec); !s.ok()) return s;
  }
  return ctx.Delete(kSuspense, suspense_key);
}

}  // namespace dpmon
