#include "storage/keys.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dpmon::keys {
namespace {
constexpr char kSep = '\0';

std::string Join(std::initializer_list<absl::string_view> parts) {
  std::string out;
  size_t size = parts.size() + 12;  // separators, and room for a date and sequence after
  for (absl::string_view p : parts) size += p.size();
  out.reserve(size);
  bool first = true;
  for (absl::string_view p : parts) {
    if (!first) out.push_back(kSep);
    out.append(p.data(), p.size());
    first = false;
  }
  return out;
}
}  // namespace

void AppendDate(std::string* key, Date date) {
  uint32_t v = static_cast<uint32_t>(date.days()) ^ 0x80000000u;
  for (int shift = 24; shift >= 0; shift -= 8)
    key->push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendU64(std::string* key, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    key->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::optional<Date> DecodeDate(absl::string_view b) {
  if (b.size() != 4) return std::nullopt;
  uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return Date::FromDays(static_cast<int32_t>(v ^ 0x80000000u));
}

std::optional<uint64_t> DecodeU64(absl::string_view b) {
  if (b.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string Council(absl::string_view council) { return std::string(council); }

void AppendU32(std::string* key, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    key->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::optional<uint32_t> DecodeU32(absl::string_view b) {
  if (b.size() != 4) return std::nullopt;
  uint32_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string MarkPrefix(absl::string_view council, absl::string_view account, char kind) {
  std::string k = AccountParent(council, account);
  k.push_back(kind);
  return k;
}

std::string Mark(absl::string_view council, absl::string_view account, char kind, Date date,
                 uint64_t seq) {
  std::string k = MarkPrefix(council, account, kind);
  AppendDate(&k, date);
  AppendU64(&k, seq);
  return k;
}

std::string FlagSubjectPrefix(absl::string_view council, absl::string_view account,
                              absl::string_view kind, absl::string_view subject) {
  return Join({council, account, kind, subject, ""});
}

std::string Flag(absl::string_view council, absl::string_view account, absl::string_view kind,
                 absl::string_view subject, uint32_t occurrence) {
  std::string k = FlagSubjectPrefix(council, account, kind, subject);
  AppendU32(&k, occurrence);
  return k;
}

std::string FlagIndexTail(int severity, Date raised_on, absl::string_view account,
                          absl::string_view kind, absl::string_view subject, uint32_t occurrence) {
  std::string k(1, static_cast<char>('0' + (3 - severity)));
  AppendDate(&k, raised_on);
  k += Join({account, kind, subject, ""});
  AppendU32(&k, occurrence);
  return k;
}

std::string FlagByGroupPrefix(absl::string_view council, char group) {
  return Join({council, absl::string_view("S", 1)}) + group;
}

std::string FlagByKindPrefix(absl::string_view council, absl::string_view kind, char group) {
  return absl::StrCat(Join({council, "K"}), kind, std::string(1, kSep), std::string(1, group));
}

std::string FlagCounts(absl::string_view council) { return Join({council, "C"}); }

std::string CouncilEvaluation(absl::string_view council) { return Join({council, "V"}); }

std::string CouncilChildren(absl::string_view council) {
  return absl::StrCat(council, std::string(1, kSep));
}

std::string Account(absl::string_view council, absl::string_view account) {
  return Join({council, account});
}

std::string AccountParent(absl::string_view council, absl::string_view account) {
  return Join({council, account, ""});
}

std::string Ref(absl::string_view council, absl::string_view source, absl::string_view ref) {
  return Join({council, source, ref});
}

std::string TxnId(absl::string_view council, absl::string_view source, absl::string_view ext_id) {
  return Join({council, source, ext_id});
}

std::string Txn(absl::string_view council, absl::string_view account, Date date, uint64_t seq) {
  std::string k = AccountParent(council, account);
  AppendDate(&k, date);
  AppendU64(&k, seq);
  return k;
}

std::string Statement(absl::string_view council, absl::string_view account, Date date) {
  std::string k = AccountParent(council, account);
  AppendDate(&k, date);
  return k;
}

std::string SuspensePrefix(absl::string_view council, absl::string_view source,
                           absl::string_view ref) {
  return Join({council, source, ref, ""});
}

std::string SuspenseTxn(absl::string_view council, absl::string_view source, absl::string_view ref,
                        uint64_t seq) {
  std::string k = SuspensePrefix(council, source, ref);
  k.push_back('T');
  AppendU64(&k, seq);
  return k;
}

std::string SuspenseStatement(absl::string_view council, absl::string_view source,
                              absl::string_view ref, Date date) {
  std::string k = SuspensePrefix(council, source, ref);
  k.push_back('S');
  AppendDate(&k, date);
  return k;
}

std::string SuspenseAttachedPrefix(absl::string_view council) {
  return absl::StrCat(std::string(1, '\x01'), council, std::string(1, kSep));
}

std::string SuspenseAttached(absl::string_view council, int64_t attached_micros,
                             absl::string_view suspense_key) {
  std::string k = SuspenseAttachedPrefix(council);
  AppendU64(&k, static_cast<uint64_t>(attached_micros));
  absl::StrAppend(&k, suspense_key);
  return k;
}

Date TotalsPeriod(Level level, Date bucket) {
  switch (level) {
    case Level::kDay:
      return bucket.FirstOfMonth();
    case Level::kMonth:
      return bucket.FirstOfYear();
    default:
      return Date::FromDays(0);
  }
}

namespace {
// council \0 level period account \0
void AppendTotalsPrefix(std::string* k, absl::string_view council, absl::string_view account,
                        Level level, Date period) {
  k->append(council.data(), council.size());
  k->push_back(kSep);
  k->push_back(static_cast<char>(level));
  AppendDate(k, period);
  k->append(account.data(), account.size());
  k->push_back(kSep);
}
}  // namespace

std::string TotalsPrefix(absl::string_view council, absl::string_view account, Level level,
                         Date period) {
  std::string k;
  k.reserve(council.size() + account.size() + 16);  // with room for the bucket date
  AppendTotalsPrefix(&k, council, account, level, period);
  return k;
}

std::string Totals(absl::string_view council, absl::string_view account, Level level, Date bucket) {
  std::string k;
  TotalsInto(&k, council, account, level, bucket);
  return k;
}

void TotalsInto(std::string* k, absl::string_view council, absl::string_view account, Level level,
                Date bucket) {
  k->clear();
  AppendTotalsPrefix(k, council, account, level, TotalsPeriod(level, bucket));
  AppendDate(k, bucket);
}

std::string ReversalPrefix(absl::string_view council, absl::string_view source,
                           absl::string_view original_ext_id) {
  return Join({council, source, original_ext_id, ""});
}

std::string Reversal(absl::string_view council, absl::string_view source,
                     absl::string_view original_ext_id, absl::string_view reversal_ext_id) {
  return Join({council, source, original_ext_id, reversal_ext_id});
}

std::string ReversedMarker(absl::string_view council, absl::string_view source,
                           absl::string_view original_ext_id) {
  std::string k = Join({council, source, original_ext_id});
  k.push_back(kReversedMarkerEnd);
  return k;
}

std::string Request(absl::string_view method, absl::string_view request_id) {
  return Join({method, request_id});
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // Empty: no upper bound.
}

std::optional<TxnKeyParts> DecodeTxn(absl::string_view key) {
  if (key.size() < 12) return std::nullopt;
  absl::string_view head = key.substr(0, key.size() - 12);
  size_t first = head.find(kSep);
  if (first == absl::string_view::npos || head.empty() || head.back() != kSep) return std::nullopt;
  TxnKeyParts parts;
  parts.council = std::string(head.substr(0, first));
  parts.account = std::string(head.substr(first + 1, head.size() - first - 2));
  std::optional<Date> date = DecodeDate(key.substr(key.size() - 12, 4));
  std::optional<uint64_t> seq = DecodeU64(key.substr(key.size() - 8));
  if (!date || !seq) return std::nullopt;
  parts.date = *date;
  parts.seq = *seq;
  return parts;
}

std::optional<TotalsKeyParts> DecodeTotals(absl::string_view key, absl::string_view council) {
  // council \0 level period(4) account \0 bucket(4)
  if (key.size() < council.size() + 12 || !absl::StartsWith(key, council) ||
      key[council.size()] != kSep) {
    return std::nullopt;
  }
  key.remove_prefix(council.size() + 1);
  TotalsKeyParts parts;
  const char level = key[0];
  if (level != 'Y' && level != 'M' && level != 'D') return std::nullopt;
  parts.level = static_cast<Level>(level);
  std::optional<Date> period = DecodeDate(key.substr(1, 4));
  absl::string_view rest = key.substr(5);
  if (!period || rest.size() < 6 || rest[rest.size() - 5] != kSep) return std::nullopt;
  std::optional<Date> bucket = DecodeDate(rest.substr(rest.size() - 4));
  if (!bucket) return std::nullopt;
  parts.period = *period;
  parts.account = std::string(rest.substr(0, rest.size() - 5));
  parts.bucket = *bucket;
  if (parts.account.empty() || TotalsPeriod(parts.level, parts.bucket) != parts.period) {
    return std::nullopt;
  }
  return parts;
}

std::optional<MarkKeyParts> DecodeMark(absl::string_view key, absl::string_view council) {
  // council \0 account \0 kind date(4) seq(8)
  if (key.size() < council.size() + 16 || !absl::StartsWith(key, council) ||
      key[council.size()] != kSep) {
    return std::nullopt;
  }
  key.remove_prefix(council.size() + 1);
  if (key.size() < 15 || key[key.size() - 14] != kSep) return std::nullopt;
  MarkKeyParts parts;
  parts.account = std::string(key.substr(0, key.size() - 14));
  parts.kind = key[key.size() - 13];
  std::optional<Date> date = DecodeDate(key.substr(key.size() - 12, 4));
  std::optional<uint64_t> seq = DecodeU64(key.substr(key.size() - 8));
  if (!date || !seq || parts.account.empty()) return std::nullopt;
  parts.date = *date;
  parts.seq = *seq;
  return parts;
}

namespace {
// `key` less "council \0", or nullopt if it does not start so.
std::optional<absl::string_view> InCouncil(absl::string_view key, absl::string_view council) {
  if (key.size() <= council.size() || !absl::StartsWith(key, council) ||
      key[council.size()] != kSep) {
    return std::nullopt;
  }
  return key.substr(council.size() + 1);
}
}  // namespace

std::optional<StatementKeyParts> DecodeStatement(absl::string_view key, absl::string_view council) {
  // council \0 account \0 date(4)
  std::optional<absl::string_view> rest = InCouncil(key, council);
  if (!rest || rest->size() < 6 || (*rest)[rest->size() - 5] != kSep) return std::nullopt;
  std::optional<Date> date = DecodeDate(rest->substr(rest->size() - 4));
  if (!date) return std::nullopt;
  return StatementKeyParts{std::string(rest->substr(0, rest->size() - 5)), *date};
}

std::optional<SuspenseKeyParts> DecodeSuspense(absl::string_view key, absl::string_view council) {
  // council \0 source \0 ref \0 kind ...
  std::optional<absl::string_view> rest = InCouncil(key, council);
  if (!rest) return std::nullopt;
  const size_t a = rest->find(kSep);
  const size_t b = a == absl::string_view::npos ? a : rest->find(kSep, a + 1);
  if (b == absl::string_view::npos || b + 1 >= rest->size()) return std::nullopt;
  const char kind = (*rest)[b + 1];
  if (kind != 'T' && kind != 'S') return std::nullopt;
  return SuspenseKeyParts{std::string(rest->substr(0, a)),
                          std::string(rest->substr(a + 1, b - a - 1)), kind};
}

std::optional<std::string> DecodeFlagAccount(absl::string_view key, absl::string_view council) {
  // council \0 account \0 kind \0 subject \0 occurrence(4)
  std::optional<absl::string_view> rest = InCouncil(key, council);
  if (!rest) return std::nullopt;
  const size_t sep = rest->find(kSep);
  if (sep == 0 || sep == absl::string_view::npos) return std::nullopt;
  return std::string(rest->substr(0, sep));
}

std::optional<FlagIndexKeyParts> DecodeFlagIndex(absl::string_view key, absl::string_view council) {
  // council \0 'S' group tail | council \0 'K' kind \0 group tail
  // tail = severity rank, raised_on (4), account \0 kind \0 subject \0 occurrence (4)
  std::optional<absl::string_view> rest = InCouncil(key, council);
  if (!rest || rest->empty()) return std::nullopt;
  FlagIndexKeyParts parts;
  absl::string_view r = *rest;
  std::optional<absl::string_view> listed_kind;
  if (r[0] == 'S') {
    r.remove_prefix(1);
  } else if (r[0] == 'K') {
    const size_t sep = r.find(kSep);
    if (sep == absl::string_view::npos || sep == 1) return std::nullopt;
    listed_kind = r.substr(1, sep - 1);
    r.remove_prefix(sep + 1);
  } else {
    return std::nullopt;
  }
  // group, severity rank, raised_on, then at least "a\0k\0\0" and the occurrence.
  if (r.size() < 6 + 5 + 4) return std::nullopt;
  parts.group = r[0];
  if (parts.group != 'A' && parts.group != 'R' && parts.group != 'X') return std::nullopt;
  if (r[1] < '0' || r[1] > '2') return std::nullopt;
  parts.severity_rank = r[1] - '0';
  std::optional<Date> raised = DecodeDate(r.substr(2, 4));
  std::optional<uint32_t> occurrence = DecodeU32(r.substr(r.size() - 4));
  if (!raised || !occurrence || r[r.size() - 5] != kSep) return std::nullopt;
  parts.raised_on = *raised;
  parts.occurrence = *occurrence;
  absl::string_view names = r.substr(6, r.size() - 6 - 5);  // account \0 kind \0 subject
  const size_t a = names.find(kSep);
  if (a == 0 || a == absl::string_view::npos) return std::nullopt;
  const size_t k = names.find(kSep, a + 1);
  if (k == absl::string_view::npos || k == a + 1) return std::nullopt;
  parts.account = std::string(names.substr(0, a));
  parts.kind = std::string(names.substr(a + 1, k - a - 1));
  parts.subject = std::string(names.substr(k + 1));
  if (listed_kind && *listed_kind != parts.kind) return std::nullopt;
  return parts;
}

size_t FlagIndexRunLength(absl::string_view key) {
  const size_t council_end = key.find(kSep);
  if (council_end == absl::string_view::npos || council_end + 1 >= key.size()) return 0;
  size_t at = council_end + 1;  // 'S' or 'K'
  if (key[at] == 'S') {
    at += 1;
  } else if (key[at] == 'K') {
    const size_t kind_end = key.find(kSep, at + 1);
    if (kind_end == absl::string_view::npos) return 0;
    at = kind_end + 1;
  } else {
    return 0;
  }
  const size_t end = at + 2 + 4;  // group, severity rank, raised_on
  return end <= key.size() ? end : 0;
}

std::string AccountIndexPrefix(absl::string_view council, char kind, absl::string_view value) {
  std::string k = Join({council, ""});
  k.push_back(kind);
  k.append(value.data(), value.size());
  return k;
}

std::string AccountIndexExact(absl::string_view council, char kind, absl::string_view value) {
  std::string k = AccountIndexPrefix(council, kind, value);
  k.push_back(kSep);
  return k;
}

std::string AccountIndex(absl::string_view council, char kind, absl::string_view value,
                         absl::string_view account) {
  std::string k = AccountIndexExact(council, kind, value);
  k.append(account.data(), account.size());
  return k;
}

std::optional<AccountIndexParts> DecodeAccountIndex(absl::string_view key,
                                                    absl::string_view council, char kind) {
  const std::string head = AccountIndexPrefix(council, kind, "");
  if (!absl::StartsWith(key, head)) return std::nullopt;
  key.remove_prefix(head.size());
  const size_t sep = key.rfind(kSep);
  if (sep == absl::string_view::npos || sep + 1 == key.size()) return std::nullopt;
  return AccountIndexParts{std::string(key.substr(0, sep)), std::string(key.substr(sep + 1))};
}

std::string CaseNote(absl::string_view council, absl::string_view account, uint64_t seq) {
  std::string k = Join({council, account, ""});
  AppendU64(&k, seq);
  return k;
}

}  // namespace dpmon::keys
