// Store::CheckIntegrity and the checks of accounts, references, the account
// index, statements, reversals and flags (integrity.h).
#include "storage/integrity.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/names.h"
#include "storage/account_index.h"
#include "storage/flag_index.h"
#include "storage/ledger_records.h"
#include "storage/totals_record.h"

namespace dpmon {

std::string IntegrityChecker::Printable(absl::string_view key) {
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

// Every key of `cf` that starts with `prefix`, in order.
std::unique_ptr<IntegrityChecker::Scan> IntegrityChecker::Open(Cf cf, const std::string& prefix) {
  auto s = std::make_unique<Scan>();
  s->upper = keys::PrefixEnd(prefix);
  s->upper_slice = rocksdb::Slice(s->upper);
  rocksdb::ReadOptions ro = read_;
  if (!s->upper.empty()) ro.iterate_upper_bound = &s->upper_slice;
  s->it.reset(db_->NewIterator(ro, impl_->cf(cf)));
  s->it->Seek(prefix);
  return s;
}

void IntegrityChecker::Problem(const std::string& account, std::string where, std::string what) {
  ++report_->problem_count;
  if (static_cast<int>(report_->problems.size()) >= max_problems_) return;
  report_->problems.push_back({council_, account, std::move(where), std::move(what)});
}

rocksdb::Iterator* IntegrityChecker::Cursor(Cf cf) {
  std::unique_ptr<rocksdb::Iterator>& it = cursors_[cf];
  if (it == nullptr) it.reset(db_->NewIterator(read_, impl_->cf(cf)));
  return it.get();
}

absl::Status IntegrityChecker::Get(Cf cf, const std::string& key, std::string* value, bool* found) {
  rocksdb::Status s = db_->Get(read_, impl_->cf(cf), key, value);
  *found = s.ok();
  if (s.IsNotFound()) return absl::OkStatus();
  return FromRocks(s, "integrity check read");
}

absl::Status IntegrityChecker::Council(const std::string& council, const v1::Council& record) {
  council_ = council;
  children_ = keys::CouncilChildren(council);
  policy_ = PolicyFromProto(record.policy());
  ++report_->councils;
  for (auto step :
       {&IntegrityChecker::Accounts, &IntegrityChecker::AccountIndex, &IntegrityChecker::Refs,
        &IntegrityChecker::Ledger, &IntegrityChecker::Suspense, &IntegrityChecker::TxnIdCount,
        &IntegrityChecker::Statements, &IntegrityChecker::Reversals, &IntegrityChecker::Flags}) {
    if (absl::Status s = (this->*step)(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// ---- accounts, their references and their index entries ----
absl::Status IntegrityChecker::Accounts() {
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
    if (absl::StatusOr<AccountRef> named = ParseAccountName(record.account().name(), "name");
        !named.ok() || named->council != council_ || named->account != id) {
      Problem(id, "accounts", absl::StrCat("the record names ", record.account().name()));
    }
    for (const v1::ExternalRef& r : record.account().external_refs()) {
      refs_[absl::StrCat(r.source(), std::string(1, '\0'), r.ref())] = id;
    }
    for (auto& [k, v] : AccountIndexEntries(council_, id, record.account())) {
      index_.emplace(std::move(k), std::move(v));
    }
  }
  return absl::OkStatus();
}

absl::Status IntegrityChecker::AccountIndex() {
  auto s = Open(kAccountIndex, children_);
  for (; s->it->Valid(); s->it->Next()) {
    const std::string key = s->it->key().ToString();
    auto it = index_.find(key);
    if (it == index_.end()) {
      Problem("", "account_index " + Printable(key), "an entry that no account record gives");
      continue;
    }
    if (it->second != View(s->it->value())) {
      Problem("", "account_index " + Printable(key), "holds a name the account record does not");
    }
    index_.erase(it);
  }
  for (const auto& [key, unused] : index_) {
    Problem("", "account_index " + Printable(key), "missing: an account record gives it");
  }
  index_.clear();
  return FromRocks(s->it->status(), "scanning account_index");
}

absl::Status IntegrityChecker::Refs() {
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

absl::Status IntegrityChecker::Statements() {
  auto s = Open(kStatements, children_);
  for (; s->it->Valid(); s->it->Next()) {
    ++report_->statements;
    std::optional<keys::StatementKeyParts> parts =
        keys::DecodeStatement(View(s->it->key()), council_);
    const std::string account = parts ? parts->account : "";
    storage::StatementRecord rec;
    const std::string where =
        absl::StrCat("statements ", parts ? parts->date.ToString()
                                          : Printable(View(s->it->key()).substr(children_.size())));
    if (!parts ||
        !rec.ParseFromArray(s->it->value().data(), static_cast<int>(s->it->value().size()))) {
      Problem(account, where, "unreadable statement");
    } else if (!accounts_.contains(account)) {
      Problem(account, where, "a statement of an account that does not exist");
    } else if (rec.input().date() != parts->date.ToString()) {
      Problem(account, where, absl::StrCat("the record is dated ", rec.input().date()));
    }
  }
  return FromRocks(s->it->status(), "scanning statements");
}

absl::Status IntegrityChecker::Reversals() {
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
absl::Status IntegrityChecker::Flags() {
  std::map<std::string, int64_t> counts;
  auto s = Open(kFlags, children_);
  for (; s->it->Valid(); s->it->Next()) {
    ++report_->flags;
    absl::string_view rest = View(s->it->key()).substr(children_.size());
    const std::string account = keys::DecodeFlagAccount(View(s->it->key()), council_).value_or("");
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
        continue;
      }
      // The state it holds (a copy of the flag, as written before schema 6,
      // should have been rewritten by the upgrade to 8).
      absl::StatusOr<v1::FlagState> state = FlagIndexEntryState(value);
      if (!state.ok()) {
        Problem(account, where, "the flag index entry is not a state");
      } else if (*state != flag.state()) {
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
absl::Status IntegrityChecker::FlagIndexEntries(const std::string& prefix) {
  auto s = Open(kFlagIndex, prefix);
  for (; s->it->Valid(); s->it->Next()) {
    const std::string key = s->it->key().ToString();
    const std::string where = "flag_index " + Printable(key.substr(children_.size()));
    std::optional<keys::FlagIndexKeyParts> parts = keys::DecodeFlagIndex(key, council_);
    absl::StatusOr<v1::FlagState> state = FlagIndexEntryState(View(s->it->value()));
    if (!parts || !state.ok()) {
      Problem("", where, "unreadable index entry");
      continue;
    }
    std::string value;
    bool found;
    if (absl::Status st = Get(
            kFlags,
            keys::Flag(council_, parts->account, parts->kind, parts->subject, parts->occurrence),
            &value, &found);
        !st.ok()) {
      return st;
    }
    v1::Flag stored;
    absl::StatusOr<std::vector<std::string>> index =
        found && stored.ParseFromString(value)
            ? FlagIndexKeys(council_, parts->account, stored)
            : absl::StatusOr<std::vector<std::string>>(absl::NotFoundError("no flag"));
    if (!index.ok() || std::find(index->begin(), index->end(), key) == index->end() ||
        *state != stored.state()) {
      Problem(parts->account, where, "an entry for a flag not stored so");
    }
  }
  return FromRocks(s->it->status(), "scanning flag_index");
}

absl::StatusOr<Store::IntegrityReport> Store::CheckIntegrity(const std::string& council_id,
                                                             int max_problems) {
  IntegrityReport report;
  IntegrityChecker checker(impl_.get(), max_problems, &report);
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
