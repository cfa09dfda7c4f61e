// Store: the ledger's reads, straight from RocksDB (committed state only):
// transactions, statements and suspense a page at a time, and an account's
// totals through a date or over a range.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
                                                           std::optional<Date> dated_through) {
  const std::string through = dated_through ? dated_through->ToString() : std::string();
  int examined = 0;
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
    if (static_cast<int>(page.items.size()) == limit || examined == limits::kSuspenseScanMax) {
      page.next_key = last;
      break;
    }
    ++examined;
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
    const std::string& date =
        item.has_transaction() ? item.transaction().booking_date() : item.statement().date();
    if (!through.empty() && date > through) continue;  // Dates are YYYY-MM-DD.
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

}  // namespace dpmon
