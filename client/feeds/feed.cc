#include "client/feeds/feed.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/fingerprint.h"
#include "common/limits.h"

namespace dpmon::feeds {

absl::StatusOr<int64_t> ParseDecimalPence(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  bool negative = false;
  if (absl::ConsumePrefix(&s, "(")) {
    if (!absl::ConsumeSuffix(&s, ")")) return absl::InvalidArgumentError("unbalanced brackets");
    negative = true;
  }
  if (absl::ConsumePrefix(&s, "-")) {
    negative = !negative;
  } else {
    absl::ConsumePrefix(&s, "+");
  }
  absl::ConsumePrefix(&s, "\xc2\xa3");  // £
  absl::ConsumePrefix(&s, "GBP");
  s = absl::StripAsciiWhitespace(s);
  if (s.empty()) return absl::InvalidArgumentError("no amount");
  int64_t pounds = 0;
  int64_t pence = 0;
  int decimals = -1;  // -1: no point seen yet.
  bool digit_seen = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ',' && decimals < 0 && digit_seen) continue;  // Thousands separator.
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not an amount", text));
    }
    digit_seen = true;
    if (decimals >= 0) {
      if (++decimals > 2) {
        if (c != '0') {
          return absl::InvalidArgumentError(
              absl::StrFormat("\"%s\" has more than two decimals", text));
        }
        continue;  // Trailing zeros beyond pence (e.g. 885.00000) are exact.
      }
      pence = pence * 10 + (c - '0');
    } else {
      if (pounds > limits::kAmountPenceMax / 100) {
        return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is too large", text));
      }
      pounds = pounds * 10 + (c - '0');
    }
  }
  if (!digit_seen)
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not an amount", text));
  if (decimals == 1) pence *= 10;
  const int64_t total = pounds * 100 + pence;
  if (total > limits::kAmountPenceMax) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is too large", text));
  }
  return negative ? -total : total;
}

namespace {

constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};

bool Number(absl::string_view s, int* out) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(s, out);
}

}  // namespace

absl::StatusOr<Date> ParseDateAs(absl::string_view text, absl::string_view format) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  int y = 0, m = 0, d = 0;
  bool ok = false;
  auto split3 = [&](char sep, int* a, int* b, int* c) {
    const size_t p1 = t.find(sep);
    if (p1 == absl::string_view::npos) return false;
    const size_t p2 = t.find(sep, p1 + 1);
    if (p2 == absl::string_view::npos || t.find(sep, p2 + 1) != absl::string_view::npos) {
      return false;
    }
    return Number(t.substr(0, p1), a) && Number(t.substr(p1 + 1, p2 - p1 - 1), b) &&
           Number(t.substr(p2 + 1), c);
  };
  if (format == "%Y-%m-%d") {
    ok = split3('-', &y, &m, &d);
  } else if (format == "%d/%m/%Y") {
    ok = split3('/', &d, &m, &y);
  } else if (format == "%m/%d/%Y") {
    ok = split3('/', &m, &d, &y);
  } else if (format == "%d-%m-%Y") {
    ok = split3('-', &d, &m, &y);
  } else if (format == "%d.%m.%Y") {
    ok = split3('.', &d, &m, &y);
  } else if (format == "%Y%m%d") {
    ok = t.size() == 8 && Number(t.substr(0, 4), &y) && Number(t.substr(4, 2), &m) &&
         Number(t.substr(6, 2), &d);
  } else if (format == "%d %b %Y") {
    const size_t p1 = t.find(' ');
    const size_t p2 = p1 == absl::string_view::npos ? p1 : t.find(' ', p1 + 1);
    if (p2 != absl::string_view::npos && Number(t.substr(0, p1), &d) &&
        Number(t.substr(p2 + 1), &y)) {
      const std::string mon = absl::AsciiStrToLower(t.substr(p1 + 1, p2 - p1 - 1));
      for (size_t i = 0; i < kMonths.size(); ++i) {
        if (mon == kMonths[i]) m = static_cast<int>(i) + 1;
      }
      ok = m > 0;
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown date format \"", format, "\""));
  }
  if (!ok || y < 1000) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not a date in the form %s", text, format));
  }
  absl::StatusOr<Date> date = Date::Parse(absl::StrFormat("%04d-%02d-%02d", y, m, d));
  if (!date.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not a real date", text));
  }
  return date;
}

void MakeIdsUnique(FeedResult* result, bool alike_are_distinct) {
  std::map<std::string, std::vector<size_t>> by_id;
  for (size_t i = 0; i < result->entries.size(); ++i) {
    if (const auto& t = result->entries[i].transaction) by_id[t->external_id()].push_back(i);
  }
  std::vector<bool> drop(result->entries.size(), false);
  for (const auto& [id, indexes] : by_id) {
    if (indexes.size() < 2) continue;
    std::set<std::string> accounts, signatures;
    for (size_t i : indexes) {
      const v1::TransactionInput& t = *result->entries[i].transaction;
      accounts.insert(t.account_ref());
      signatures.insert(
          absl::StrCat(t.account_ref(), "\x1f", t.booking_date(), "\x1f", t.amount_pence()));
    }
    // All alike: the id already says everything the signature would.
    const bool alike = signatures.size() == 1;
    std::map<std::string, std::pair<int, std::string>> seen;  // New id -> (count, first where).
    for (size_t i : indexes) {
      FeedEntry& e = result->entries[i];
      v1::TransactionInput& t = *e.transaction;
      std::string date = t.booking_date();
      date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
      std::string derived =
          alike ? id
                : absl::StrCat(accounts.size() > 1 ? absl::StrCat(t.account_ref(), "~") : "", id,
                               "~", date, "~", t.amount_pence());
      auto [it, first] = seen.emplace(derived, std::make_pair(1, e.where));
      if (!first) {
        if (!alike_are_distinct) {
          result->invalid.push_back(
              {e.where, "id",
               absl::StrCat("\"", id, "\" is repeated for the same booking (first at ",
                            it->second.second, ")")});
          drop[i] = true;
          continue;
        }
        absl::StrAppend(&derived, "~", ++it->second.first);
      }
      if (derived.size() > limits::kFeedIdBytesMax) {
        // Keep it within the limit, still unique: a digest of the whole.
        const std::string digest = absl::StrFormat("%016x", Fingerprint64(derived));
        derived = absl::StrCat(derived.substr(0, limits::kFeedIdBytesMax - 17), "~", digest);
      }
      t.set_external_id(derived);
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < result->entries.size(); ++i) {
    if (drop[i]) continue;
    if (kept != i) result->entries[kept] = std::move(result->entries[i]);
    ++kept;
  }
  result->entries.resize(kept);
}

}  // namespace dpmon::feeds
