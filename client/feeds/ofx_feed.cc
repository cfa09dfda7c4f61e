#include "client/feeds/ofx_feed.h"

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "client/feeds/text.h"

namespace dpmon::feeds {
namespace {

// Elements that hold other elements. Any other tag followed directly by
// another tag is an empty leaf (SGML OFX leaves have no end tags).
const std::set<std::string>& Aggregates() {
  static const auto* names = new std::set<std::string>{
      "OFX",          "SIGNONMSGSRSV1",     "SONRS",        "STATUS",
      "FI",           "BANKMSGSRSV1",       "STMTTRNRS",    "STMTRS",
      "BANKACCTFROM", "BANKACCTTO",         "BANKTRANLIST", "STMTTRN",
      "LEDGERBAL",    "AVAILBAL",           "CURRENCY",     "ORIGCURRENCY",
      "PAYEE",        "CREDITCARDMSGSRSV1", "CCSTMTTRNRS",  "CCSTMTRS",
      "CCACCTFROM",   "CCACCTTO",           "BALLIST",      "BAL",
      "MKTGINFO"};
  return *names;
}

constexpr int kDepthMax = 64;

struct Node {
  std::string name;
  std::string value;  // Leaves.
  bool leaf = false;
  std::vector<std::unique_ptr<Node>> children;

  const Node* Child(absl::string_view n) const {
    for (const auto& c : children) {
      if (c->name == n) return c.get();
    }
    return nullptr;
  }
  // The value of a leaf child, or nullptr if there is no such leaf.
  const std::string* Leaf(absl::string_view n) const {
    const Node* c = Child(n);
    return c != nullptr && c->leaf ? &c->value : nullptr;
  }
};

std::string DecodeEntities(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static const std::pair<const char*, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.substr(i).rfind(entity, 0) == 0) {
        out += c;
        i += std::char_traits<char>::length(entity) - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

// Builds the element tree; an error message for what cannot be a tree.
absl::StatusOr<std::unique_ptr<Node>> ParseTree(absl::string_view text) {
  // Everything before <OFX> is a header (1.x key:value lines or 2.x
  // processing instructions).
  size_t start = std::string::npos;
  for (size_t i = 0; i + 5 <= text.size(); ++i) {
    if (text[i] == '<' && absl::EqualsIgnoreCase(text.substr(i, 5), "<OFX>")) {
      start = i;
      break;
    }
  }
  if (start == std::string::npos) return absl::InvalidArgumentError("no <OFX> element");
  auto root = std::make_unique<Node>();
  root->name = "#root";
  std::vector<Node*> stack = {root.get()};
  size_t i = start;
  while (i < text.size()) {
    if (text[i] != '<') {
      // Text outside a leaf: whitespace between elements.
      const size_t next = text.find('<', i);
      const absl::string_view between =
          text.substr(i, next == absl::string_view::npos ? absl::string_view::npos : next - i);
      if (!absl::StripAsciiWhitespace(between).empty()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "text \"%s\" outside any element", absl::StripAsciiWhitespace(between).substr(0, 40)));
      }
      if (next == absl::string_view::npos) break;
      i = next;
      continue;
    }
    const size_t close = text.find('>', i);
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("an unclosed tag");
    absl::string_view tag = text.substr(i + 1, close - i - 1);
    i = close + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;  // PI, comment, doctype.
    if (tag[0] == '/') {
      const std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(tag.substr(1)));
      // Close up to the matching open element; an end tag that matches
      // nothing open is ignored (1.x files close some leaves).
      for (size_t k = stack.size(); k-- > 1;) {
        if (stack[k]->name == name) {
          stack.resize(k);
          break;
        }
      }
      continue;
    }
    if (tag.back() == '/') tag.remove_suffix(1);  // <EMPTY/>
    const std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(tag));
    if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrFormat("a bad tag <%s>", name.substr(0, 40)));
    }
    auto node = std::make_unique<Node>();
    node->name = name;
    Node* raw = node.get();
    stack.back()->children.push_back(std::move(node));
    if (Aggregates().count(name)) {
      if (static_cast<int>(stack.size()) > kDepthMax) {
        return absl::InvalidArgumentError("elements nested too deep");
      }
      stack.push_back(raw);
      continue;
    }
    // A leaf: its value runs to the next tag; a CDATA section is part of it.
    raw->leaf = true;
    std::string value;
    for (;;) {
      const size_t next = text.find('<', i);
      value += DecodeEntities(
          text.substr(i, next == absl::string_view::npos ? absl::string_view::npos : next - i));
      i = next == absl::string_view::npos ? text.size() : next;
      if (!absl::StartsWith(text.substr(i), "<![CDATA[")) break;
      const size_t end = text.find("]]>", i + 9);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("an unclosed CDATA section in <", name, ">"));
      }
      absl::StrAppend(&value, text.substr(i + 9, end - i - 9));
      i = end + 3;
    }
    raw->value = std::string(absl::StripAsciiWhitespace(value));
    // Its own end tag, if it has one.
    const std::string end = absl::StrCat("</", name, ">");
    if (text.size() - i >= end.size() && absl::EqualsIgnoreCase(text.substr(i, end.size()), end)) {
      i += end.size();
    }
  }
  return root;
}

// "20090401122017.000[-5:EST]" -> 2009-04-01 (the date as the bank wrote it).
absl::StatusOr<Date> OfxDate(const std::string& text) {
  if (text.size() < 8) {
    return absl::InvalidArgumentError(absl::StrFormat("\"%s\" is not an OFX date", text));
  }
  return ParseDateAs(text.substr(0, 8), "%Y%m%d");
}

void Collect(const Node& n, absl::string_view name, std::vector<const Node*>* out) {
  for (const auto& c : n.children) {
    if (c->name == name) out->push_back(c.get());
    if (!c->leaf) Collect(*c, name, out);
  }
}

std::string CurrencyOf(const Node& trn, const std::string& statement_default) {
  for (const char* agg : {"CURRENCY", "ORIGCURRENCY"}) {
    if (const Node* c = trn.Child(agg)) {
      if (const std::string* sym = c->Leaf("CURSYM"); sym != nullptr && !sym->empty()) {
        return absl::AsciiStrToUpper(*sym);
      }
    }
  }
  return absl::AsciiStrToUpper(statement_default);
}

// The character set the file declares: OFX 1.x's ENCODING and CHARSET
// header lines, or OFX 2's XML declaration; nullopt if it says none this
// parser knows (the text is then read as UTF-8 where it is UTF-8).
std::optional<Charset> DeclaredCharset(absl::string_view text) {
  const size_t ofx = text.find("<OFX>");
  const absl::string_view header = text.substr(0, ofx);
  auto value = [&](absl::string_view key) -> std::string {
    const size_t at = header.find(key);
    if (at == absl::string_view::npos) return "";
    absl::string_view v = header.substr(at + key.size());
    v = v.substr(0, v.find_first_of("\r\n\"'? "));
    return std::string(v);
  };
  if (const std::string xml = value("encoding=\""); !xml.empty()) {
    absl::StatusOr<Charset> c = ParseCharset(xml);
    return c.ok() ? std::optional<Charset>(*c) : std::nullopt;
  }
  if (absl::EqualsIgnoreCase(value("ENCODING:"), "UTF-8")) return Charset::kUtf8;
  absl::StatusOr<Charset> c = ParseCharset(value("CHARSET:"));
  return c.ok() ? std::optional<Charset>(*c) : std::nullopt;
}

}  // namespace

FeedResult ParseOfxFeed(absl::string_view bytes, const std::string& source,
                        std::optional<Charset> charset) {
  FeedResult result;
  const std::string text = DecodeText(bytes, charset, DeclaredCharset(bytes));
  absl::StatusOr<std::unique_ptr<Node>> root = ParseTree(text);
  if (!root.ok()) {
    result.invalid.push_back({"file", "", std::string(root.status().message())});
    return result;
  }
  std::vector<const Node*> statements;
  Collect(**root, "STMTRS", &statements);
  Collect(**root, "CCSTMTRS", &statements);
  if (statements.empty()) {
    std::vector<const Node*> account_lists;
    Collect(**root, "ACCTINFORS", &account_lists);
    result.invalid.push_back(
        {"file", "STMTRS",
         account_lists.empty()
             ? "no statement (STMTRS or CCSTMTRS) in the file"
             : "an account-information response (ACCTINFORS: the bank's list of accounts), not a "
               "statement: it holds no transactions or balances; nothing was read"});
    return result;
  }
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::string>> balances;
  int index = 0;
  for (const Node* st : statements) {
    const std::string where_st = absl::StrCat(st->name, "[", ++index, "]");
    const Node* acct = st->Child(st->name == "CCSTMTRS" ? "CCACCTFROM" : "BANKACCTFROM");
    const std::string* acct_id = acct != nullptr ? acct->Leaf("ACCTID") : nullptr;
    if (acct_id == nullptr || acct_id->empty()) {
      result.invalid.push_back({where_st, "ACCTID", "the statement names no account"});
      continue;
    }
    const std::string* curdef = st->Leaf("CURDEF");
    const std::string statement_currency = curdef != nullptr ? *curdef : "";
    // Every list: some banks split a statement's transactions over several.
    std::vector<const Node*> trns;
    for (const auto& list : st->children) {
      if (list->name != "BANKTRANLIST") continue;
      for (const auto& c : list->children) {
        if (c->name == "STMTTRN") trns.push_back(c.get());
      }
    }
    int n = 0;
    for (const Node* trn : trns) {
      const std::string where = absl::StrCat(where_st, "/STMTTRN[", ++n, "]");
      auto problem = [&](const std::string& field, const std::string& why) {
        result.invalid.push_back({where, field, why});
      };
      const std::string currency = CurrencyOf(*trn, statement_currency);
      if (currency != "GBP") {
        problem("CURRENCY", currency.empty()
                                ? "no currency given; only GBP is accepted"
                                : absl::StrCat("currency ", currency, "; only GBP is accepted"));
        continue;
      }
      const std::string* fitid = trn->Leaf("FITID");
      if (fitid == nullptr || fitid->empty()) {
        problem("FITID", "no FITID: the transaction has no id");
        continue;
      }
      const std::string* posted = trn->Leaf("DTPOSTED");
      absl::StatusOr<Date> date =
          posted != nullptr ? OfxDate(*posted) : absl::InvalidArgumentError("no DTPOSTED");
      if (!date.ok()) {
        problem("DTPOSTED", std::string(date.status().message()));
        continue;
      }
      const std::string* amt = trn->Leaf("TRNAMT");
      absl::StatusOr<int64_t> pence =
          amt != nullptr ? ParseDecimalPence(*amt) : absl::InvalidArgumentError("no TRNAMT");
      if (!pence.ok()) {
        problem("TRNAMT", std::string(pence.status().message()));
        continue;
      }
      if (*pence == 0) {
        problem("TRNAMT", "is zero");
        continue;
      }
      v1::TransactionInput t;
      t.set_source(source);
      t.set_account_ref(*acct_id);
      t.set_external_id(*fitid);
      t.set_booking_date(date->ToString());
      t.set_amount_pence(*pence);
      const std::string* name = trn->Leaf("NAME");
      if (name == nullptr) {
        if (const Node* payee = trn->Child("PAYEE")) name = payee->Leaf("NAME");
      }
      if (name != nullptr && !name->empty()) t.set_counterparty(*name);
      if (const std::string* memo = trn->Leaf("MEMO"); memo != nullptr && !memo->empty()) {
        t.set_description(*memo);
      }
      result.entries.push_back({where, std::move(t), std::nullopt});
    }
    if (const Node* bal = st->Child("LEDGERBAL")) {
      const std::string where = absl::StrCat(where_st, "/LEDGERBAL");
      const std::string* amount = bal->Leaf("BALAMT");
      const std::string* asof = bal->Leaf("DTASOF");
      if (amount == nullptr || amount->empty()) {
        result.invalid.push_back({where, "BALAMT", "the ledger balance is empty"});
      } else if (absl::AsciiStrToUpper(statement_currency) != "GBP") {
        result.invalid.push_back(
            {where, "CURDEF",
             statement_currency.empty()
                 ? "no currency given; only GBP is accepted"
                 : absl::StrCat("currency ", absl::AsciiStrToUpper(statement_currency),
                                "; only GBP is accepted")});
      } else {
        absl::StatusOr<int64_t> pence = ParseDecimalPence(*amount);
        absl::StatusOr<Date> date =
            asof != nullptr ? OfxDate(*asof) : absl::InvalidArgumentError("no DTASOF");
        if (!pence.ok()) {
          result.invalid.push_back({where, "BALAMT", std::string(pence.status().message())});
        } else if (!date.ok()) {
          result.invalid.push_back({where, "DTASOF", std::string(date.status().message())});
        } else {
          const auto key = std::make_pair(*acct_id, date->ToString());
          auto [it, inserted] = balances.emplace(key, std::make_pair(*pence, where));
          if (!inserted && it->second.first != *pence) {
            result.conflicts.push_back(
                {where, "BALAMT",
                 absl::StrFormat("a second closing balance for %s on %s (%s; %s had %s)", key.first,
                                 key.second, *amount, it->second.second,
                                 absl::StrCat(it->second.first))});
          } else if (inserted) {
            v1::StatementInput s;
            s.set_source(source);
            s.set_account_ref(*acct_id);
            s.set_date(date->ToString());
            s.set_closing_balance_pence(*pence);
            result.entries.push_back({where, std::nullopt, std::move(s)});
          }
        }
      }
    }
  }
  MakeIdsUnique(&result, /*alike_are_distinct=*/false);
  return result;
}

}  // namespace dpmon::feeds
