// Store: the ledger's reads, straight from RocksDB (committed state only):
// transactions, statements and suspense a page at a time, and an account's
// totals through a date or over a range.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/limits.h"
#include "storage/group_commit.h"
#include "storage/ledger_writer.h"
#include "storage/store.h"

namespace dpmon {

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
  absl::Status s = ScanRange<storage::TransactionRecord, v1::Transaction>(
      impl_->db(), impl_->cf(kTxns), lower, upper, after_key, limit, &page,
      [&](const storage::TransactionRecord& r, absl::string_view) { return TransactionOf(r); });
  if (!s.ok()) return s;
  return page;
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
  absl::Status s = ScanRange<storage::StatementRecord, v1::Statement>(
      impl_->db(), impl_->cf(kStatements), lower, upper, after_key, limit, &page,
      [&](const storage::StatementRecord& r, absl::string_view) {
        v1::Statement st;
        *st.mutable_input() = r.input();
        st.set_sequence(r.sequence());
        return st;
      });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<Page<v1::SuspenseItem>> Store::ListSuspense(const std::string& council_id,
                                                           const std::string& after_key, int limit,
                                                           std::optional<SuspenseAsOf> as_of) {
  const std::string through = as_of ? as_of->date.ToString() : std::string();
  // Waiting then: come by the end, dated by the day (dates are YYYY-MM-DD).
  auto waited = [&](int64_t received_micros, const std::string& date) {
    return !as_of || (received_micros < as_of->end_micros && date <= through);
  };
  Page<v1::SuspenseItem> page;
  int examined = 0;
  std::string last;
  // Two ranges, in key order: what has been given to an account since the
  // end (only as of a time), then what waits now.
  const std::string kept = keys::SuspenseAttachedPrefix(council_id);
  const std::string waiting = keys::CouncilChildren(council_id);
  std::string kept_from = kept;
  if (as_of) keys::AppendU64(&kept_from, static_cast<uint64_t>(as_of->end_micros));
  struct Range {
    std::string lower, upper;
    bool attached;
  };
  std::vector<Range> ranges;
  if (as_of) ranges.push_back({kept_from, keys::PrefixEnd(kept), true});
  ranges.push_back({waiting, keys::PrefixEnd(waiting), false});
  for (const Range& range : ranges) {
    if (!after_key.empty() && after_key >= range.upper) continue;  // A later range's token.
    rocksdb::Slice upper_slice(range.upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro, impl_->cf(kSuspense)));
    if (!after_key.empty() && after_key >= range.lower) {
      it->Seek(after_key);
      if (it->Valid() && it->key() == after_key) it->Next();
    } else {
      it->Seek(range.lower);
    }
    for (; it->Valid(); it->Next()) {
      if (static_cast<int>(page.items.size()) == limit || examined == limits::kSuspenseScanMax) {
        page.next_key = last;
        return page;
      }
      ++examined;
      absl::string_view key = View(it->key());
      last = std::string(key);
      v1::SuspenseItem item;
      int64_t received = 0;
      if (range.attached) {
        storage::AttachedSuspense a;
        if (absl::Status s = ParseRecord(View(it->value()), &a, "suspense"); !s.ok()) return s;
        if (a.has_transaction()) {
          *item.mutable_transaction() = a.transaction().input();
          item.set_sequence(a.transaction().sequence());
          received = a.transaction().received_micros();
        } else {
          *item.mutable_statement() = a.statement().input();
          item.set_sequence(a.statement().sequence());
          received = a.statement().received_micros();
        }
        item.set_attached_account(a.account());
        item.set_attach_time(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                              absl::FromUnixMicros(a.attached_micros()),
                                              absl::UTCTimeZone()));
        const bool t = item.has_transaction();
        item.set_source(t ? item.transaction().source() : item.statement().source());
        item.set_account_ref(t ? item.transaction().account_ref() : item.statement().account_ref());
      } else {
        // The key's kind says which record it is.
        std::optional<keys::SuspenseKeyParts> parts = keys::DecodeSuspense(key, council_id);
        if (!parts) return absl::DataLossError("unreadable suspense key");
        item.set_source(std::move(parts->source));
        item.set_account_ref(std::move(parts->ref));
        if (parts->kind == 'T') {
          storage::TransactionRecord r;
          if (absl::Status s = ParseRecord(View(it->value()), &r, "suspense"); !s.ok()) return s;
          *item.mutable_transaction() = r.input();
          item.set_sequence(r.sequence());
          received = r.received_micros();
        } else {
          storage::StatementRecord r;
          if (absl::Status s = ParseRecord(View(it->value()), &r, "suspense"); !s.ok()) return s;
          *item.mutable_statement() = r.input();
          item.set_sequence(r.sequence());
          received = r.received_micros();
        }
      }
      const std::string& date =
          item.has_transaction() ? item.transaction().booking_date() : item.statement().date();
      if (!waited(received, date)) continue;
      page.items.push_back(std::move(item));
    }
    if (absl::Status s = FromRocks(it->status(), "listing suspense"); !s.ok()) return s;
  }
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

}  // namespace dpmon
