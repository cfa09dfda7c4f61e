#include "client/feeds/mt940_feed.h"

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/fingerprint.h"
#include "common/ids.h"
#include "common/limits.h"

namespace dpmon::feeds {
namespace {

// One field: its tag ("61"), the rest of its first line and the lines that
// continue it.
struct Field {
  std::string tag;
  std::string value;
  std::vector<std::string> more;
  int line = 0;
};

struct Message {
  std::vector<Field> fields;
};

// ":61:" -> "61"; "" if the line does not start with a tag.
std::string TagOf(absl::string_view s, size_t* after) {
  if (s.size() < 4 || s[0] != ':') return "";
  if (absl::StartsWith(s, ":NS:")) {
    *after = 4;
    return "NS";
  }
  if (!absl::ascii_isdigit(s[1]) || !absl::ascii_isdigit(s[2])) return "";
  size_t end = 3;
  if (end < s.size() && absl::ascii_isupper(s[end])) ++end;
  if (end >= s.size() || s[end] != ':') return "";
  *after = end + 1;
  return std::string(s.substr(1, end - 1));
}

// Calls `each` with the text's messages in turn, a message held at a time
// (a file can hold millions of entries); envelopes, control bytes, blank
// lines, bank header lines and prose outside messages are dropped. Returns
// the number of messages.
int ForEachMessage(absl::string_view text, const std::function<void(const Message&)>& each) {
  int messages = 0;
  Message message;
  bool in_message = false;
  int number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) nl = text.size();
    std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    line.erase(std::remove_if(line.begin(), line.end(),
                              [](char c) { return c == '\r' || c == '\x01' || c == '\x03'; }),
               line.end());
    absl::string_view s = line;
    if (absl::StartsWith(s, "{")) {
      // An envelope: the text block starts after "{4:".
      const size_t block = s.find("{4:");
      if (block == absl::string_view::npos) {
        in_message = false;
        continue;
      }
      s.remove_prefix(block + 3);
    }
    const absl::string_view trimmed = absl::StripTrailingAsciiWhitespace(s);
    if (trimmed.empty()) continue;
    if (trimmed == "-" || absl::StartsWith(trimmed, "-}") || absl::StartsWith(trimmed, "-{")) {
      in_message = false;
      continue;
    }
    size_t after = 0;
    const std::string tag = TagOf(s, &after);
    if (!tag.empty()) {
      if (tag == "20" || !in_message) {
        if (!message.fields.empty()) each(message);
        message.fields.clear();
        ++messages;
        in_message = true;
      }
      message.fields.push_back(
          {tag, std::string(absl::StripTrailingAsciiWhitespace(s.substr(after))), {}, number});
      continue;
    }
    if (in_message && !message.fields.empty()) {
      message.fields.back().more.emplace_back(trimmed);
    }
  }
  if (!message.fields.empty()) each(message);
  return messages;
}

// YYMMDD -> a date (years 1980-2079).
absl::StatusOr<Date> ShortDate(absl::string_view yymmdd) {
  int yy = 0, mm = 0, dd = 0;
  if (yymmdd.size() != 6 || !absl::SimpleAtoi(yymmdd.substr(0, 2), &yy) ||
      !absl::SimpleAtoi(yymmdd.substr(2, 2), &mm) || !absl::SimpleAtoi(yymmdd.substr(4, 2), &dd)) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not a date (YYMMDD)", yymmdd));
  }
  const int year = yy < 80 ? 2000 + yy : 1900 + yy;
  absl::StatusOr<Date> d = Date::Parse(absl::StrFormat("%04d-%02d-%02d", year, mm, dd));
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not a real date", yymmdd));
  }
  return d;
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// "880," "7,5" "52.58" -> pence.
absl::StatusOr<int64_t> SwiftAmount(absl::string_view text) {
  std::string s(text);
  int separators = 0;
  for (char& c : s) {
    if (c == ',' || c == '.') {
      c = '.';
      ++separators;
    }
  }
  if (separators > 1 || s.empty() || s[0] == '.') {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not an amount", text));
  }
  return ParseDecimalPence(s);
}

struct Balance {
  Date date;
  std::string currency;
  int64_t pence = 0;
};

// "C020315GBP105000,00"
absl::StatusOr<Balance> ParseBalance(absl::string_view v) {
  if (v.size() < 11 || (v[0] != 'C' && v[0] != 'D')) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" is not a balance (mark, YYMMDD, currency, amount)", v.substr(0, 40)));
  }
  absl::StatusOr<Date> date = ShortDate(v.substr(1, 6));
  if (!date.ok()) return date.status();
  Balance b{*date, absl::AsciiStrToUpper(v.substr(7, 3)), 0};
  absl::StatusOr<int64_t> pence = SwiftAmount(absl::StripAsciiWhitespace(v.substr(10)));
  if (!pence.ok()) return pence.status();
  b.pence = v[0] == 'D' ? -*pence : *pence;
  return b;
}

struct Entry {
  Date value;
  Date booking;
  std::string mark;  // C, D, RC, RD
  std::string funds, type, customer_ref, bank_ref;
  int64_t pence = 0;  // Signed: money in is positive.
};

// A `:61:` line. `field` names what was wrong.
absl::StatusOr<Entry> ParseEntry(absl::string_view v, std::string* field) {
  Entry e;
  *field = "61 value date";
  absl::StatusOr<Date> value = ShortDate(v.substr(0, 6));
  if (!value.ok()) return value.status();
  e.value = *value;
  e.booking = *value;
  size_t i = 6;
  if (v.size() >= i + 4 && AllDigits(v.substr(i, 4))) {
    // The entry date has no year: the one nearest the value date.
    *field = "61 entry date";
    int mm = 0, dd = 0;
    (void)absl::SimpleAtoi(v.substr(i, 2), &mm);
    (void)absl::SimpleAtoi(v.substr(i + 2, 2), &dd);
    std::optional<Date> best;
    for (int y = value->year() - 1; y <= value->year() + 1; ++y) {
      absl::StatusOr<Date> d = Date::Parse(absl::StrFormat("%04d-%02d-%02d", y, mm, dd));
      if (d.ok() && (!best || std::abs(*d - *value) < std::abs(*best - *value))) best = *d;
    }
    if (!best) {
      return absl::InvalidArgumentError(
          absl::StrFormat("\"%s\" is not a real date (MMDD)", v.substr(i, 4)));
    }
    e.booking = *best;
    i += 4;
  }
  *field = "61 mark";
  const absl::string_view rest = v.substr(i);
  if (absl::StartsWith(rest, "RC") || absl::StartsWith(rest, "RD")) {
    e.mark = std::string(rest.substr(0, 2));
  } else if (absl::StartsWith(rest, "C") || absl::StartsWith(rest, "D")) {
    e.mark = std::string(rest.substr(0, 1));
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" does not start with a debit/credit mark (C, D, RC or RD)", rest.substr(0, 20)));
  }
  i += e.mark.size();
  if (i < v.size() && absl::ascii_isupper(v[i])) e.funds = std::string(1, v[i++]);
  *field = "61 amount";
  const size_t amount_end = v.find_first_not_of("0123456789,.", i);
  absl::StatusOr<int64_t> pence =
      SwiftAmount(v.substr(i, amount_end == absl::string_view::npos ? v.npos : amount_end - i));
  if (!pence.ok()) return pence.status();
  if (*pence == 0) return absl::InvalidArgumentError("the amount is zero");
  e.pence = (e.mark == "C" || e.mark == "RD") ? *pence : -*pence;
  *field = "61 transaction type";
  i = amount_end == absl::string_view::npos ? v.size() : amount_end;
  if (v.size() < i + 4 || (v[i] != 'N' && v[i] != 'F' && v[i] != 'S')) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" is not a transaction type (N, F or S and three characters)", v.substr(i, 4)));
  }
  e.type = std::string(v.substr(i, 4));
  absl::string_view refs = v.substr(i + 4);
  const size_t slashes = refs.find("//");
  e.customer_ref = std::string(absl::StripAsciiWhitespace(refs.substr(0, slashes)));
  if (slashes != absl::string_view::npos) {
    e.bank_ref = std::string(absl::StripAsciiWhitespace(refs.substr(slashes + 2)));
  }
  return e;
}

std::string CollapseSpaces(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// At most the text limit, cut at a character boundary.
std::string Clip(std::string s) {
  if (s.size() <= limits::kTextBytesMax) return s;
  size_t n = limits::kTextBytesMax;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

// The `:86:` text: German structured subfields (?00 booking text, ?20-?29
// and ?60-?63 remittance, ?32-?33 name; lines wrapped mid-word), or free
// text (lines joined by a space).
void ReadInformation(const std::vector<std::string>& lines, std::string* counterparty,
                     std::string* description) {
  if (lines.empty()) return;
  const std::string& first = lines[0];
  if (first.size() >= 4 && AllDigits(first.substr(0, 3)) && first[3] == '?') {
    const std::string all = absl::StrJoin(lines, "");
    std::map<int, std::string> sub;
    size_t i = 3;
    while (i + 3 <= all.size() && all[i] == '?') {
      int code = 0;
      if (!absl::SimpleAtoi(all.substr(i + 1, 2), &code)) break;
      const size_t next = all.find('?', i + 3);
      sub[code] += all.substr(i + 3, next == std::string::npos ? std::string::npos : next - i - 3);
      if (next == std::string::npos) break;
      i = next;
    }
    std::string remittance;
    for (const auto& [code, text] : sub) {
      if ((code >= 20 && code <= 29) || (code >= 60 && code <= 63)) remittance += text;
    }
    *counterparty = CollapseSpaces(absl::StrCat(sub[32], " ", sub[33]));
    *description = CollapseSpaces(absl::StrCat(sub[0], " ", remittance));
    return;
  }
  *description = CollapseSpaces(absl::StrJoin(lines, " "));
}

// Set if the message breaks the file's structure: then nothing is pushed,
// since which account an entry belongs to is in doubt.
std::optional<FeedProblem> Malformed(const Message& m) {
  std::string account;
  int account_line = 0;
  for (const Field& f : m.fields) {
    if (f.tag == "25") {
      if (!account.empty()) {
        return FeedProblem{
            absl::StrCat("line ", f.line), "25",
            absl::StrFormat("a second account (\"%s\") in the message whose account is "
                            "\"%s\" (line %d): the file is malformed; nothing was pushed",
                            f.value.substr(0, 40), account, account_line)};
      }
      account = std::string(absl::StripAsciiWhitespace(f.value));
      account_line = f.line;
      if (account.empty()) {
        return FeedProblem{absl::StrCat("line ", f.line), "25",
                           "the account is empty: the file is malformed; nothing was pushed"};
      }
    } else if (f.tag == "61" && account.empty()) {
      return FeedProblem{absl::StrCat("line ", f.line), "61",
                         "an entry before the message's account (:25:): the file is malformed; "
                         "nothing was pushed"};
    }
  }
  return std::nullopt;
}

// Reads well-formed messages (Malformed found nothing) entry by entry.
class Reader {
 public:
  Reader(const std::string& source, FeedResult* result, const std::function<void(FeedEntry)>& emit)
      : source_(source), result_(result), emit_(emit) {}

  void Read(const Message& m) {
    account_.clear();
    currency_.clear();
    pending_.reset();
    for (const Field& f : m.fields) {
      if (f.tag == "86" && pending_) {
        pending_->information.push_back(f.value);
        for (const std::string& l : f.more) pending_->information.push_back(l);
        continue;
      }
      Flush();
      if (f.tag == "25") {
        account_ = std::string(absl::StripAsciiWhitespace(f.value));
      } else if (f.tag == "60F" || f.tag == "60M") {
        absl::StatusOr<Balance> b = ParseBalance(f.value);
        if (!b.ok()) {
          Problem(f, f.tag, std::string(b.status().message()));
        } else {
          currency_ = b->currency;
        }
      } else if (f.tag == "61") {
        pending_ = Pending{f, {}};
      } else if (f.tag == "62F") {
        Closing(f);
      }
      // :20:, :21:, :28:, :28C:, :62M:, :64:, :65:, :NS: and :86: that
      // follows no entry say nothing to store.
    }
    Flush();
  }

 private:
  struct Pending {
    Field field;
    std::vector<std::string> information;
  };

  void Problem(const Field& f, const std::string& field, const std::string& reason) {
    result_->invalid.push_back({absl::StrCat("line ", f.line), field, reason});
  }

  bool CurrencyIsGbp(const Field& f, const std::string& field, const std::string& currency) {
    if (currency == "GBP") return true;
    Problem(f, field,
            currency.empty()
                ? "no currency: the message has no opening balance (:60F: or :60M:) to give it; "
                  "only GBP is accepted"
                : absl::StrCat("currency ", currency, "; only GBP is accepted"));
    return false;
  }

  void Closing(const Field& f) {
    absl::StatusOr<Balance> b = ParseBalance(f.value);
    if (!b.ok()) {
      Problem(f, "62F", std::string(b.status().message()));
      return;
    }
    if (!CurrencyIsGbp(f, "62F", b->currency)) return;
    const auto key = std::make_pair(account_, b->date.ToString());
    auto [it, inserted] = balances_.emplace(key, std::make_pair(b->pence, f.line));
    if (!inserted) {
      if (it->second.first != b->pence) {
        result_->conflicts.push_back(
            {absl::StrCat("line ", f.line), "62F",
             absl::StrFormat("a second closing balance for %s on %s: %d pence (line %d had %d)",
                             key.first, key.second, b->pence, it->second.second,
                             it->second.first)});
      }
      return;
    }
    v1::StatementInput s;
    s.set_source(source_);
    s.set_account_ref(account_);
    s.set_date(key.second);
    s.set_closing_balance_pence(b->pence);
    emit_({absl::StrCat("line ", f.line), std::nullopt, std::move(s)});
  }

  void Flush() {
    if (!pending_) return;
    const Pending p = std::move(*pending_);
    pending_.reset();
    const Field& f = p.field;
    if (!CurrencyIsGbp(f, "61", currency_)) return;
    std::string field;
    absl::StatusOr<Entry> e = ParseEntry(f.value, &field);
    if (!e.ok()) {
      Problem(f, field, std::string(e.status().message()));
      return;
    }
    const std::string supplementary =
        f.more.empty() ? "" : CollapseSpaces(absl::StrJoin(f.more, " "));
    std::string counterparty, description;
    ReadInformation(p.information, &counterparty, &description);
    if (counterparty.empty()) counterparty = supplementary;
    if (description.empty() && counterparty != supplementary) description = supplementary;
    if (e->mark[0] == 'R') {
      description = description.empty() ? "reversal" : absl::StrCat("reversal: ", description);
    }
    const std::string what =
        absl::StrJoin({account_, e->value.ToString(), e->booking.ToString(), e->mark, e->funds,
                       absl::StrCat(e->pence), e->type, e->customer_ref, e->bank_ref,
                       absl::StrJoin(f.more, "\n"), absl::StrJoin(p.information, "\n")},
                      "\x1f");
    std::string date = e->booking.ToString();
    date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
    v1::TransactionInput t;
    t.set_source(source_);
    t.set_account_ref(account_);
    // Alike entries are each a booking: the second is "ID~2", the third
    // "ID~3" (as MakeIdsUnique numbers them), counted as the file is read.
    std::string id = absl::StrFormat("mt940~%s~%016x", date, Fingerprint64(what));
    if (const int n = ++seen_[id]; n > 1) absl::StrAppend(&id, "~", n);
    t.set_external_id(std::move(id));
    t.set_booking_date(e->booking.ToString());
    t.set_amount_pence(e->pence);
    if (!counterparty.empty()) t.set_counterparty(Clip(counterparty));
    if (!description.empty()) t.set_description(Clip(description));
    emit_({absl::StrCat("line ", f.line), std::move(t), std::nullopt});
  }

  const std::string& source_;
  FeedResult* result_;
  const std::function<void(FeedEntry)>& emit_;
  std::string account_;
  std::string currency_;
  std::optional<Pending> pending_;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int>> balances_;
  absl::flat_hash_map<std::string, int> seen_;  // Entry ids so far, with their counts.
};

// MT940's relatives that are not statements, refused whole.
FeedProblem NotAStatementProblem(const std::string& where, const std::string& what) {
  return FeedProblem{where, "file",
                     absl::StrCat("the file is ", what,
                                  ", not an MT940 statement: its entries and balances are not "
                                  "final; nothing was pushed; push the day's MT940 statement")};
}

// Set if the file's envelope says it is an MT942 interim report or an MT941
// balance report.
std::optional<FeedProblem> NotAStatement(absl::string_view text) {
  // One pass over the envelopes' application headers: {2:I942..., {2:O941...
  for (size_t at = text.find("{2:"); at != absl::string_view::npos; at = text.find("{2:", at + 3)) {
    if (at + 7 > text.size()) break;  // {2:I + the type's three digits.
    const absl::string_view type = text.substr(at + 4, 3);
    if (type == "942") return NotAStatementProblem("file", "an MT942 interim transaction report");
    if (type == "941") return NotAStatementProblem("file", "an MT941 balance report");
  }
  return std::nullopt;
}

// Set if a bare message is one: it has a floor limit (:34F:, MT942) or a
// date-time indication (:13D:, MT941 and MT942).
std::optional<FeedProblem> NotAStatement(const Message& m) {
  for (const Field& f : m.fields) {
    if (f.tag == "34F") {
      return NotAStatementProblem(absl::StrCat("line ", f.line),
                                  "an MT942 interim transaction report (:34F: floor limit)");
    }
    if (f.tag == "13D") {
      return NotAStatementProblem(absl::StrCat("line ", f.line),
                                  "an MT941 or MT942 report (:13D: date-time indication)");
    }
  }
  return std::nullopt;
}

}  // namespace

FeedResult ParseMt940Feed(absl::string_view bytes, const std::string& source,
                          std::optional<Charset> charset,
                          const std::function<void(FeedEntry)>& emit) {
  FeedResult result;
  const std::string text = DecodeText(bytes, charset, std::nullopt);
  // First the whole file's structure, then its entries: a file refused
  // whole emits nothing.
  std::optional<FeedProblem> refused = NotAStatement(text);
  const int messages = ForEachMessage(text, [&refused](const Message& m) {
    if (!refused) refused = NotAStatement(m);
    if (!refused) refused = Malformed(m);
  });
  if (messages == 0) {
    result.invalid.push_back({"file", "20", "no MT940 message (:20: ... :62F:) in the file"});
    return result;
  }
  if (refused) {
    result.invalid.push_back(*refused);
    return result;
  }
  Reader reader(source, &result, emit);
  ForEachMessage(text, [&reader](const Message& m) { reader.Read(m); });
  return result;
}

FeedResult ParseMt940Feed(absl::string_view bytes, const std::string& source,
                          std::optional<Charset> charset) {
  std::vector<FeedEntry> entries;
  FeedResult result = ParseMt940Feed(bytes, source, charset,
                                     [&entries](FeedEntry e) { entries.push_back(std::move(e)); });
  result.entries = std::move(entries);
  return result;
}

}  // namespace dpmon::feeds
