// The integrity check of the ledger: transactions, totals rows, balances,
// marks, txn_ids and suspense (integrity.h).
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/fingerprint.h"
#include "common/names.h"
#include "storage/account_index.h"
#include "storage/flag_index.h"
#include "storage/integrity.h"
#include "storage/ledger_records.h"
#include "storage/totals_record.h"

namespace dpmon {
namespace {

constexpr size_t kIdBatch = 1024;

std::string SlotName(int slot) {
  return absl::StrCat(v1::Category_Name(ToProto(domain::SlotCategory(slot))),
                      domain::SlotDirection(slot) == domain::CREDIT ? " in" : " out");
}

// How two totals differ, slot by slot.
std::string TotalsDiff(const domain::Totals& stored, const domain::Totals& records) {
  std::vector<std::string> parts;
  for (int i = 0; i < domain::kSlotCount; ++i) {
    if (stored.net_pence[i] != records.net_pence[i] || stored.count[i] != records.count[i]) {
      parts.push_back(absl::StrFormat("%s: stored %d pence in %d, records %d pence in %d",
                                      SlotName(i), stored.net_pence[i], stored.count[i],
                                      records.net_pence[i], records.count[i]));
    }
  }
  return absl::StrJoin(parts, "; ");
}

bool SameTotals(const domain::Totals& a, const domain::Totals& b) {
  return a.net_pence == b.net_pence && a.count == b.count;
}

// "suspense card/R-1/T": where a problem with a suspense item is.
std::string SuspenseWhere(const keys::SuspenseKeyParts& parts) {
  return absl::StrCat("suspense ", parts.source, "/", parts.ref, "/", std::string(1, parts.kind));
}

}  // namespace

// ---- transactions, totals, balances, marks, reversal links ----
absl::Status IntegrityChecker::Ledger() {
  with_ledger_.clear();
  reversal_keys_.clear();
  totals_compared_ = 0;
  marks_compared_ = 0;
  ids_digest_ = IdDigest();
  auto s = Open(kTxns, children_);
  for (; s->it->Valid(); s->it->Next()) {
    std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(View(s->it->key()));
    if (!parts || parts->council != council_) {
      Problem("", "txns " + Printable(View(s->it->key())), "unreadable key");
      continue;
    }
    if (parts->account != account_) {
      if (absl::Status st = FinishAccount(); !st.ok()) return st;
      account_ = parts->account;
    }
    if (absl::Status st = Transaction(*parts, s->it->key().ToString(), View(s->it->value()));
        !st.ok()) {
      return st;
    }
  }
  if (absl::Status st = FinishAccount(); !st.ok()) return st;
  if (absl::Status st = CheckIds(); !st.ok()) return st;
  if (absl::Status st = LeftoverTotals(); !st.ok()) return st;
  if (absl::Status st = LeftoverMarks(); !st.ok()) return st;
  return FromRocks(s->it->status(), "scanning txns");
}

absl::Status IntegrityChecker::Transaction(const keys::TxnKeyParts& parts, const std::string& key,
                                           absl::string_view value) {
  ++report_->transactions;
  const std::string where = absl::StrFormat("txns %s #%d", parts.date.ToString(), parts.seq);
  storage::TransactionRecord rec;
  if (!rec.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    Problem(account_, where, "unreadable transaction record");
    return absl::OkStatus();
  }
  const v1::TransactionInput& in = rec.input();
  if (in.booking_date() != parts.date.ToString() ||
      static_cast<uint64_t>(rec.sequence()) != parts.seq) {
    Problem(account_, where,
            absl::StrFormat("the record says booking date %s, sequence %d", in.booking_date(),
                            rec.sequence()));
  }
  if (rec.fingerprint() != Fingerprint(in.SerializeAsString())) {
    Problem(account_, where, "the stored fingerprint does not match the transaction");
  }
  const std::string id = absl::StrCat(in.source(), std::string(1, '\0'), in.external_id());
  if (recheck_ids_) {
    ids_.push_back({keys::TxnId(council_, in.source(), in.external_id()), key, false,
                    rec.fingerprint(), account_, where});
    if (ids_.size() >= kIdBatch) {
      if (absl::Status s = CheckIds(); !s.ok()) return s;
    }
  } else {
    ids_digest_.Add(keys::TxnId(council_, in.source(), in.external_id()), key, false,
                    rec.fingerprint());
  }
  placed_[id] = {rec.effective_category(), rec.direction()};
  const int slot = SlotOfRecord(rec);
  for (keys::Level level : {keys::Level::kDay, keys::Level::kMonth, keys::Level::kYear}) {
    const Date bucket = level == keys::Level::kDay     ? parts.date
                        : level == keys::Level::kMonth ? parts.date.FirstOfMonth()
                                                       : parts.date.FirstOfYear();
    if (absl::Status s = rows_[{static_cast<char>(level), bucket.days()}].AddTransaction(
            slot, in.amount_pence(), 1);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = records_.AddTransaction(slot, in.amount_pence(), 1); !s.ok()) return s;
  if (parts.date > latest_) latest_ = parts.date;
  if (in.has_reverses()) {
    reversals_.push_back({absl::StrCat(in.source(), std::string(1, '\0'), in.reverses()), where,
                          rec.effective_category(), rec.direction(), rec.reversal_linked()});
    reversal_keys_.insert(keys::Reversal(council_, in.source(), in.reverses(), in.external_id()));
    reversal_keys_.insert(keys::ReversedMarker(council_, in.source(), in.reverses()));
  } else if (rec.effective_category() == v1::COUNCIL_PAYMENT) {
    marks_[keys::Mark(council_, account_, keys::kMarkCouncilPayment, parts.date, parts.seq)] = "";
  } else if (IsWatched(policy_, rec)) {
    marks_[keys::Mark(council_, account_, keys::kMarkWatched, parts.date, parts.seq)] =
        WatchOf(rec).SerializeAsString();
  }
  return absl::OkStatus();
}

absl::Status IntegrityChecker::FinishAccount() {
  if (account_.empty()) return absl::OkStatus();
  const std::string account = std::exchange(account_, "");
  with_ledger_.insert(account);
  if (!accounts_.contains(account)) {
    Problem(account, "txns", "transactions of an account that does not exist");
  }
  for (const ReversalSeen& r : reversals_) {
    auto original = placed_.find(r.original_id);
    const bool linked = original != placed_.end();
    if (linked != r.linked) {
      Problem(account, r.where,
              linked ? "a reversal of a transaction of this account that is not linked to it"
                     : "linked, but what it reverses is not in this account");
    } else if (linked && (original->second.category != r.category ||
                          original->second.direction != r.direction)) {
      Problem(account, r.where,
              absl::StrFormat("a linked reversal counted as %s, but its original as %s",
                              v1::Category_Name(r.category),
                              v1::Category_Name(original->second.category)));
    }
  }
  absl::Status s = CompareTotals(account);
  if (s.ok()) s = CompareBalance(account);
  if (s.ok()) s = CompareMarks(account);
  placed_.clear();
  reversals_.clear();
  rows_.clear();
  marks_.clear();
  records_ = domain::Totals();
  latest_ = Date::FromDays(INT32_MIN / 2);
  return s;
}

// Each period that holds a row the records give is read whole, so that a
// stored row the records do not give is found too.
absl::Status IntegrityChecker::CompareTotals(const std::string& account) {
  std::map<std::pair<char, int32_t>, const domain::Totals*> expected;
  std::vector<std::pair<char, int32_t>> periods;
  for (const auto& [id, totals] : rows_) {
    expected[id] = &totals;
    const auto level = static_cast<keys::Level>(id.first);
    const int32_t period = keys::TotalsPeriod(level, Date::FromDays(id.second)).days();
    if (periods.empty() || periods.back() != std::make_pair(id.first, period)) {
      periods.emplace_back(id.first, period);
    }
  }
  std::sort(periods.begin(), periods.end());
  periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
  for (const auto& [level, period] : periods) {
    const std::string prefix = keys::TotalsPrefix(
        council_, account, static_cast<keys::Level>(level), Date::FromDays(period));
    rocksdb::Iterator* row = Cursor(kTotals);
    for (row->Seek(prefix); row->Valid() && row->key().starts_with(prefix); row->Next()) {
      ++totals_compared_;
      ++report_->totals_rows;
      std::optional<Date> bucket = keys::DecodeDate(View(row->key()).substr(prefix.size()));
      const std::string where =
          absl::StrCat("totals ", std::string(1, level), " ",
                       bucket ? bucket->ToString() : Printable(View(row->key())));
      storage::TotalsRecord record;
      domain::Totals stored;
      if (!bucket ||
          !record.ParseFromArray(row->value().data(), static_cast<int>(row->value().size())) ||
          !TotalsFromRecord(record, &stored).ok()) {
        Problem(account, where, "unreadable totals row");
        continue;
      }
      auto want = expected.find({level, bucket->days()});
      if (want == expected.end()) {
        Problem(account, where, "a row with no transactions on its dates");
        continue;
      }
      if (!SameTotals(stored, *want->second)) {
        Problem(account, where, TotalsDiff(stored, *want->second));
      }
      expected.erase(want);
    }
    if (!row->status().ok()) return FromRocks(row->status(), "scanning totals");
  }
  for (const auto& [id, totals] : expected) {
    Problem(account,
            absl::StrCat("totals ", std::string(1, id.first), " ",
                         Date::FromDays(id.second).ToString()),
            absl::StrCat("missing: records give ", TotalsDiff(domain::Totals(), *totals)));
  }
  return absl::OkStatus();
}

// The balance as every read computes it (SumThroughWith), against the
// records' own sum.
absl::Status IntegrityChecker::CompareBalance(const std::string& account) {
  rocksdb::Iterator* it = Cursor(kTotals);
  domain::Totals read;
  if (absl::Status s = SumThroughWith(it, council_, account, latest_, &read); !s.ok()) {
    Problem(account, "totals", absl::StrCat("balance unreadable: ", s.message()));
    return absl::OkStatus();
  }
  int64_t stored = 0, records = 0;
  if (!read.NetPence(&stored).ok() || !records_.NetPence(&records).ok() || stored != records ||
      read.TransactionCount() != records_.TransactionCount()) {
    Problem(account, absl::StrCat("balance through ", latest_.ToString()),
            absl::StrFormat("read as %d pence from %d transactions; the records give %d pence "
                            "from %d",
                            stored, read.TransactionCount(), records, records_.TransactionCount()));
  }
  return absl::OkStatus();
}

absl::Status IntegrityChecker::CompareMarks(const std::string& account) {
  const std::string parent = keys::AccountParent(council_, account);
  rocksdb::Iterator* cursor = Cursor(kMarks);
  for (cursor->Seek(parent); cursor->Valid() && cursor->key().starts_with(parent); cursor->Next()) {
    ++marks_compared_;
    const std::string key = cursor->key().ToString();
    std::optional<keys::MarkKeyParts> m = keys::DecodeMark(key, council_);
    const std::string where =
        m ? absl::StrFormat("marks %c %s #%d", m->kind, m->date.ToString(), m->seq)
          : "marks " + Printable(key);
    auto it = marks_.find(key);
    if (it == marks_.end()) {
      Problem(account, where, "a mark that no transaction gives under the council's policy");
      continue;
    }
    if (it->second != View(cursor->value())) {
      Problem(account, where, "the watched debit's record differs from its transaction");
    }
    marks_.erase(it);
  }
  for (const auto& [key, value] : marks_) {
    std::optional<keys::MarkKeyParts> m = keys::DecodeMark(key, council_);
    Problem(account, absl::StrFormat("marks %c %s #%d", m->kind, m->date.ToString(), m->seq),
            "missing: the transaction and the council's policy give it");
  }
  return FromRocks(cursor->status(), "scanning marks");
}

// Rows of accounts, or periods, that have no transactions, found by count.
absl::Status IntegrityChecker::LeftoverTotals() {
  int64_t all = 0;
  auto s = Open(kTotals, children_);
  for (; s->it->Valid(); s->it->Next()) ++all;
  if (all == totals_compared_) return FromRocks(s->it->status(), "scanning totals");
  for (s = Open(kTotals, children_); s->it->Valid(); s->it->Next()) {
    std::optional<keys::TotalsKeyParts> t = keys::DecodeTotals(View(s->it->key()), council_);
    if (!t) {
      Problem("", "totals " + Printable(View(s->it->key())), "unreadable key");
      continue;
    }
    const Date end = t->level == keys::Level::kYear    ? Date::FromDays(INT32_MAX / 2)
                     : t->level == keys::Level::kMonth ? t->period.AddDays(366).FirstOfYear()
                                                       : t->period.AddDays(31).FirstOfMonth();
    bool any = false;
    if (with_ledger_.contains(t->account)) {
      auto txns = Open(kTxns, keys::AccountParent(council_, t->account));
      txns->it->Seek(keys::Txn(council_, t->account, t->period, 0));
      any = txns->it->Valid() && keys::DecodeTxn(View(txns->it->key()))->date < end;
    }
    if (!any) {
      ++report_->totals_rows;
      Problem(t->account,
              absl::StrCat("totals ", std::string(1, static_cast<char>(t->level)), " ",
                           t->bucket.ToString()),
              "a row with no transactions on its dates");
    }
  }
  return FromRocks(s->it->status(), "scanning totals");
}

absl::Status IntegrityChecker::LeftoverMarks() {
  int64_t all = 0;
  auto s = Open(kMarks, children_);
  for (; s->it->Valid(); s->it->Next()) ++all;
  if (all == marks_compared_) return FromRocks(s->it->status(), "scanning marks");
  for (s = Open(kMarks, children_); s->it->Valid(); s->it->Next()) {
    std::optional<keys::MarkKeyParts> m = keys::DecodeMark(View(s->it->key()), council_);
    if (!m || !with_ledger_.contains(m->account)) {
      Problem(m ? m->account : "", "marks " + Printable(View(s->it->key())),
              "a mark of an account with no transactions");
    }
  }
  return FromRocks(s->it->status(), "scanning marks");
}

// Each record's txn_ids entry names it, with its fingerprint.
absl::Status IntegrityChecker::CheckIds() {
  if (ids_.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> slices;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(ids_.size(), impl_->cf(kTxnIds));
  for (const ExpectedId& e : ids_) slices.emplace_back(e.id_key);
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db_->MultiGet(read_, cfs, slices, &values);
  for (size_t i = 0; i < ids_.size(); ++i) {
    const ExpectedId& e = ids_[i];
    const std::string where = absl::StrCat(e.where, " (txn_ids ", Printable(e.id_key), ")");
    if (statuses[i].IsNotFound()) {
      Problem(e.account, where, "no txn_ids entry: a repeat of it would be taken again");
      continue;
    }
    if (!statuses[i].ok()) return FromRocks(statuses[i], "reading txn_ids");
    storage::TxnIndexEntry entry;
    if (!entry.ParseFromString(values[i]) || entry.location_key() != e.location ||
        entry.in_suspense() != e.in_suspense || entry.fingerprint() != e.fingerprint) {
      Problem(e.account, where, "the txn_ids entry names another place or fingerprint");
    }
  }
  ids_.clear();
  return absl::OkStatus();
}

// ---- suspense ----
absl::Status IntegrityChecker::Suspense() {
  auto s = Open(kSuspense, children_);
  for (; s->it->Valid(); s->it->Next()) {
    const std::string key = s->it->key().ToString();
    std::optional<keys::SuspenseKeyParts> parts = keys::DecodeSuspense(key, council_);
    if (!parts) {
      Problem("", "suspense " + Printable(key), "unreadable key");
      continue;
    }
    ++report_->suspense_items;
    const std::string where = SuspenseWhere(*parts);
    auto holder = refs_.find(absl::StrCat(parts->source, std::string(1, '\0'), parts->ref));
    if (parts->kind == 'T') {
      storage::TransactionRecord rec;
      if (!rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        Problem("", where, "unreadable transaction record");
        continue;
      }
      if (holder != refs_.end()) {
        Problem(holder->second, where,
                "a transaction left in suspense though an account holds its reference");
      }
      const std::string id_key =
          keys::TxnId(council_, rec.input().source(), rec.input().external_id());
      if (recheck_ids_) {
        ids_.push_back({id_key, key, true, rec.fingerprint(), "", where});
        if (ids_.size() >= kIdBatch) {
          if (absl::Status st = CheckIds(); !st.ok()) return st;
        }
      } else {
        ids_digest_.Add(id_key, key, true, rec.fingerprint());
      }
    } else if (holder != refs_.end()) {
      // A statement stays only if its account has a different one that day.
      storage::StatementRecord rec, held;
      std::string value;
      bool found = false;
      if (!rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        Problem("", where, "unreadable statement record");
        continue;
      }
      absl::StatusOr<Date> date = Date::Parse(rec.input().date());
      if (date.ok()) {
        if (absl::Status st =
                Get(kStatements, keys::Statement(council_, holder->second, *date), &value, &found);
            !st.ok()) {
          return st;
        }
      }
      if (!found || !held.ParseFromString(value) ||
          held.input().closing_balance_pence() == rec.input().closing_balance_pence()) {
        Problem(holder->second, where,
                "a statement left in suspense though an account holds its reference and has "
                "no other statement that day");
      }
    }
  }
  if (absl::Status st = CheckIds(); !st.ok()) return st;
  return FromRocks(s->it->status(), "scanning suspense");
}

void IntegrityChecker::IdDigest::Add(absl::string_view id_key, absl::string_view location,
                                     bool in_suspense, uint64_t fingerprint) {
  std::string bytes = absl::StrCat(id_key, std::string(1, '\0'), location, std::string(1, '\0'),
                                   fingerprint, in_suspense ? "S" : "T");
  sum += Fingerprint64(bytes);
  bytes.push_back('\x01');
  sum2 += Fingerprint64(bytes);
  ++count;
}

// The entries of txn_ids, read in order, against the digest of what the
// records expect (an order-free sum of a hash of each entry). If they
// differ, the records are read again with a point read of each one's entry
// (CheckIds), and each entry is read against its record, to name the
// differences.
absl::Status IntegrityChecker::TxnIdCount() {
  IdDigest stored;
  bool unreadable = false;
  auto s = Open(kTxnIds, children_);
  for (; s->it->Valid(); s->it->Next()) {
    storage::TxnIndexEntry entry;
    if (!entry.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
      unreadable = true;
      continue;
    }
    stored.Add(View(s->it->key()), entry.location_key(), entry.in_suspense(), entry.fingerprint());
  }
  if (!s->it->status().ok()) return FromRocks(s->it->status(), "scanning txn_ids");
  if (!unreadable && stored.count == ids_digest_.count && stored.sum == ids_digest_.sum &&
      stored.sum2 == ids_digest_.sum2) {
    return absl::OkStatus();
  }
  if (absl::Status st = RecheckIds(); !st.ok()) return st;
  for (s = Open(kTxnIds, children_); s->it->Valid(); s->it->Next()) {
    storage::TxnIndexEntry entry;
    std::string value;
    bool found = false;
    const std::string where = "txn_ids " + Printable(View(s->it->key()));
    if (!entry.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
      Problem("", where, "unreadable entry");
      continue;
    }
    if (absl::Status st =
            Get(entry.in_suspense() ? kSuspense : kTxns, entry.location_key(), &value, &found);
        !st.ok()) {
      return st;
    }
    storage::TransactionRecord rec;
    if (!found || !rec.ParseFromString(value) ||
        keys::TxnId(council_, rec.input().source(), rec.input().external_id()) !=
            View(s->it->key())) {
      Problem("", where, "names a transaction that is not stored there");
    }
  }
  return FromRocks(s->it->status(), "scanning txn_ids");
}

// Reads every transaction and suspense record again, checking each one's
// txn_ids entry with a (batched) point read.
absl::Status IntegrityChecker::RecheckIds() {
  recheck_ids_ = true;
  for (auto s = Open(kTxns, children_); s->it->Valid(); s->it->Next()) {
    std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(View(s->it->key()));
    storage::TransactionRecord rec;
    if (!parts ||
        !rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
      continue;  // Reported already.
    }
    ids_.push_back({keys::TxnId(council_, rec.input().source(), rec.input().external_id()),
                    s->it->key().ToString(), false, rec.fingerprint(), parts->account,
                    absl::StrFormat("txns %s #%d", parts->date.ToString(), parts->seq)});
    if (ids_.size() >= kIdBatch) {
      if (absl::Status st = CheckIds(); !st.ok()) return st;
    }
  }
  for (auto s = Open(kSuspense, children_); s->it->Valid(); s->it->Next()) {
    storage::TransactionRecord rec;
    std::optional<keys::SuspenseKeyParts> parts =
        keys::DecodeSuspense(View(s->it->key()), council_);
    if (!parts || parts->kind != 'T' ||
        !rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
      continue;  // Reported already.
    }
    ids_.push_back({keys::TxnId(council_, rec.input().source(), rec.input().external_id()),
                    s->it->key().ToString(), true, rec.fingerprint(), "", SuspenseWhere(*parts)});
    if (ids_.size() >= kIdBatch) {
      if (absl::Status st = CheckIds(); !st.ok()) return st;
    }
  }
  absl::Status st = CheckIds();
  recheck_ids_ = false;
  return st;
}

}  // namespace dpmon
