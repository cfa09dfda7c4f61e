// Store::FactsReader: what the monitoring rules read of an account as of a
// date (domain::LedgerFacts), from one snapshot, from the totals rows,
// marks and statements, never from the account's whole history
// (docs/monitoring.md).
#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/forward_seek_iterator.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace dpmon {
namespace {

class FactsReaderImpl : public Store::FactsReader {
 public:
  FactsReaderImpl(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                  const ReversedMarkers& reversed)
      : db_(db), cfs_(cfs), reversed_(reversed), snapshot_(db->GetSnapshot()) {
    ro_.snapshot = snapshot_;
    // One iterator a region of the totals (keys are level and period
    // first, then account): as the accounts are read in order, each walks
    // its region forwards, so that RocksDB's readahead sees sequential reads.
    // Each wrapped so that a seek to where it already stands (the next
    // account's rows follow this one's) steps there instead.
    auto forward = [&](Cf cf) { return new ForwardSeekIterator(db_->NewIterator(ro_, cfs_[cf])); };
    years_.reset(forward(kTotals));
    months_.reset(forward(kTotals));
    days_.reset(forward(kTotals));
    flags_.reset(forward(kFlags));
    marks_.reset(forward(kMarks));
    statements_.reset(forward(kStatements));
    statements_after_.reset(forward(kStatements));
  }
  ~FactsReaderImpl() override {
    for (Region& r : regions_) r.it.reset();
    years_.reset();
    months_.reset();
    days_.reset();
    flags_.reset();
    marks_.reset();
    statements_.reset();
    statements_after_.reset();
    db_->ReleaseSnapshot(snapshot_);
  }

  absl::Status Read(const std::string& council, const std::string& account, Date as_of,
                    Date window_start, Date lookback_start, domain::LedgerFacts* out) override {
    *out = domain::LedgerFacts();
    // Balance as of D: the years before D's year, the months of its year
    // before its month, and of its month whichever is fewer rows: the days
    // up to D, or the month's row less the days after D. Kept: the window,
    // the latest statement and the latest day usually need them too.
    const Date year = as_of.FirstOfYear(), month = as_of.FirstOfMonth();
    const Date after = as_of.AddDays(1), next_month = AddMonths(month, 1);
    const bool month_less_after = next_month - after < after - month;
    years_rows_.clear();
    months_rows_.clear();
    days_rows_.clear();
    domain::Totals before_year;
    if (absl::Status s = SumRows(years_.get(), council, account, keys::Level::kYear,
                                 Date::FromDays(INT32_MIN / 2), year, &before_year, &years_rows_);
        !s.ok()) {
      return s;
    }
    domain::Totals through = before_year;
    if (absl::Status s = SumRows(months_.get(), council, account, keys::Level::kMonth, year,
                                 month_less_after ? next_month : month, &through, &months_rows_);
        !s.ok()) {
      return s;
    }
    // With month_less_after, days_rows_ holds the days after D (subtracted)
    // and last_day the latest day up to D; else the days up to D.
    std::optional<Date> last_day;
    if (!month_less_after) {
      if (absl::Status s = SumRows(days_.get(), council, account, keys::Level::kDay, month, after,
                                   &through, &days_rows_);
          !s.ok()) {
        return s;
      }
      if (!days_rows_.empty()) last_day = days_rows_.back().first;
    } else if (!months_rows_.empty() && months_rows_.back().first == month) {
      months_rows_.pop_back();  // D's month (summed); months_rows_: the months before it
      if (absl::Status s = LastDayAndDaysAfter(council, account, as_of, next_month, &last_day);
          !s.ok()) {
        return s;
      }
      for (const auto& [d, row] : days_rows_) {
        if (absl::Status s = through.Subtract(row); !s.ok()) return s;
      }
    }
    if (absl::Status s = through.NetPence(&out->balance_pence); !s.ok()) return s;
    // What the rows of the account held through an earlier day: from the
    // rows just read when it is in D's year, else read again.
    auto through_earlier = [&](Date d, domain::Totals* at) -> absl::Status {
      if (d >= month) {  // D's month: the balance less the days after d (up to D)
        *at = through;
        if (month_less_after && d < as_of && last_day && *last_day > d) {
          domain::Totals between;  // the days in (d, D], not read yet
          if (absl::Status s = SumRows(regions(), council, account, keys::Level::kDay, d.AddDays(1),
                                       after, &between);
              !s.ok()) {
            return s;
          }
          return at->Subtract(between);
        }
        for (const auto& [day, row] : days_rows_) {
          if (day <= d || day > as_of) continue;
          if (absl::Status s = at->Subtract(row); !s.ok()) return s;
        }
        return absl::OkStatus();
      }
      // An earlier year: its year rows are among those just read.
      if (d < year) return SumThroughWith(regions(), council, account, d, at, &years_rows_);
      return ThroughEarlierInYear(council, account, d, before_year, at);
    };
    // The window [window_start, D]: the balance less what came before it.
    if (window_start <= as_of) {
      domain::Totals before;
      if (absl::Status s = through_earlier(window_start.AddDays(-1), &before); !s.ok()) return s;
      out->window = through;
      if (absl::Status s = out->window.Subtract(before); !s.ok()) return s;
      // Its first days: the rows of [window_start, + kWindowLeavingDays)
      // (in window_start's month, where the read above left that month's
      // iterator, and the next if they run into it), then the first day
      // after those in the same months (else the first of the month after
      // them: no later than it, as asked).
      const Date span_end =
          std::min(window_start.AddDays(domain::kWindowLeavingDays), as_of.AddDays(1));
      bool found = false;
      Date from = window_start;
      for (bool first = true; !found && from <= as_of && (first || from < span_end);
           first = false) {
        const std::string prefix =
            keys::TotalsPrefix(council, account, keys::Level::kDay, from.FirstOfMonth());
        rocksdb::Iterator* it = RegionIterator(keys::Level::kDay, from.FirstOfMonth());
        for (it->Seek(keys::Totals(council, account, keys::Level::kDay, from));
             it->Valid() && it->key().starts_with(prefix); it->Next()) {
          std::optional<Date> d = keys::DecodeDate(View(it->key()).substr(prefix.size()));
          if (!d) return absl::DataLossError("unreadable totals key");
          if (!(*d < span_end)) {
            if (*d <= as_of) out->later_in_window = d;
            found = true;
            break;
          }
          out->window_leaving.emplace_back(*d, domain::Totals());
          if (absl::Status s =
                  DecodeTotalsRow(View(it->value()), &out->window_leaving.back().second);
              !s.ok()) {
            return s;
          }
        }
        if (absl::Status s = FromRocks(it->status(), "reading totals"); !s.ok()) return s;
        from = AddMonths(from.FirstOfMonth(), 1);
      }
      if (!found && from <= as_of) out->later_in_window = from;
    }
    // The first day after D with transactions: of D's month (the days read
    // above, or the next day row), else of the first later month of D's
    // year with a row (its first day), else of the first later year.
    if (month_less_after) {
      if (!days_rows_.empty()) out->next_entry = days_rows_.front().first;
    } else if (after < next_month) {
      absl::StatusOr<std::optional<Date>> d =
          FirstBucket(days_.get(), council, account, keys::Level::kDay, after);
      if (!d.ok()) return d.status();
      out->next_entry = *d;
    }
    if (!out->next_entry && next_month.FirstOfYear() == year) {
      absl::StatusOr<std::optional<Date>> m =
          FirstBucket(months_.get(), council, account, keys::Level::kMonth, next_month);
      if (!m.ok()) return m.status();
      out->next_entry = *m;
    }
    if (!out->next_entry) {
      absl::StatusOr<std::optional<Date>> y =
          FirstBucket(years_.get(), council, account, keys::Level::kYear, AddMonths(year, 12));
      if (!y.ok()) return y.status();
      out->next_entry = *y;
    }
    // Latest council payment on or before as_of.
    {
      const std::string prefix = keys::MarkPrefix(council, account, keys::kMarkCouncilPayment);
      marks_->SeekForPrev(
          keys::Mark(council, account, keys::kMarkCouncilPayment, as_of, UINT64_MAX));
      if (marks_->Valid() && marks_->key().starts_with(prefix)) {
        out->last_council_payment = keys::DecodeDate(View(marks_->key()).substr(prefix.size(), 4));
      }
      if (absl::Status s = FromRocks(marks_->status(), "reading marks"); !s.ok()) return s;
    }
    // Latest day with transactions on or before as_of: in D's month if it
    // has any; else in the latest earlier month (of D's year, or of the
    // latest earlier year) that has a row.
    if (last_day) {
      out->last_transaction = last_day;
    } else {
      std::optional<Date> in_month;
      if (!months_rows_.empty()) {
        in_month = months_rows_.back().first;
      } else if (!years_rows_.empty()) {
        absl::StatusOr<std::optional<Date>> m =
            LastBucket(council, account, keys::Level::kMonth, years_rows_.back().first);
        if (!m.ok()) return m.status();
        in_month = *m;
      }
      if (in_month) {
        absl::StatusOr<std::optional<Date>> d =
            LastBucket(council, account, keys::Level::kDay, *in_month);
        if (!d.ok()) return d.status();
        out->last_transaction = *d;
      }
    }
    // Latest statement on or before as_of, and the ledger on its date.
    {
      const std::string prefix = keys::AccountParent(council, account);
      statements_->SeekForPrev(keys::Statement(council, account, as_of));
      if (statements_->Valid() && statements_->key().starts_with(prefix)) {
        storage::StatementRecord rec;
        if (absl::Status s = ParseRecord(View(statements_->value()), &rec, "statements"); !s.ok()) {
          return s;
        }
        std::optional<Date> date = keys::DecodeDate(View(statements_->key()).substr(prefix.size()));
        if (!date) return absl::DataLossError("unreadable statement key");
        domain::LedgerFacts::Statement st;
        st.date = *date;
        st.closing_balance_pence = rec.input().closing_balance_pence();
        domain::Totals at;
        if (absl::Status s = through_earlier(*date, &at); !s.ok()) return s;
        if (absl::Status s = at.NetPence(&st.ledger_balance_pence); !s.ok()) return s;
        out->last_statement = st;
      }
      if (absl::Status s = FromRocks(statements_->status(), "reading statements"); !s.ok()) {
        return s;
      }
      // The first statement after D: with an iterator of its own that only
      // ever moves forwards (from the one above, Next would turn RocksDB's
      // iterator round: a seek every account).
      statements_after_->Seek(keys::Statement(council, account, as_of.AddDays(1)));
      if (statements_after_->Valid() && statements_after_->key().starts_with(prefix)) {
        std::optional<Date> date =
            keys::DecodeDate(View(statements_after_->key()).substr(prefix.size()));
        if (!date) return absl::DataLossError("unreadable statement key");
        if (!out->next_entry || *date < *out->next_entry) out->next_entry = date;
      }
      if (absl::Status s = FromRocks(statements_after_->status(), "reading statements"); !s.ok()) {
        return s;
      }
    }
    // Watched debits in the lookback.
    {
      const std::string prefix = keys::MarkPrefix(council, account, keys::kMarkWatched);
      const std::string upper = keys::Mark(council, account, keys::kMarkWatched, as_of, UINT64_MAX);
      storage::WatchRecord w;
      for (marks_->Seek(keys::Mark(council, account, keys::kMarkWatched, lookback_start, 0));
           marks_->Valid() && marks_->key().compare(upper) <= 0; marks_->Next()) {
        if (absl::Status s = ParseRecord(View(marks_->value()), &w, "marks"); !s.ok()) return s;
        domain::WatchedDebit d;
        std::optional<Date> date = keys::DecodeDate(View(marks_->key()).substr(prefix.size(), 4));
        if (!date) return absl::DataLossError("unreadable mark key");
        d.booking_date = *date;
        d.source = w.source();
        d.external_id = w.external_id();
        d.amount_pence = w.amount_pence();
        d.mcc = w.mcc();
        d.category = ToDomain(w.category());
        if (absl::Status s =
                Reversed(council, account, d.source, d.external_id, as_of, &d.reversed);
            !s.ok()) {
          return s;
        }
        out->watched_debits.push_back(std::move(d));
      }
      if (absl::Status s = FromRocks(marks_->status(), "reading marks"); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ReadFlags(const std::string& council, const std::string& account,
                         std::vector<v1::Flag>* out) override {
    const std::string prefix = keys::AccountParent(council, account);
    size_t n = 0;
    for (flags_->Seek(prefix); flags_->Valid() && flags_->key().starts_with(prefix);
         flags_->Next(), ++n) {
      if (n == out->size()) out->emplace_back();
      if (absl::Status s = ParseRecord(View(flags_->value()), &(*out)[n], "flags"); !s.ok()) {
        out->clear();
        return s;
      }
    }
    out->resize(n);
    return FromRocks(flags_->status(), "reading flags");
  }

 private:
  // D's month as month_less_after reads it: the latest day with a row up
  // to D (its key only), and the rows of the days after D into days_rows_.
  absl::Status LastDayAndDaysAfter(const std::string& council, const std::string& account,
                                   Date as_of, Date next_month, std::optional<Date>* last_day) {
    const Date month = as_of.FirstOfMonth();
    const std::string prefix = keys::TotalsPrefix(council, account, keys::Level::kDay, month);
    for (days_->Seek(keys::Totals(council, account, keys::Level::kDay, month));
         days_->Valid() && days_->key().starts_with(prefix); days_->Next()) {
      std::optional<Date> d = keys::DecodeDate(View(days_->key()).substr(prefix.size()));
      if (!d) return absl::DataLossError("unreadable totals key");
      if (!(*d < next_month)) break;
      if (*d <= as_of) {
        *last_day = d;
        continue;
      }
      days_rows_.emplace_back(*d, domain::Totals());
      if (absl::Status s = DecodeTotalsRow(View(days_->value()), &days_rows_.back().second);
          !s.ok()) {
        return s;
      }
    }
    return FromRocks(days_->status(), "reading totals");
  }

  // Through day `d` of D's year before D's month, from the year's rows
  // before it and the month rows just read: the months before d's, and of
  // d's month its row (d its last day), nothing (no row), or whichever is
  // fewer rows: its days up to d, or its row less the days after d.
  absl::Status ThroughEarlierInYear(const std::string& council, const std::string& account, Date d,
                                    const domain::Totals& before_year, domain::Totals* at) {
    *at = before_year;
    const Date d_month = d.FirstOfMonth(), next = AddMonths(d_month, 1), after = d.AddDays(1);
    const domain::Totals* month_row = nullptr;
    for (const auto& [m, row] : months_rows_) {
      if (m < d_month) {
        if (absl::Status s = at->Add(row); !s.ok()) return s;
      } else if (m == d_month) {
        month_row = &row;
      }
    }
    if (month_row == nullptr) return absl::OkStatus();
    if (after == next) return at->Add(*month_row);
    if (next - after < after - d_month) {
      domain::Totals later;
      if (absl::Status s =
              SumRows(regions(), council, account, keys::Level::kDay, after, next, &later);
          !s.ok()) {
        return s;
      }
      if (absl::Status s = at->Add(*month_row); !s.ok()) return s;
      return at->Subtract(later);
    }
    return SumRows(regions(), council, account, keys::Level::kDay, d_month, after, at);
  }

  // The first bucket on or after `from` of an account's rows at `level` in
  // `from`'s period, read with `it`.
  static absl::StatusOr<std::optional<Date>> FirstBucket(rocksdb::Iterator* it,
                                                         const std::string& council,
                                                         const std::string& account,
                                                         keys::Level level, Date from) {
    const std::string prefix =
        keys::TotalsPrefix(council, account, level, keys::TotalsPeriod(level, from));
    it->Seek(keys::Totals(council, account, level, from));
    return BucketAt(it, prefix);
  }

  // The bucket of the row `it` stands on if it has `prefix`, else nullopt.
  static absl::StatusOr<std::optional<Date>> BucketAt(rocksdb::Iterator* it,
                                                      const std::string& prefix) {
    std::optional<Date> out;
    if (it->Valid() && it->key().starts_with(prefix)) {
      out = keys::DecodeDate(View(it->key()).substr(prefix.size()));
      if (!out) return absl::DataLossError("unreadable totals key");
    }
    if (absl::Status s = FromRocks(it->status(), "reading totals"); !s.ok()) return s;
    return out;
  }

  // The latest bucket of an account's rows at `level` in one period.
  absl::StatusOr<std::optional<Date>> LastBucket(const std::string& council,
                                                 const std::string& account, keys::Level level,
                                                 Date period) {
    const std::string prefix = keys::TotalsPrefix(council, account, level, period);
    const Date last =
        level == keys::Level::kDay ? AddMonths(period, 1).AddDays(-1) : AddMonths(period, 11);
    rocksdb::Iterator* it = RegionIterator(level, period);
    it->SeekForPrev(keys::Totals(council, account, level, last));
    return BucketAt(it, prefix);
  }

  // Whether a reversal of (source, external_id) in the same account is
  // booked on or before as_of.
  absl::Status Reversed(const std::string& council, const std::string& account,
                        const std::string& source, const std::string& external_id, Date as_of,
                        bool* reversed) {
    *reversed = false;
    // Most watched debits were never reversed: no read for those.
    const std::string marker = keys::ReversedMarker(council, source, external_id);
    if (!reversed_.MaybeContains(marker)) return absl::OkStatus();
    std::string unused;
    rocksdb::Status s = db_->Get(ro_, cfs_[kReversals], marker, &unused);
    if (s.IsNotFound()) return absl::OkStatus();
    if (!s.ok()) return FromRocks(s, "reading reversals");
    const std::string prefix = keys::ReversalPrefix(council, source, external_id);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro_, cfs_[kReversals]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string rev_id(View(it->key()).substr(prefix.size()));
      std::string value;
      rocksdb::Status g =
          db_->Get(ro_, cfs_[kTxnIds], keys::TxnId(council, source, rev_id), &value);
      if (g.IsNotFound()) continue;
      if (!g.ok()) return FromRocks(g, "reading txn_ids");
      storage::TxnIndexEntry entry;
      if (absl::Status p = ParseRecord(value, &entry, "txn_ids"); !p.ok()) return p;
      if (entry.in_suspense()) continue;
      std::optional<keys::TxnKeyParts> parts = keys::DecodeTxn(entry.location_key());
      if (!parts) return absl::DataLossError("unreadable transaction key in txn_ids");
      if (parts->account == account && parts->date <= as_of) {
        *reversed = true;
        break;
      }
    }
    return FromRocks(it->status(), "reading reversals");
  }

  // The iterator for one region of totals rows (a level and a period) that
  // the reads beyond D's own year, month and days touch: the window's
  // start, the latest statement's date, the latest earlier transaction. For
  // one account they mostly lie in the same regions as for the one before
  // it, so that each region's iterator moves forwards in its blocks instead
  // of one iterator seeking back and forth between regions. The least
  // recently used gives way.
  rocksdb::Iterator* RegionIterator(keys::Level level, Date period) {
    Region* oldest = &regions_[0];
    for (Region& r : regions_) {
      if (r.it != nullptr && r.level == level && r.period == period) {
        r.used = ++clock_;
        return r.it.get();
      }
      if (r.used < oldest->used) oldest = &r;
    }
    oldest->it.reset(new ForwardSeekIterator(db_->NewIterator(ro_, cfs_[kTotals])));
    oldest->level = level;
    oldest->period = period;
    oldest->used = ++clock_;
    return oldest->it.get();
  }
  // RegionIterator as SumRows and SumThroughWith take it.
  struct Regions {
    FactsReaderImpl* reader;
    rocksdb::Iterator* operator()(keys::Level level, Date period) const {
      return reader->RegionIterator(level, period);
    }
  };
  const Regions& regions() const { return regions_of_; }

  rocksdb::DB* db_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& cfs_;
  const ReversedMarkers& reversed_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions ro_;
  std::unique_ptr<rocksdb::Iterator> years_, months_, days_;  // D's own (Read)
  struct Region {
    keys::Level level = keys::Level::kDay;
    Date period;
    uint64_t used = 0;
    std::unique_ptr<rocksdb::Iterator> it;
  };
  std::array<Region, 6> regions_;
  uint64_t clock_ = 0;
  const Regions regions_of_{this};
  // The rows the running Read read (kept between accounts: no allocation).
  std::vector<std::pair<Date, domain::Totals>> years_rows_, months_rows_, days_rows_;
  std::unique_ptr<rocksdb::Iterator> flags_;
  std::unique_ptr<rocksdb::Iterator> marks_;
  std::unique_ptr<rocksdb::Iterator> statements_;
  std::unique_ptr<rocksdb::Iterator> statements_after_;
};

}  // namespace

uint64_t Store::WriteClock() const { return impl_->write_clock().Now(); }

uint64_t Store::AccountWrittenAt(const std::string& council_id,
                                 const std::string& account_id) const {
  return impl_->write_clock().LastWritten(keys::Account(council_id, account_id));
}

void Store::KeepEvaluatorMemory(std::string memory, uint64_t write_clock) {
  impl_->KeepEvaluatorMemory(std::move(memory), write_clock);
}

std::optional<std::string> Store::TakeEvaluatorMemory() { return impl_->TakeEvaluatorMemory(); }

std::unique_ptr<Store::FactsReader> Store::NewFactsReader() {
  return std::make_unique<FactsReaderImpl>(impl_->db(), impl_->cfs(), impl_->reversed());
}

}  // namespace dpmon
