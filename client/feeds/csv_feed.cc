#include "client/feeds/csv_feed.h"

#include <map>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ids.h"

namespace dpmon::feeds {
namespace {

std::string Lower(absl::string_view s) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s));
}

std::set<std::string> LowerList(absl::string_view value) {
  std::set<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.insert(Lower(part));
  }
  return out;
}

}  // namespace

absl::StatusOr<CsvMapping> CsvMapping::Parse(absl::string_view text) {
  CsvMapping m;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrFormat("mapping line %d: expected \"key = value\"", line_no));
    }
    const std::string key = Lower(line.substr(0, eq));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrFormat("mapping line %d: %s: %s", line_no, key, why));
    };
    std::map<std::string, std::string*> columns = {{"id", &m.id},
                                                   {"date", &m.date},
                                                   {"amount", &m.amount},
                                                   {"debit", &m.debit},
                                                   {"credit", &m.credit},
                                                   {"mcc", &m.mcc},
                                                   {"counterparty", &m.counterparty},
                                                   {"description", &m.description},
                                                   {"balance", &m.balance},
                                                   {"account_ref", &m.account_ref},
                                                   {"type", &m.type},
                                                   {"reverses", &m.reverses},
                                                   {"category", &m.category}};
    if (auto it = columns.find(key); it != columns.end()) {
      *it->second = value;
    } else if (key == "delimiter") {
      if (value == "tab") {
        m.delimiter = '\t';
      } else if (value.size() == 1 && value[0] != '"') {
        m.delimiter = value[0];
      } else {
        return bad("one character, or \"tab\"");
      }
    } else if (key == "skip_lines") {
      if (!absl::SimpleAtoi(value, &m.skip_lines) || m.skip_lines < 0 || m.skip_lines > 100) {
        return bad("a number 0..100");
      }
    } else if (key == "date_format") {
      if (!ParseDateAs("2026-01-02", value).ok() && !ParseDateAs("02/01/2026", value).ok() &&
          !ParseDateAs("20260102", value).ok() && !ParseDateAs("02-01-2026", value).ok() &&
          !ParseDateAs("02.01.2026", value).ok() && !ParseDateAs("02 Jan 2026", value).ok()) {
        return bad("one of %Y-%m-%d, %d/%m/%Y, %m/%d/%Y, %d-%m-%Y, %d.%m.%Y, %Y%m%d, %d %b %Y");
      }
      m.date_format = value;
    } else if (key == "amount_sign") {
      if (value != "as_is" && value != "debit_positive") return bad("as_is or debit_positive");
      m.debit_positive = value == "debit_positive";
    } else if (key == "skip_types") {
      m.skip_types = LowerList(value);
    } else if (key == "reversal_types") {
      m.reversal_types = LowerList(value);
    } else if (key == "encoding") {
      absl::StatusOr<Charset> c = ParseCharset(value);
      if (!c.ok()) return bad(std::string(c.status().message()));
      m.charset = *c;
    } else if (key == "order") {
      if (value != "oldest_first" && value != "newest_first") {
        return bad("oldest_first or newest_first");
      }
      m.newest_first = value == "newest_first";
    } else {
      return absl::InvalidArgumentError(
          absl::StrFormat("mapping line %d: unknown key \"%s\"", line_no, key));
    }
  }
  if (m.id.empty())
    return absl::InvalidArgumentError("mapping: id (the transaction id column) is required");
  if (m.date.empty()) return absl::InvalidArgumentError("mapping: date is required");
  if (m.amount.empty() == (m.debit.empty() || m.credit.empty())) {
    return absl::InvalidArgumentError(
        "mapping: give either amount (signed) or both debit and credit columns");
  }
  return m;
}

CsvReader::CsvReader(absl::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
  absl::ConsumePrefix(&text_, "\xef\xbb\xbf");
}

bool CsvReader::Next(std::vector<std::string>* row, int* line, absl::Status* error) {
  row->clear();
  std::string field;
  bool quoted = false;
  bool field_started = false;
  int quote_line = 0;
  for (;;) {
    if (pos_ >= text_.size()) {
      if (quoted) {
        *error = absl::InvalidArgumentError(
            absl::StrFormat("line %d: a quoted field is never closed", quote_line));
        return false;
      }
      if (!field_started && row->empty() && field.empty()) return false;  // End of text.
      row->push_back(std::move(field));
      *line = row_line_;
      return true;
    }
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
      quote_line = line_;
    } else if (c == delimiter_) {
      row->push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      continue;
    } else if (c == '\n') {
      const int this_line = row_line_;
      ++line_;
      row_line_ = line_;
      if (row->empty() && !field_started && field.empty()) continue;  // A blank line.
      row->push_back(std::move(field));
      *line = this_line;
      return true;
    } else {
      field += c;
      field_started = true;
    }
  }
}

FeedResult ParseCsvFeed(absl::string_view text, const CsvMapping& mapping,
                        const std::string& source, const std::string& default_account_ref) {
  FeedResult result;
  FeedResult problems =
      ParseCsvFeed(text, mapping, source, default_account_ref,
                   [&result](FeedEntry e) { result.entries.push_back(std::move(e)); });
  result.invalid = std::move(problems.invalid);
  result.skipped = std::move(problems.skipped);
  result.conflicts = std::move(problems.conflicts);
  return result;
}

FeedResult ParseCsvFeed(absl::string_view text, const CsvMapping& mapping,
                        const std::string& source, const std::string& default_account_ref,
                        const std::function<void(FeedEntry)>& emit) {
  FeedResult result;
  // A UTF-8 file (the usual case, and large) is read in place, not copied.
  std::string decoded;
  if (mapping.charset || Utf8Prefix(text) != text.size()) {
    decoded = DecodeText(text, mapping.charset, std::nullopt);
    text = decoded;
  }
  CsvReader reader(text, mapping.delimiter);
  std::vector<std::string> header_row;
  int header_line = 0;
  absl::Status error;
  for (int skipped = 0; skipped <= mapping.skip_lines; ++skipped) {
    if (!reader.Next(&header_row, &header_line, &error)) {
      result.invalid.push_back(
          {"file", "", error.ok() ? "no header row" : std::string(error.message())});
      return result;
    }
  }
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header_row.size(); ++i) column.emplace(Lower(header_row[i]), i);
  std::map<std::string, int> index;  // Mapped name -> column, or -1.
  bool missing = false;
  for (const auto& [name, header] :
       std::vector<std::pair<std::string, std::string>>{{"id", mapping.id},
                                                        {"date", mapping.date},
                                                        {"amount", mapping.amount},
                                                        {"debit", mapping.debit},
                                                        {"credit", mapping.credit},
                                                        {"mcc", mapping.mcc},
                                                        {"counterparty", mapping.counterparty},
                                                        {"description", mapping.description},
                                                        {"balance", mapping.balance},
                                                        {"account_ref", mapping.account_ref},
                                                        {"type", mapping.type},
                                                        {"reverses", mapping.reverses},
                                                        {"category", mapping.category}}) {
    index[name] = -1;
    if (header.empty()) continue;
    auto it = column.find(Lower(header));
    if (it == column.end()) {
      result.invalid.push_back(
          {absl::StrCat("line ", header_line), header,
           absl::StrCat("the header has no column \"", header, "\" (mapped as ", name, ")")});
      missing = true;
      continue;
    }
    index[name] = static_cast<int>(it->second);
  }
  if (missing) return result;
  // Column positions, looked up once rather than by name on every row.
  struct {
    int id, date, amount, debit, credit, mcc, counterparty, description, balance, account_ref, type,
        reverses, category;
  } const cols = {index["id"],           index["date"],        index["amount"],
                  index["debit"],        index["credit"],      index["mcc"],
                  index["counterparty"], index["description"], index["balance"],
                  index["account_ref"],  index["type"],        index["reverses"],
                  index["category"]};

  // Per (account_ref, date): the running balance after the day's last row.
  struct DayBalance {
    std::string where;
    int64_t pence = 0;
  };
  std::map<std::pair<std::string, std::string>, DayBalance> day_balance;
  std::vector<std::pair<std::string, std::string>> day_order;
  std::map<std::string, std::string> seen_ids;  // id -> where
  std::vector<std::string> row;
  int line = 0;
  while (reader.Next(&row, &line, &error)) {
    const std::string where = absl::StrCat("line ", line);
    auto get = [&](int i) -> std::string {
      if (i < 0 || static_cast<size_t>(i) >= row.size()) return "";
      return std::string(absl::StripAsciiWhitespace(row[static_cast<size_t>(i)]));
    };
    auto problem = [&](const std::string& header, const std::string& why) {
      result.invalid.push_back({where, header, why});
    };
    const std::string type = Lower(get(cols.type));
    if (!type.empty() && mapping.skip_types.count(type)) {
      result.skipped.push_back({where, mapping.type, absl::StrCat("skipped: ", get(cols.type))});
      continue;
    }
    const std::string id = get(cols.id);
    if (id.empty()) {
      problem(mapping.id, "no transaction id");
      continue;
    }
    if (auto [it, inserted] = seen_ids.emplace(id, where); !inserted) {
      problem(mapping.id,
              absl::StrCat("transaction id \"", id, "\" is repeated (first at ", it->second, ")"));
      continue;
    }
    absl::StatusOr<Date> date = ParseDateAs(get(cols.date), mapping.date_format);
    if (!date.ok()) {
      problem(mapping.date, std::string(date.status().message()));
      continue;
    }
    int64_t amount = 0;
    if (!mapping.amount.empty()) {
      absl::StatusOr<int64_t> a = ParseDecimalPence(get(cols.amount));
      if (!a.ok()) {
        problem(mapping.amount, std::string(a.status().message()));
        continue;
      }
      amount = mapping.debit_positive ? -*a : *a;
    } else {
      const std::string debit = get(cols.debit), credit = get(cols.credit);
      if (debit.empty() == credit.empty()) {
        problem(mapping.debit, "give exactly one of the debit and credit columns");
        continue;
      }
      absl::StatusOr<int64_t> a = ParseDecimalPence(debit.empty() ? credit : debit);
      if (!a.ok()) {
        problem(debit.empty() ? mapping.credit : mapping.debit, std::string(a.status().message()));
        continue;
      }
      if (*a < 0) {
        problem(debit.empty() ? mapping.credit : mapping.debit, "is negative");
        continue;
      }
      amount = debit.empty() ? *a : -*a;
    }
    if (amount == 0) {
      problem(mapping.amount.empty() ? mapping.debit : mapping.amount, "is zero");
      continue;
    }
    std::string account_ref = get(cols.account_ref);
    if (account_ref.empty()) account_ref = default_account_ref;
    if (account_ref.empty()) {
      problem(mapping.account_ref.empty() ? "account_ref" : mapping.account_ref,
              "no account reference (map a column or give --account_ref)");
      continue;
    }
    v1::TransactionInput t;
    t.set_source(source);
    t.set_account_ref(account_ref);
    t.set_external_id(id);
    t.set_booking_date(date->ToString());
    t.set_amount_pence(amount);
    if (const std::string mcc = get(cols.mcc); !mcc.empty()) {
      if (mcc.size() != 4 || !absl::c_all_of(mcc, [](char c) { return absl::ascii_isdigit(c); })) {
        problem(mapping.mcc, absl::StrCat("\"", mcc, "\" is not a 4-digit MCC"));
        continue;
      }
      t.set_mcc(mcc);
    }
    if (const std::string v = get(cols.counterparty); !v.empty()) t.set_counterparty(v);
    if (const std::string v = get(cols.description); !v.empty()) t.set_description(v);
    if (const std::string v = get(cols.category); !v.empty()) {
      v1::Category c;
      if (!v1::Category_Parse(absl::AsciiStrToUpper(v), &c) || c == v1::CATEGORY_UNSPECIFIED) {
        problem(mapping.category, absl::StrCat("\"", v, "\" is not a dpmon category"));
        continue;
      }
      t.set_category(c);
    }
    if (!type.empty() && mapping.reversal_types.count(type)) {
      const std::string original = get(cols.reverses);
      if (original.empty()) {
        problem(mapping.reverses.empty() ? mapping.type : mapping.reverses,
                "a reversal that names no original transaction");
        continue;
      }
      t.set_reverses(original);
    }
    if (cols.balance >= 0) {
      const std::string b = get(cols.balance);
      if (!b.empty()) {
        absl::StatusOr<int64_t> balance = ParseDecimalPence(b);
        if (!balance.ok()) {
          problem(mapping.balance, std::string(balance.status().message()));
          continue;
        }
        const auto key = std::make_pair(account_ref, date->ToString());
        auto [it, inserted] = day_balance.try_emplace(key, DayBalance{where, *balance});
        if (inserted) {
          day_order.push_back(key);
        } else if (!mapping.newest_first) {
          it->second = DayBalance{where, *balance};  // Later rows are later in the day.
        }
      }
    }
    emit({where, std::move(t), std::nullopt});
  }
  if (!error.ok()) {
    // The rows before the broken quote went out; the rest of the file is one problem.
    result.invalid.push_back({"file", "", std::string(error.message())});
  }
  for (const auto& key : day_order) {
    const DayBalance& b = day_balance[key];
    v1::StatementInput s;
    s.set_source(source);
    s.set_account_ref(key.first);
    s.set_date(key.second);
    s.set_closing_balance_pence(b.pence);
    emit({b.where + " (running balance)", std::nullopt, std::move(s)});
  }
  return result;
}

}  // namespace dpmon::feeds
