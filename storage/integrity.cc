// Store::CheckIntegrity: everything the store derives from its records
// (totals rows and the balances read from them, reversal links, marks,
// txn_ids, refs, suspense, the account index, the flag index and its
// counts), recomputed from the records of one snapshot and compared with
// what is stored. Every difference is reported by account and key.
//
// Costs one pass over each column family of a council, one scan per
// account and period for the totals, and one read per transaction for its
// txn_ids entry (batched). Memory: one account's rows at a time, plus the
// council's account ids, references and account index keys.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/names.h"
#include "storage/account_index.h"
#include "storage/flag_index.h"
#include "storage/group_commit.h"
#include "storage/ledger_records.h"
#include "storage/store.h"
#include "storage/totals_record.h"

namespace dpmon {
namespace {

constexpr size_t kIdBatch = 1024;

// A key's text parts, with the 0x00 separators shown as '/' and any other
// byte that is not printable as \xNN.
std::string Printable(absl::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '\0') {
      out.push_back('/');
    } else if (c < 0x20 || c > 0x7e) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

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

// A reversal as the check needs it.
struct ReversalSeen {
  std::string original_id;  // source \0 external_id
  std::string where;
  v1::Category category;
  v1::Direction direction;
  bool linked;
};

struct Placed {
  v1::Category category;
  v1::Direction direction;
};

// A txn_ids entry a record expects: where it is and its fingerprint.
struct ExpectedId {
  std::string id_key;
  std::string location;
  bool in_suspense;
  uint64_t fingerprint;
  std::string account;
  std::string where;
};

class Checker {
 public:
  Checker(Store::Impl* impl, int max_problems, Store::IntegrityReport* report)
      : impl_(impl), db_(impl->db()), max_problems_(max_problems), report_(report) {
    snapshot_ = db_->GetSnapshot();
    read_.snapshot = snapshot_;
    read_.fill_cache = false;  // An online check must not evict what serving reads.
  }
  ~Checker() { db_->ReleaseSnapshot(snapshot_); }

  const rocksdb::ReadOptions& read() const { return read_; }

  absl::Status Council(const std::string& council, const v1::Council& record) {
    council_ = council;
    children_ = keys::CouncilChildren(council);
    policy_ = PolicyFromProto(record.policy());
    ++report_->councils;
    for (auto step : {&Checker::Accounts, &Checker::AccountIndex, &Checker::Refs, &Checker::Ledger,
                      &Checker::Suspense, &Checker::TxnIdCount, &Checker::Statements,
                      &Checker::Reversals, &Checker::Flags}) {
      if (absl::Status s = (this->*step)(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  struct Scan {
    std::string upper;
    rocksdb::Slice upper_slice;
    std::unique_ptr<rocksdb::Iterator> it;
  };
  // Every key of `cf` that starts with `prefix`, in order.
  std::unique_ptr<Scan> Open(Cf cf, const std::string& prefix) {
    auto s = std::make_unique<Scan>();
    s->upper = keys::PrefixEnd(prefix);
    s->upper_slice = rocksdb::Slice(s->upper);
    rocksdb::ReadOptions ro = read_;
    if (!s->upper.empty()) ro.iterate_upper_bound = &s->upper_slice;
    s->it.reset(db_->NewIterator(ro, impl_->cf(cf)));
    s->it->Seek(prefix);
    return s;
  }

  void Problem(const std::string& account, std::string where, std::string what) {
    ++report_->problem_count;
    if (static_cast<int>(report_->problems.size()) >= max_problems_) return;
    report_->problems.push_back({council_, account, std::move(where), std::move(what)});
  }

  absl::Status Get(Cf cf, const std::string& key, std::string* value, bool* found) {
    rocksdb::Status s = db_->Get(read_, impl_->cf(cf), key, value);
    *found = s.ok();
    if (s.IsNotFound()) return absl::OkStatus();
    return FromRocks(s, "integrity check read");
  }

  // ---- accounts, their references and their index entries ----
  absl::Status Accounts() {
    accounts_.clear();
    refs_.clear();
    index_.clear();
    for (auto s = Open(kAccounts, children_); s->it->Valid(); s->it->Next()) {
      const std::string id(View(s->it->key()).substr(children_.size()));
      storage::AccountRecord record;
      if (!record.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        Problem(id, "accounts", "unreadable account record");
        continue;
      }
      ++report_->accounts;
      accounts_.insert(id);
      if (record.account().name() != AccountName(council_, id)) {
        Problem(id, "accounts", absl::StrCat("the record names ", record.account().name()));
      }
      for (const v1::ExternalRef& r : record.account().external_refs()) {
        refs_[absl::StrCat(r.source(), std::string(1, '\0'), r.ref())] = id;
      }
      for (std::string& k : AccountIndexKeys(council_, id, record.account())) {
        index_.insert(std::move(k));
      }
    }
    return absl::OkStatus();
  }

  absl::Status AccountIndex() {
    auto s = Open(kAccountIndex, children_);
    for (; s->it->Valid(); s->it->Next()) {
      const std::string key = s->it->key().ToString();
      if (index_.erase(key) == 0) {
        Problem("", "account_index " + Printable(key), "an entry that no account record gives");
      }
    }
    for (const std::string& key : index_) {
      Problem("", "account_index " + Printable(key), "missing: an account record gives it");
    }
    index_.clear();
    return FromRocks(s->it->status(), "scanning account_index");
  }

  absl::Status Refs() {
    auto held = refs_;
    auto s = Open(kRefs, children_);
    for (; s->it->Valid(); s->it->Next()) {
      const std::string rest(View(s->it->key()).substr(children_.size()));
      auto it = held.find(rest);
      const std::string where = "refs " + Printable(rest);
      if (it == held.end()) {
        Problem(s->it->value().ToString(), where, "held by no account record");
      } else if (it->second != View(s->it->value())) {
        Problem(it->second, where, absl::StrCat("points at account ", View(s->it->value())));
      }
      if (it != held.end()) held.erase(it);
    }
    for (const auto& [rest, account] : held) {
      Problem(account, "refs " + Printable(rest), "missing: the account record holds it");
    }
    return FromRocks(s->it->status(), "scanning refs");
  }

  // ---- transactions, totals, balances, marks, reversal links ----
  absl::Status Ledger() {
    with_ledger_.clear();
    reversal_keys_.clear();
    totals_compared_ = 0;
    marks_compared_ = 0;
    txns_ = 0;
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

  absl::Status Transaction(const keys::TxnKeyParts& parts, const std::string& key,
                           absl::string_view value) {
    ++report_->transactions;
    ++txns_;
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
    ids_.push_back({keys::TxnId(council_, in.source(), in.external_id()), key, false,
                    rec.fingerprint(), account_, where});
    if (ids_.size() >= kIdBatch) {
      if (absl::Status s = CheckIds(); !s.ok()) return s;
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

  absl::Status FinishAccount() {
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
  absl::Status CompareTotals(const std::string& account) {
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
      auto s = Open(kTotals, prefix);
      for (; s->it->Valid(); s->it->Next()) {
        ++totals_compared_;
        ++report_->totals_rows;
        std::optional<Date> bucket = keys::DecodeDate(View(s->it->key()).substr(prefix.size()));
        const std::string where =
            absl::StrCat("totals ", std::string(1, level), " ",
                         bucket ? bucket->ToString() : Printable(View(s->it->key())));
        storage::TotalsRecord record;
        domain::Totals stored;
        if (!bucket ||
            !record.ParseFromArray(s->it->value().data(),
                                   static_cast<int>(s->it->value().size())) ||
            !TotalsFromRecord(record, &stored).ok()) {
          Problem(account, where, "unreadable totals row");
          continue;
        }
        auto it = expected.find({level, bucket->days()});
        if (it == expected.end()) {
          Problem(account, where, "a row with no transactions on its dates");
          continue;
        }
        if (!SameTotals(stored, *it->second)) {
          Problem(account, where, TotalsDiff(stored, *it->second));
        }
        expected.erase(it);
      }
      if (!s->it->status().ok()) return FromRocks(s->it->status(), "scanning totals");
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
  absl::Status CompareBalance(const std::string& account) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_, impl_->cf(kTotals)));
    domain::Totals read;
    if (absl::Status s = SumThroughWith(it.get(), council_, account, latest_, &read); !s.ok()) {
      Problem(account, "totals", absl::StrCat("balance unreadable: ", s.message()));
      return absl::OkStatus();
    }
    int64_t stored = 0, records = 0;
    if (!read.NetPence(&stored).ok() || !records_.NetPence(&records).ok() || stored != records ||
        read.TransactionCount() != records_.TransactionCount()) {
      Problem(
          account, absl::StrCat("balance through ", latest_.ToString()),
          absl::StrFormat("read as %d pence from %d transactions; the records give %d pence "
                          "from %d",
                          stored, read.TransactionCount(), records, records_.TransactionCount()));
    }
    return absl::OkStatus();
  }

  absl::Status CompareMarks(const std::string& account) {
    auto s = Open(kMarks, keys::AccountParent(council_, account));
    for (; s->it->Valid(); s->it->Next()) {
      ++marks_compared_;
      const std::string key = s->it->key().ToString();
      std::optional<keys::MarkKeyParts> m = keys::DecodeMark(key, council_);
      const std::string where =
          m ? absl::StrFormat("marks %c %s #%d", m->kind, m->date.ToString(), m->seq)
            : "marks " + Printable(key);
      auto it = marks_.find(key);
      if (it == marks_.end()) {
        Problem(account, where, "a mark that no transaction gives under the council's policy");
        continue;
      }
      if (it->second != View(s->it->value())) {
        Problem(account, where, "the watched debit's record differs from its transaction");
      }
      marks_.erase(it);
    }
    for (const auto& [key, value] : marks_) {
      std::optional<keys::MarkKeyParts> m = keys::DecodeMark(key, council_);
      Problem(account, absl::StrFormat("marks %c %s #%d", m->kind, m->date.ToString(), m->seq),
              "missing: the transaction and the council's policy give it");
    }
    return FromRocks(s->it->status(), "scanning marks");
  }

  // Rows of accounts, or periods, that have no transactions, found by count.
  absl::Status LeftoverTotals() {
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

  absl::Status LeftoverMarks() {
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
  absl::Status CheckIds() {
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
  absl::Status Suspense() {
    suspense_txns_ = 0;
    auto s = Open(kSuspense, children_);
    for (; s->it->Valid(); s->it->Next()) {
      const std::string key = s->it->key().ToString();
      absl::string_view rest = View(s->it->key()).substr(children_.size());
      const size_t a = rest.find('\0');
      const size_t b = a == absl::string_view::npos ? a : rest.find('\0', a + 1);
      if (b == absl::string_view::npos || b + 1 >= rest.size()) {
        Problem("", "suspense " + Printable(key), "unreadable key");
        continue;
      }
      ++report_->suspense_items;
      const std::string ref_id(rest.substr(0, b));
      const std::string where = "suspense " + Printable(rest.substr(0, b + 2));
      auto holder = refs_.find(ref_id);
      if (rest[b + 1] == 'T') {
        ++suspense_txns_;
        storage::TransactionRecord rec;
        if (!rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
          Problem("", where, "unreadable transaction record");
          continue;
        }
        if (holder != refs_.end()) {
          Problem(holder->second, where,
                  "a transaction left in suspense though an account holds its reference");
        }
        ids_.push_back({keys::TxnId(council_, rec.input().source(), rec.input().external_id()), key,
                        true, rec.fingerprint(), "", where});
        if (ids_.size() >= kIdBatch) {
          if (absl::Status st = CheckIds(); !st.ok()) return st;
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
          if (absl::Status st = Get(kStatements, keys::Statement(council_, holder->second, *date),
                                    &value, &found);
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

  // Every record's entry was found above; an entry more is one no record has.
  absl::Status TxnIdCount() {
    int64_t all = 0;
    auto s = Open(kTxnIds, children_);
    for (; s->it->Valid(); s->it->Next()) ++all;
    if (all == txns_ + suspense_txns_) return FromRocks(s->it->status(), "scanning txn_ids");
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

  absl::Status Statements() {
    auto s = Open(kStatements, children_);
    for (; s->it->Valid(); s->it->Next()) {
      ++report_->statements;
      absl::string_view rest = View(s->it->key()).substr(children_.size());
      std::optional<Date> date =
          rest.size() > 5 ? keys::DecodeDate(rest.substr(rest.size() - 4)) : std::nullopt;
      const std::string account(rest.substr(0, rest.size() > 5 ? rest.size() - 5 : 0));
      storage::StatementRecord rec;
      const std::string where =
          absl::StrCat("statements ", date ? date->ToString() : Printable(rest));
      if (!date ||
          !rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        Problem(account, where, "unreadable statement");
      } else if (!accounts_.contains(account)) {
        Problem(account, where, "a statement of an account that does not exist");
      } else if (rec.input().date() != date->ToString()) {
        Problem(account, where, absl::StrCat("the record is dated ", rec.input().date()));
      }
    }
    return FromRocks(s->it->status(), "scanning statements");
  }

  absl::Status Reversals() {
    auto s = Open(kReversals, children_);
    for (; s->it->Valid(); s->it->Next()) {
      const std::string key = s->it->key().ToString();
      if (reversal_keys_.erase(key) == 0) {
        Problem("", "reversals " + Printable(key.substr(children_.size())),
                "an entry that no reversal in an account gives");
      }
    }
    for (const std::string& key : reversal_keys_) {
      Problem("", "reversals " + Printable(key.substr(children_.size())),
              "missing: a reversal in an account gives it");
    }
    reversal_keys_.clear();
    return FromRocks(s->it->status(), "scanning reversals");
  }

  // ---- flags, the flag index and its counts ----
  absl::Status Flags() {
    std::map<std::string, int64_t> counts;
    auto s = Open(kFlags, children_);
    for (; s->it->Valid(); s->it->Next()) {
      ++report_->flags;
      absl::string_view rest = View(s->it->key()).substr(children_.size());
      const std::string account(rest.substr(0, rest.find('\0')));
      const std::string where = "flags " + Printable(rest.substr(0, rest.size() - 4));
      v1::Flag flag;
      if (!flag.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        Problem(account, where, "unreadable flag");
        continue;
      }
      if (!accounts_.contains(account)) Problem(account, where, "a flag of no account");
      ++counts[FlagCountKey(flag.kind(), flag.state())];
      absl::StatusOr<std::vector<std::string>> index = FlagIndexKeys(council_, account, flag);
      if (!index.ok()) {
        Problem(account, where, std::string(index.status().message()));
        continue;
      }
      for (const std::string& k : *index) {
        std::string value;
        bool found;
        if (absl::Status st = Get(kFlagIndex, k, &value, &found); !st.ok()) return st;
        if (!found) {
          Problem(account, where, "missing from the flag index");
        } else if (value != View(s->it->value())) {
          Problem(account, where, "the flag index holds another version of it");
        }
      }
    }
    if (!s->it->status().ok()) return FromRocks(s->it->status(), "scanning flags");
    for (char part : {'S', 'K'}) {
      if (absl::Status st = FlagIndexEntries(children_ + part); !st.ok()) return st;
    }
    storage::FlagCountsRecord stored;
    std::string value;
    bool found;
    if (absl::Status st = Get(kFlagIndex, keys::FlagCounts(council_), &value, &found); !st.ok()) {
      return st;
    }
    if (found && !stored.ParseFromString(value)) Problem("", "flag_index counts", "unreadable");
    for (const auto& [k, n] : stored.counts()) {
      auto it = counts.find(k);
      const int64_t want = it == counts.end() ? 0 : it->second;
      if (n != want) {
        Problem("", "flag_index counts " + k, absl::StrFormat("stored %d, flags %d", n, want));
      }
      if (it != counts.end()) counts.erase(it);
    }
    for (const auto& [k, n] : counts) {
      Problem("", "flag_index counts " + k, absl::StrFormat("missing: flags %d", n));
    }
    return absl::OkStatus();
  }

  // Each index entry is listed where its flag, as stored, says.
  absl::Status FlagIndexEntries(const std::string& prefix) {
    auto s = Open(kFlagIndex, prefix);
    for (; s->it->Valid(); s->it->Next()) {
      const std::string key = s->it->key().ToString();
      const std::string where = "flag_index " + Printable(key.substr(children_.size()));
      v1::Flag flag;
      absl::StatusOr<AccountRef> ref = absl::InvalidArgumentError("");
      if (flag.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
        ref = ParseAccountName(flag.account(), "account");
      }
      if (!ref.ok() || ref->council != council_) {
        Problem("", where, "unreadable index entry");
        continue;
      }
      std::string value;
      bool found;
      if (absl::Status st =
              Get(kFlags,
                  keys::Flag(council_, ref->account, v1::FlagKind_Name(flag.kind()), flag.subject(),
                             static_cast<uint32_t>(flag.occurrence())),
                  &value, &found);
          !st.ok()) {
        return st;
      }
      v1::Flag stored;
      absl::StatusOr<std::vector<std::string>> index =
          found && stored.ParseFromString(value)
              ? FlagIndexKeys(council_, ref->account, stored)
              : absl::StatusOr<std::vector<std::string>>(absl::NotFoundError("no flag"));
      if (!index.ok() || std::find(index->begin(), index->end(), key) == index->end()) {
        Problem(ref->account, where, "an entry for a flag not stored so");
      }
    }
    return FromRocks(s->it->status(), "scanning flag_index");
  }

  Store::Impl* impl_;
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_;
  const int max_problems_;
  Store::IntegrityReport* report_;

  std::string council_, children_;
  domain::Policy policy_;
  absl::flat_hash_set<std::string> accounts_, with_ledger_, index_, reversal_keys_;
  absl::flat_hash_map<std::string, std::string> refs_;  // source \0 ref -> account
  std::vector<ExpectedId> ids_;
  int64_t txns_ = 0, suspense_txns_ = 0, totals_compared_ = 0, marks_compared_ = 0;

  // The account being read.
  std::string account_;
  absl::flat_hash_map<std::string, Placed> placed_;  // source \0 external_id
  std::vector<ReversalSeen> reversals_;
  std::map<std::pair<char, int32_t>, domain::Totals> rows_;  // (level, bucket days)
  std::map<std::string, std::string> marks_;
  domain::Totals records_;
  Date latest_ = Date::FromDays(INT32_MIN / 2);
};

}  // namespace

absl::StatusOr<Store::IntegrityReport> Store::CheckIntegrity(const std::string& council_id,
                                                             int max_problems) {
  IntegrityReport report;
  Checker checker(impl_.get(), max_problems, &report);
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db()->NewIterator(checker.read(), impl_->cf(kCouncils)));
  bool any = false;
  for (council_id.empty() ? it->SeekToFirst() : it->Seek(keys::Council(council_id)); it->Valid();
       it->Next()) {
    const std::string id = it->key().ToString();
    if (!council_id.empty() && id != council_id) break;
    any = true;
    storage::CouncilRecord record;
    if (absl::Status s = ParseRecord(View(it->value()), &record, "council"); !s.ok()) return s;
    if (absl::Status s = checker.Council(id, record.council()); !s.ok()) return s;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning councils");
  if (!council_id.empty() && !any) {
    return absl::NotFoundError(absl::StrFormat("council \"%s\" not found", council_id));
  }
  return report;
}

}  // namespace dpmon
