#include "storage/store.h"

#include <algorithm>
#include <memory>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/categorise.h"
#include "storage/store_internal.h"

namespace dpmon {

// ---------------------------------------------------------------------------
// Ledger logic that runs inside a mutation.
namespace {

v1::Transaction TransactionOf(const std::string& account_name,
                              const storage::TransactionRecord& r) {
  v1::Transaction t;
  t.set_account(account_name);
  *t.mutable_input() = r.input();
  t.set_effective_category(r.effective_category());
  t.set_direction(r.direction());
  t.set_reversal_linked(r.reversal_linked());
  t.set_sequence(r.sequence());
  t.set_from_suspense(r.from_suspense());
  *t.mutable_category_history() = r.category_history();
  return t;
}

struct LedgerOps {
  WriteContext& ctx;
  const std::string& council;
  TotalsCache totals;

  LedgerOps(WriteContext& c, const std::string& council_id)
      : ctx(c), council(council_id), totals(&c, council_id) {}

  // The council's policy, read once per mutation.
  absl::Status GetPolicy(const v1::Policy** out) {
    if (!policy_loaded) {
      storage::CouncilRecord record;
      bool found;
      if (absl::Status s = ctx.GetMessage(kCouncils, keys::Council(council), &record, &found);
          !s.ok()) {
        return s;
      }
      if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council));
      policy = record.council().policy();
      rules_policy = PolicyFromProto(policy);
      policy_loaded = true;
    }
    *out = &policy;
    return absl::OkStatus();
  }

  // The marks that let evaluation find a transaction without scanning the
  // account: council payments (rule 7) and watched debits (rules 8, 9).
  absl::Status MarkTransaction(const std::string& account, Date date,
                               const storage::TransactionRecord& rec) {
    const v1::TransactionInput& in = rec.input();
    if (in.has_reverses()) return absl::OkStatus();
    if (rec.effective_category() == v1::COUNCIL_PAYMENT) {
      return ctx.Put(kMarks,
                     keys::Mark(council, account, keys::kMarkCouncilPayment, date, rec.sequence()),
                     "");
    }
    const v1::Policy* p = nullptr;
    if (absl::Status s = GetPolicy(&p); !s.ok()) return s;
    if (!IsWatched(rules_policy, rec)) return absl::OkStatus();
    return ctx.PutMessage(kMarks,
                          keys::Mark(council, account, keys::kMarkWatched, date, rec.sequence()),
                          WatchOf(rec));
  }

  // The account's categorisation rules (cached across requests).
  absl::Status AccountRules(const std::string& account, const domain::CategoryRules** out) {
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

  v1::Policy policy;
  domain::Policy rules_policy;  // `policy` as the domain reads it.
  bool policy_loaded = false;

  // Places a transaction record (already carrying its sequence) into an
  // account: writes it, counts it, links it to its original if that is
  // known, and relinks any reversals of it that arrived earlier.
  absl::Status PlaceInAccount(const std::string& account, Date date,
                              storage::TransactionRecord* rec, std::string* key_out,
                              absl::string_view input_bytes = {}) {
    const v1::TransactionInput& in = rec->input();
    v1::Category category = in.category();
    if (category == v1::CATEGORY_UNSPECIFIED) {
      const domain::CategoryRules* account_rules = nullptr;
      if (absl::Status s = AccountRules(account, &account_rules); !s.ok()) return s;
      const v1::Policy* p = nullptr;
      if (absl::Status s = GetPolicy(&p); !s.ok()) return s;
      category = ToProto(
          domain::Categorise(*account_rules, rules_policy.category_rules, CategoriseInputOf(in)));
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
      if (absl::Status s =
              ctx.Put(kReversals,
                      keys::Reversal(council, in.source(), in.reverses(), in.external_id()), "");
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

  // See Store::RecategoriseTransaction.
  absl::Status Recategorise(const std::string& account, const std::string& source,
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

  // The original a reversal names, if it is a transaction of the same account.
  absl::Status FindOriginal(const std::string& account, const std::string& source,
                            const std::string& original_ext_id, storage::TransactionRecord* out,
                            bool* linked) {
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
    if (absl::Status s = ctx.GetMessage(kTxns, entry.location_key(), out, &found); !s.ok())
      return s;
    if (!found) return absl::DataLossError("txn_ids names a transaction that is not stored");
    *linked = true;
    return absl::OkStatus();
  }

  // Reversals of `original` that are in the same account now count as its
  // category and direction.
  absl::Status RelinkReversalsOf(const std::string& account,
                                 const storage::TransactionRecord& original, int depth) {
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

  // Resolves where an item goes: an account id, or suspense (empty account).
  // Returns an item-level error (with field) for an unknown account.
  // `item` names the item in errors ("items[3].transaction"); built only then.
  absl::Status ResolveAccount(const std::string& account, const std::string& source,
                              const std::string& account_ref,
                              const std::function<std::string()>& item, std::string* resolved) {
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
        if (absl::Status s =
                ctx.Get(kRefs, keys::Ref(council, source, account_ref), &holder, &found);
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
                             "account_ref \"%s\" belongs to account \"%s\", not \"%s\"",
                             account_ref, holder, *resolved)),
                         item() + ".account_ref");
      }
      if (found) *resolved = holder;
    }
    return absl::OkStatus();
  }

  absl::Status IngestTransaction(LedgerWrite* w, v1::ItemResult* result) {
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

  absl::Status IngestRecord(const LedgerWrite& w, const std::string& content, uint64_t fp,
                            storage::TransactionRecord* record, v1::ItemResult* result) {
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
      if (absl::Status s = ctx.PutMessage(kSuspense, key, rec); !s.ok()) return s;
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

  // A transaction id seen before: DUPLICATE if the content is the same.
  absl::Status Repeat(const storage::TxnIndexEntry& entry, uint64_t fp, const std::string& content,
                      v1::ItemResult* result) {
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

  absl::Status IngestStatement(const LedgerWrite& w, v1::ItemResult* result) {
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
    result->set_outcome(suspense ? v1::SUSPENSE : v1::ACCEPTED);
    return ctx.PutMessage(suspense ? kSuspense : kStatements, key, rec);
  }

  // A statement's identity is (account, date); its content is its source and
  // closing balance, however the account was named.
  static bool SameStatement(const v1::StatementInput& a, const v1::StatementInput& b) {
    return a.source() == b.source() && a.closing_balance_pence() == b.closing_balance_pence();
  }

  static absl::Status ItemError(const absl::Status& s, v1::ItemResult* result) {
    absl::optional<absl::Cord> field = s.GetPayload("dpmon.field");
    if (!field) return s;  // Not an item-level problem.
    result->set_outcome(v1::INVALID);
    result->set_field(std::string(*field));
    result->set_reason(std::string(s.message()));
    return absl::OkStatus();
  }

  // Moves every suspense item waiting for (source, ref) into `account`.
  absl::Status Attach(const std::string& account, const std::string& source, const std::string& ref,
                      AttachResult* out) {
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

  absl::Status AttachTransaction(const std::string& account, const std::string& suspense_key,
                                 const std::string& value) {
    storage::TransactionRecord rec;
    if (absl::Status s = ParseRecord(value, &rec, "suspense"); !s.ok()) return s;
    absl::StatusOr<Date> date = Date::Parse(rec.input().booking_date());
    if (!date.ok()) return absl::DataLossError("unreadable booking date in suspense");
    rec.set_from_suspense(true);
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

  absl::Status AttachStatement(const std::string& account, const std::string& suspense_key,
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
    if (!found) {
      if (absl::Status s = ctx.PutMessage(kStatements, key, rec); !s.ok()) return s;
    }
    return ctx.Delete(kSuspense, suspense_key);
  }
};

}  // namespace

// ---------------------------------------------------------------------------
void SerializeLedgerWrite(LedgerWrite* w) {
  w->content = w->transaction.SerializeAsString();
  w->fingerprint = Fingerprint(w->content);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

absl::Status Store::Open(const StoreOptions& options, std::unique_ptr<Store>* store) {
  auto impl = std::make_unique<Impl>();
  if (absl::Status s = impl->Open(options); !s.ok()) return s;
  if (absl::Status s = InitAccessSequence(impl.get()); !s.ok()) return s;
  store->reset(new Store(std::move(impl)));
  return absl::OkStatus();
}

absl::StatusOr<v1::Council> Store::CreateCouncil(const std::string& council_id,
                                                 const v1::Council& council,
                                                 const RequestKey& key) {
  return impl_->RunIdempotent<v1::Council>(key, [&](WriteContext& ctx, v1::Council* out) {
    const std::string k = keys::Council(council_id);
    std::string unused;
    bool found;
    if (absl::Status s = ctx.Get(kCouncils, k, &unused, &found); !s.ok()) return s;
    if (found) {
      return WithField(
          absl::AlreadyExistsError(absl::StrFormat("council \"%s\" already exists", council_id)),
          "council_id");
    }
    storage::CouncilRecord record;
    *record.mutable_council() = council;
    record.mutable_council()->set_name(absl::StrCat("councils/", council_id));
    *out = record.council();
    return ctx.PutMessage(kCouncils, k, record);
  });
}

absl::StatusOr<v1::Council> Store::GetCouncil(const std::string& council_id) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kCouncils),
                                       keys::Council(council_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
  }
  if (!s.ok()) return FromRocks(s, "reading council");
  storage::CouncilRecord record;
  if (absl::Status st = ParseRecord(value, &record, "council"); !st.ok()) return st;
  return record.council();
}

namespace {
// The restricted or evidence MCCs changed: rebuild the council's watched
// debit marks from its transactions, in the same write as the policy.
absl::Status RewatchCouncil(WriteContext& ctx, const std::string& council_id,
                            const v1::Policy& policy) {
  const std::string prefix = keys::CouncilChildren(council_id);
  std::vector<std::string> stale;
  if (absl::Status s = ctx.ForEachPrefix(kMarks, prefix,
                                         [&](absl::string_view key, absl::string_view) {
                                           // council \0 account \0 kind ...
                                           size_t sep = key.find('\0', prefix.size());
                                           if (sep != absl::string_view::npos &&
                                               sep + 1 < key.size() &&
                                               key[sep + 1] == keys::kMarkWatched) {
                                             stale.emplace_back(key);
                                           }
                                           return absl::OkStatus();
                                         });
      !s.ok()) {
    return s;
  }
  for (const std::string& key : stale) {
    if (absl::Status s = ctx.Delete(kMarks, key); !s.ok()) return s;
  }
  storage::TransactionRecord rec;
  const domain::Policy rules_policy = PolicyFromProto(policy);
  return ctx.ForEachPrefix(
      kTxns, prefix, [&](absl::string_view key, absl::string_view value) -> absl::Status {
        if (absl::Status s = ParseRecord(value, &rec, "txns"); !s.ok()) return s;
        if (!IsWatched(rules_policy, rec)) return absl::OkStatus();
        std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(key);
        if (!parts) return absl::DataLossError("unreadable transaction key");
        return ctx.PutMessage(
            kMarks,
            keys::Mark(council_id, parts->account, keys::kMarkWatched, parts->date, parts->seq),
            WatchOf(rec));
      });
}
}  // namespace

absl::StatusOr<v1::Council> Store::UpdateCouncil(const std::string& council_id,
                                                 const CouncilMutator& mutate,
                                                 const RequestKey& key) {
  return impl_->RunIdempotent<v1::Council>(key, [&](WriteContext& ctx, v1::Council* out) {
    const std::string k = keys::Council(council_id);
    storage::CouncilRecord record;
    bool found;
    if (absl::Status s = ctx.GetMessage(kCouncils, k, &record, &found); !s.ok()) return s;
    if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
    const v1::Policy before = record.council().policy();
    if (absl::Status s = mutate(record.mutable_council()); !s.ok()) return s;
    *out = record.council();
    if (absl::Status s = ctx.PutMessage(kCouncils, k, record); !s.ok()) return s;
    const v1::Policy& after = record.council().policy();
    if (std::equal(before.restricted_mccs().begin(), before.restricted_mccs().end(),
                   after.restricted_mccs().begin(), after.restricted_mccs().end()) &&
        std::equal(before.evidence_mccs().begin(), before.evidence_mccs().end(),
                   after.evidence_mccs().begin(), after.evidence_mccs().end())) {
      return absl::OkStatus();
    }
    return RewatchCouncil(ctx, council_id, after);
  });
}

absl::StatusOr<Page<v1::Council>> Store::ListCouncils(const std::string& after_key, int limit) {
  Page<v1::Council> page;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCouncils)));
  after_key.empty() ? it->SeekToFirst() : it->Seek(after_key);
  if (!after_key.empty() && it->Valid() && it->key() == after_key) it->Next();
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = page.items.empty() ? "" : std::string(page.items.back().name().substr(9));
      break;
    }
    storage::CouncilRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "council"); !s.ok()) {
      return s;
    }
    page.items.push_back(record.council());
  }
  if (absl::Status s = FromRocks(it->status(), "listing councils"); !s.ok()) return s;
  return page;
}

namespace {

absl::Status CheckCouncil(WriteContext& ctx, const std::string& council_id) {
  std::string unused;
  bool found;
  if (absl::Status s = ctx.Get(kCouncils, keys::Council(council_id), &unused, &found); !s.ok()) {
    return s;
  }
  if (!found) return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
  return absl::OkStatus();
}

// Takes (source, ref) for `account` and attaches what waits for it.
absl::Status TakeRef(LedgerOps& ops, const std::string& account, const v1::ExternalRef& ref,
                     AttachResult* attached) {
  const std::string k = keys::Ref(ops.council, ref.source(), ref.ref());
  std::string holder;
  bool found;
  if (absl::Status s = ops.ctx.Get(kRefs, k, &holder, &found); !s.ok()) return s;
  if (found && holder != account) {
    return WithField(absl::FailedPreconditionError(absl::StrFormat(
                         "external reference %s:%s already belongs to account \"%s\"", ref.source(),
                         ref.ref(), holder)),
                     "external_refs");
  }
  if (found) return absl::OkStatus();
  if (absl::Status s = ops.ctx.Put(kRefs, k, account); !s.ok()) return s;
  return ops.Attach(account, ref.source(), ref.ref(), attached);
}

void FillAttach(const AttachResult& a, v1::AddExternalRefResponse* out) {
  out->set_attached_transactions(out->attached_transactions() + a.transactions);
  out->set_attached_statements(out->attached_statements() + a.statements);
  out->set_conflicting_statements(out->conflicting_statements() + a.conflicting_statements);
}

}  // namespace

absl::StatusOr<v1::AddExternalRefResponse> Store::CreateAccount(const std::string& council_id,
                                                                const std::string& account_id,
                                                                const v1::Account& account,
                                                                const RequestKey& key) {
  return impl_->RunIdempotent<v1::AddExternalRefResponse>(
      key, [&](WriteContext& ctx, v1::AddExternalRefResponse* out) {
        if (absl::Status s = CheckCouncil(ctx, council_id); !s.ok()) return s;
        const std::string k = keys::Account(council_id, account_id);
        std::string unused;
        bool found;
        if (absl::Status s = ctx.Get(kAccounts, k, &unused, &found); !s.ok()) return s;
        if (found) {
          return WithField(
              absl::AlreadyExistsError(absl::StrFormat(
                  "account \"%s\" already exists in council \"%s\"", account_id, council_id)),
              "account_id");
        }
        storage::AccountRecord record;
        *record.mutable_account() = account;
        record.mutable_account()->set_name(AccountName(council_id, account_id));
        record.mutable_account()->clear_status();
        if (absl::Status s = ctx.PutMessage(kAccounts, k, record); !s.ok()) return s;
        LedgerOps ops(ctx, council_id);
        for (const v1::ExternalRef& ref : account.external_refs()) {
          AttachResult attached;
          if (absl::Status s = TakeRef(ops, account_id, ref, &attached); !s.ok()) return s;
          FillAttach(attached, out);
        }
        *out->mutable_account() = record.account();
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Account> Store::GetAccount(const std::string& council_id,
                                              const std::string& account_id) {
  std::string value;
  rocksdb::Status s = impl_->db()->Get(rocksdb::ReadOptions(), impl_->cf(kAccounts),
                                       keys::Account(council_id, account_id), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrFormat("account \"%s\" not found in council \"%s\"", account_id, council_id));
  }
  if (!s.ok()) return FromRocks(s, "reading account");
  storage::AccountRecord record;
  if (absl::Status st = ParseRecord(value, &record, "account"); !st.ok()) return st;
  return record.account();
}

absl::StatusOr<v1::Account> Store::UpdateAccount(const std::string& council_id,
                                                 const std::string& account_id,
                                                 const AccountMutator& mutate,
                                                 const RequestKey& key) {
  return impl_->RunIdempotent<v1::Account>(key, [&](WriteContext& ctx, v1::Account* out) {
    const std::string k = keys::Account(council_id, account_id);
    storage::AccountRecord record;
    bool found;
    if (absl::Status s = ctx.GetMessage(kAccounts, k, &record, &found); !s.ok()) return s;
    if (!found) {
      return absl::NotFoundError(
          absl::StrFormat("account \"%s\" not found in council \"%s\"", account_id, council_id));
    }
    if (absl::Status s = mutate(record.mutable_account()); !s.ok()) return s;
    *out = record.account();
    return ctx.PutMessage(kAccounts, k, record);
  });
}

absl::StatusOr<v1::AddExternalRefResponse> Store::AddExternalRef(const std::string& council_id,
                                                                 const std::string& account_id,
                                                                 const v1::ExternalRef& ref,
                                                                 const RequestKey& key) {
  return impl_->RunIdempotent<v1::AddExternalRefResponse>(
      key, [&](WriteContext& ctx, v1::AddExternalRefResponse* out) {
        const std::string k = keys::Account(council_id, account_id);
        storage::AccountRecord record;
        bool found;
        if (absl::Status s = ctx.GetMessage(kAccounts, k, &record, &found); !s.ok()) return s;
        if (!found) {
          return absl::NotFoundError(absl::StrFormat("account \"%s\" not found in council \"%s\"",
                                                     account_id, council_id));
        }
        bool already = false;
        for (const v1::ExternalRef& r : record.account().external_refs()) {
          already |= r.source() == ref.source() && r.ref() == ref.ref();
        }
        if (!already) {
          if (record.account().external_refs_size() >= limits::kExternalRefsMax) {
            return WithField(absl::FailedPreconditionError(absl::StrFormat(
                                 "the account already has %d external references, the limit",
                                 limits::kExternalRefsMax)),
                             "external_ref");
          }
          *record.mutable_account()->add_external_refs() = ref;
          if (absl::Status s = ctx.PutMessage(kAccounts, k, record); !s.ok()) return s;
        }
        LedgerOps ops(ctx, council_id);
        AttachResult attached;
        if (absl::Status s = TakeRef(ops, account_id, ref, &attached); !s.ok()) return s;
        FillAttach(attached, out);
        *out->mutable_account() = record.account();
        return absl::OkStatus();
      });
}

absl::StatusOr<Page<v1::Account>> Store::ListAccounts(
    const std::string& council_id, const std::string& after_account, int limit,
    const std::function<bool(const v1::Account&)>& keep) {
  Page<v1::Account> page;
  const std::string prefix = keys::CouncilChildren(council_id);
  const std::string end = keys::PrefixEnd(prefix);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kAccounts)));
  const std::string start =
      after_account.empty() ? prefix : keys::Account(council_id, after_account);
  it->Seek(start);
  if (!after_account.empty() && it->Valid() && it->key() == start) it->Next();
  std::string last_id;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = last_id;
      break;
    }
    storage::AccountRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "account"); !s.ok()) {
      return s;
    }
    last_id = it->key().ToString().substr(prefix.size());
    if (keep(record.account())) page.items.push_back(std::move(*record.mutable_account()));
  }
  if (absl::Status s = FromRocks(it->status(), "listing accounts"); !s.ok()) return s;
  return page;
}

void Store::IngestAsync(const std::string& council_id, std::vector<LedgerWrite> items,
                        v1::IngestBatchResponse response, const RequestKey& key, IngestDone done) {
  struct State {
    std::string council;
    std::vector<LedgerWrite> items;
    v1::IngestBatchResponse response;
    RequestKey key;
  };
  auto state =
      std::make_shared<State>(State{council_id, std::move(items), std::move(response), key});
  int weight = std::max<int>(1, static_cast<int>(state->items.size()));
  impl_->Submit(
      [state](WriteContext& ctx) {
        std::function<absl::Status(WriteContext&, v1::IngestBatchResponse*)> body =
            [state](WriteContext& c, v1::IngestBatchResponse* out) {
              LedgerOps ops(c, state->council);
              // Reads the council once: NotFound if there is none; the
              // policy then serves the watched-debit marks.
              const v1::Policy* policy = nullptr;
              if (absl::Status s = ops.GetPolicy(&policy); !s.ok()) return s;
              for (LedgerWrite& w : state->items) {
                v1::ItemResult* result = out->mutable_results(w.index);
                absl::Status s = w.is_transaction ? ops.IngestTransaction(&w, result)
                                                  : ops.IngestStatement(w, result);
                if (!s.ok()) return s;
              }
              for (const v1::ItemResult& r : out->results()) {
                switch (r.outcome()) {
                  case v1::ACCEPTED:
                    out->set_accepted(out->accepted() + 1);
                    break;
                  case v1::DUPLICATE:
                    out->set_duplicate(out->duplicate() + 1);
                    break;
                  case v1::CONFLICT:
                    out->set_conflict(out->conflict() + 1);
                    break;
                  case v1::SUSPENSE:
                    out->set_suspense(out->suspense() + 1);
                    break;
                  case v1::INVALID:
                    out->set_invalid(out->invalid() + 1);
                    break;
                  case v1::DENIED:
                    out->set_denied(out->denied() + 1);
                    break;
                  default:
                    return absl::InternalError("an item was left without a result");
                }
              }
              return absl::OkStatus();
            };
        // Filled in place: a mutation that fails answers with its error,
        // never with these results.
        return Impl::ApplyIdempotent(ctx, state->key, body, &state->response);
      },
      [state, done = std::move(done)](absl::Status s) {
        if (!s.ok()) {
          done(std::move(s));
          return;
        }
        done(std::move(state->response));
      },
      weight);
}

absl::StatusOr<v1::IngestBatchResponse> Store::Ingest(const std::string& council_id,
                                                      std::vector<LedgerWrite> items,
                                                      v1::IngestBatchResponse response,
                                                      const RequestKey& key) {
  absl::Notification n;
  absl::StatusOr<v1::IngestBatchResponse> result;
  IngestAsync(council_id, std::move(items), std::move(response), key,
              [&](absl::StatusOr<v1::IngestBatchResponse> r) {
                result = std::move(r);
                n.Notify();
              });
  n.WaitForNotification();
  return result;
}

namespace {

// Scans [lower, upper) of `cf` from after `after_key`, parsing each value.
template <typename Record, typename Out>
absl::Status ScanRange(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const std::string& lower,
                       const std::string& upper, const std::string& after_key, int limit,
                       Page<Out>* page,
                       const std::function<Out(const Record&, absl::string_view)>& convert) {
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  if (!after_key.empty() && after_key >= lower) {
    it->Seek(after_key);
    if (it->Valid() && it->key() == after_key) it->Next();
  } else {
    it->Seek(lower);
  }
  std::string last;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page->items.size()) == limit) {
      page->next_key = last;
      break;
    }
    Record record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "ledger"); !s.ok()) {
      return s;
    }
    last = it->key().ToString();
    page->items.push_back(convert(record, View(it->key())));
  }
  return FromRocks(it->status(), "scan");
}

}  // namespace

absl::StatusOr<Page<v1::Transaction>> Store::ListTransactions(const std::string& council_id,
                                                              const std::string& account_id,
                                                              Date from, Date to,
                                                              const std::string& after_key,
                                                              int limit) {
  const std::string parent = keys::AccountParent(council_id, account_id);
  std::string lower = parent, upper = parent;
  keys::AppendDate(&lower, from);
  keys::AppendDate(&upper, to.AddDays(1));
  Page<v1::Transaction> page;
  const std::string name = AccountName(council_id, account_id);
  absl::Status s = ScanRange<storage::TransactionRecord, v1::Transaction>(
      impl_->db(), impl_->cf(kTxns), lower, upper, after_key, limit, &page,
      [&](const storage::TransactionRecord& r, absl::string_view) {
        return TransactionOf(name, r);
      });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<v1::Transaction> Store::RecategoriseTransaction(
    const std::string& council_id, const std::string& account_id, const std::string& source,
    const std::string& external_id, v1::Category category, v1::CategoryChange change,
    const RequestKey& key) {
  return impl_->RunIdempotent<v1::Transaction>(key, [&](WriteContext& ctx, v1::Transaction* out) {
    if (absl::Status s = CheckCouncil(ctx, council_id); !s.ok()) return s;
    LedgerOps ops(ctx, council_id);
    storage::TransactionRecord rec;
    Date date;
    if (absl::Status s =
            ops.Recategorise(account_id, source, external_id, category, change, &rec, &date);
        !s.ok()) {
      return s;
    }
    *out = TransactionOf(AccountName(council_id, account_id), rec);
    return absl::OkStatus();
  });
}

absl::StatusOr<Page<v1::Statement>> Store::ListStatements(const std::string& council_id,
                                                          const std::string& account_id, Date from,
                                                          Date to, const std::string& after_key,
                                                          int limit) {
  const std::string parent = keys::AccountParent(council_id, account_id);
  std::string lower = parent, upper = parent;
  keys::AppendDate(&lower, from);
  keys::AppendDate(&upper, to.AddDays(1));
  Page<v1::Statement> page;
  const std::string name = AccountName(council_id, account_id);
  absl::Status s = ScanRange<storage::StatementRecord, v1::Statement>(
      impl_->db(), impl_->cf(kStatements), lower, upper, after_key, limit, &page,
      [&](const storage::StatementRecord& r, absl::string_view) {
        v1::Statement st;
        st.set_account(name);
        *st.mutable_input() = r.input();
        st.set_sequence(r.sequence());
        return st;
      });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<Page<v1::SuspenseItem>> Store::ListSuspense(const std::string& council_id,
                                                           const std::string& after_key,
                                                           int limit) {
  const std::string lower = keys::CouncilChildren(council_id);
  const std::string upper = keys::PrefixEnd(lower);
  Page<v1::SuspenseItem> page;
  // Suspense values are either records; the key's kind byte says which, and
  // both records start with `input` (field 1) so parse by kind.
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kSuspense)));
  if (!after_key.empty() && after_key >= lower) {
    it->Seek(after_key);
    if (it->Valid() && it->key() == after_key) it->Next();
  } else {
    it->Seek(lower);
  }
  std::string last;
  for (; it->Valid(); it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_key = last;
      break;
    }
    absl::string_view key = View(it->key());
    // council \0 source \0 ref \0 kind ...: the kind is after the third separator.
    size_t a = key.find('\0');
    size_t b = key.find('\0', a + 1);
    size_t c = key.find('\0', b + 1);
    if (a == absl::string_view::npos || b == absl::string_view::npos ||
        c == absl::string_view::npos || c + 1 >= key.size()) {
      return absl::DataLossError("unreadable suspense key");
    }
    v1::SuspenseItem item;
    item.set_source(std::string(key.substr(a + 1, b - a - 1)));
    item.set_account_ref(std::string(key.substr(b + 1, c - b - 1)));
    if (key[c + 1] == 'T') {
      storage::TransactionRecord r;
      if (absl::Status s = ParseRecord(View(it->value()), &r, "suspense"); !s.ok()) return s;
      *item.mutable_transaction() = r.input();
      item.set_sequence(r.sequence());
    } else {
      storage::StatementRecord r;
      if (absl::Status s = ParseRecord(View(it->value()), &r, "suspense"); !s.ok()) return s;
      *item.mutable_statement() = r.input();
      item.set_sequence(r.sequence());
    }
    last = std::string(key);
    page.items.push_back(std::move(item));
  }
  if (absl::Status s = FromRocks(it->status(), "listing suspense"); !s.ok()) return s;
  return page;
}

absl::StatusOr<domain::Totals> Store::SumThrough(const std::string& council_id,
                                                 const std::string& account_id, Date through) {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(rocksdb::ReadOptions(), impl_->cf(kTotals)));
  domain::Totals sum;
  if (absl::Status s = SumThroughWith(it.get(), council_id, account_id, through, &sum); !s.ok()) {
    return s;
  }
  return sum;
}

absl::StatusOr<domain::Totals> Store::SumRange(const std::string& council_id,
                                               const std::string& account_id, Date from, Date to) {
  absl::StatusOr<domain::Totals> through_to = SumThrough(council_id, account_id, to);
  if (!through_to.ok()) return through_to.status();
  absl::StatusOr<domain::Totals> before_from = SumThrough(council_id, account_id, from.AddDays(-1));
  if (!before_from.ok()) return before_from.status();
  if (absl::Status s = through_to->Subtract(*before_from); !s.ok()) return s;
  return *through_to;
}

absl::Status Store::CompactAll() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (int i = 0; i < kCfCount; ++i) {
    rocksdb::Status s =
        impl_->db()->CompactRange(o, impl_->cf(static_cast<Cf>(i)), nullptr, nullptr);
    if (!s.ok()) return FromRocks(s, absl::StrCat("compacting ", kCfNames[i]));
  }
  return absl::OkStatus();
}

absl::Status Store::Flush() {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (int i = 0; i < kCfCount; ++i) all.push_back(impl_->cf(static_cast<Cf>(i)));
  return FromRocks(impl_->db()->Flush(fo, all), "flush");
}

}  // namespace dpmon
