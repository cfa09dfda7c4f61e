#include "client/feeds/camt_feed.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"

namespace dpmon::feeds {
namespace {

// No external entity or DTD is ever fetched or read.
xmlParserInputPtr NoEntities(const char*, const char*, xmlParserCtxtPtr) { return nullptr; }

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(NoEntities);
  });
}

bool Is(const xmlNode* n, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE &&
         xmlStrEqual(n->name, reinterpret_cast<const xmlChar*>(name));
}

const xmlNode* Child(const xmlNode* n, const char* name) {
  if (n == nullptr) return nullptr;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (Is(c, name)) return c;
  }
  return nullptr;
}

std::vector<const xmlNode*> Children(const xmlNode* n, const char* name) {
  std::vector<const xmlNode*> out;
  if (n == nullptr) return out;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (Is(c, name)) out.push_back(c);
  }
  return out;
}

// Follows a path of element names: Path(n, {"Acct", "Id", "IBAN"}).
const xmlNode* Path(const xmlNode* n, std::initializer_list<const char*> names) {
  for (const char* name : names) n = Child(n, name);
  return n;
}

std::string Text(const xmlNode* n) {
  if (n == nullptr) return "";
  xmlChar* content = xmlNodeGetContent(n);
  if (content == nullptr) return "";
  std::string s(reinterpret_cast<const char*>(content));
  xmlFree(content);
  return std::string(absl::StripAsciiWhitespace(s));
}

std::string Attr(const xmlNode* n, const char* name) {
  if (n == nullptr) return "";
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return "";
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

// A date element holding Dt (2014-12-31) or DtTm (2025-07-23T00:00:00...).
absl::StatusOr<Date> DateOf(const xmlNode* holder) {
  if (const xmlNode* d = Child(holder, "Dt")) return ParseDateAs(Text(d), "%Y-%m-%d");
  if (const xmlNode* dt = Child(holder, "DtTm")) {
    const std::string t = Text(dt);
    return ParseDateAs(t.substr(0, 10), "%Y-%m-%d");
  }
  return absl::InvalidArgumentError("no Dt or DtTm");
}

// Signed pence of an Amt and its CdtDbtInd; the currency must be GBP.
absl::StatusOr<int64_t> SignedAmount(const xmlNode* parent, std::string* field) {
  const xmlNode* amt = Child(parent, "Amt");
  *field = "Amt";
  if (amt == nullptr) return absl::InvalidArgumentError("no Amt");
  const std::string ccy = absl::AsciiStrToUpper(Attr(amt, "Ccy"));
  if (ccy != "GBP") {
    *field = "Amt@Ccy";
    return absl::InvalidArgumentError(
        ccy.empty() ? "no currency given; only GBP is accepted"
                    : absl::StrCat("currency ", ccy, "; only GBP is accepted"));
  }
  absl::StatusOr<int64_t> pence = ParseDecimalPence(Text(amt));
  if (!pence.ok()) return pence.status();
  if (*pence < 0) return absl::InvalidArgumentError("Amt is negative (the sign is CdtDbtInd's)");
  const std::string ind = Text(Child(parent, "CdtDbtInd"));
  *field = "CdtDbtInd";
  if (ind == "CRDT") return *pence;
  if (ind == "DBIT") return -*pence;
  return absl::InvalidArgumentError(
      absl::StrFormat("\"%s\" is neither CRDT nor DBIT", ind.substr(0, 20)));
}

std::string EntryStatus(const xmlNode* ntry) {
  const xmlNode* sts = Child(ntry, "Sts");
  if (const xmlNode* cd = Child(sts, "Cd")) return Text(cd);  // .001.08
  return Text(sts);                                           // .001.02
}

std::string FirstNonEmpty(std::initializer_list<std::string> values) {
  for (const std::string& v : values) {
    if (!v.empty() && v != "NOTPROVIDED") return v;
  }
  return "";
}

std::string PartyName(const xmlNode* parties, const char* role) {
  const xmlNode* p = Child(parties, role);
  if (const xmlNode* nm = Child(p, "Nm")) return Text(nm);
  return Text(Path(p, {"Pty", "Nm"}));  // .001.08
}

}  // namespace

FeedResult ParseCamt053Feed(absl::string_view text, const std::string& source,
                            std::optional<Charset> charset) {
  InitLibxml();
  FeedResult result;
  // libxml2 honours a declared encoding; otherwise it wants UTF-8.
  const absl::string_view head = StripBom(text).substr(0, 200);
  const bool declares = absl::StartsWith(head, "<?xml") &&
                        head.substr(0, head.find("?>")).find("encoding") != absl::string_view::npos;
  std::string decoded;
  const char* encoding = nullptr;
  if (charset || (!declares && Utf8Prefix(text) != text.size())) {
    decoded = DecodeText(text, charset, std::nullopt);
    text = decoded;
    encoding = "UTF-8";
  }
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    result.invalid.push_back({"file", "", "the file is too large"});
    return result;
  }
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(text.data(), static_cast<int>(text.size()), "camt053.xml", encoding,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  if (doc == nullptr) {
    const xmlError* e = xmlGetLastError();
    result.invalid.push_back({"file", "",
                              e != nullptr && e->message != nullptr
                                  ? absl::StrFormat("not well-formed XML (line %d): %s", e->line,
                                                    absl::StripAsciiWhitespace(e->message))
                                  : "not well-formed XML"});
    return result;
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  const xmlNode* stmt_parent = Child(root, "BkToCstmrStmt");
  if (!Is(root, "Document") || stmt_parent == nullptr) {
    std::string what = "not a camt.053 bank-to-customer statement";
    if (Child(root, "BkToCstmrAcctRpt") != nullptr) {
      what =
          "a camt.052 account report (BkToCstmrAcctRpt: intraday, not final), not a camt.053 "
          "statement; nothing was read";
    } else if (Child(root, "BkToCstmrDbtCdtNtfctn") != nullptr) {
      what =
          "a camt.054 debit/credit notification (BkToCstmrDbtCdtNtfctn), not a camt.053 "
          "statement; nothing was read";
    }
    result.invalid.push_back({"file", "BkToCstmrStmt", what});
    return result;
  }
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::string>> balances;
  int s_index = 0;
  for (const xmlNode* stmt : Children(stmt_parent, "Stmt")) {
    const std::string where_st = absl::StrCat("Stmt[", ++s_index, "]");
    const std::string account = FirstNonEmpty(
        {Text(Path(stmt, {"Acct", "Id", "IBAN"})), Text(Path(stmt, {"Acct", "Id", "Othr", "Id"}))});
    if (account.empty()) {
      result.invalid.push_back({where_st, "Acct/Id", "the statement names no account"});
      continue;
    }
    int b_index = 0;
    for (const xmlNode* bal : Children(stmt, "Bal")) {
      const std::string where = absl::StrCat(where_st, "/Bal[", ++b_index, "]");
      if (Text(Path(bal, {"Tp", "CdOrPrtry", "Cd"})) != "CLBD") continue;
      std::string field;
      absl::StatusOr<int64_t> pence = SignedAmount(bal, &field);
      if (!pence.ok()) {
        result.invalid.push_back({where, field, std::string(pence.status().message())});
        continue;
      }
      absl::StatusOr<Date> date = DateOf(Child(bal, "Dt"));
      if (!date.ok()) {
        result.invalid.push_back({where, "Dt", std::string(date.status().message())});
        continue;
      }
      const auto key = std::make_pair(account, date->ToString());
      auto [it, inserted] = balances.emplace(key, std::make_pair(*pence, where));
      if (!inserted) {
        if (it->second.first != *pence) {
          result.conflicts.push_back(
              {where, "Bal",
               absl::StrFormat("a second closing balance for %s on %s: %d pence (%s had %d)",
                               account, key.second, *pence, it->second.second, it->second.first)});
        }
        continue;
      }
      v1::StatementInput s;
      s.set_source(source);
      s.set_account_ref(account);
      s.set_date(date->ToString());
      s.set_closing_balance_pence(*pence);
      result.entries.push_back({where, std::nullopt, std::move(s)});
    }
    int n_index = 0;
    for (const xmlNode* ntry : Children(stmt, "Ntry")) {
      const std::string where = absl::StrCat(where_st, "/Ntry[", ++n_index, "]");
      auto problem = [&](const std::string& field, const std::string& why) {
        result.invalid.push_back({where, field, why});
      };
      const std::string status = EntryStatus(ntry);
      if (status == "PDNG" || status == "INFO") {
        result.skipped.push_back(
            {where, "Sts", absl::StrCat("skipped: ", status, " (not booked)")});
        continue;
      }
      if (status != "BOOK") {
        problem("Sts", absl::StrFormat("\"%s\" is not BOOK, PDNG or INFO", status.substr(0, 20)));
        continue;
      }
      std::string field;
      absl::StatusOr<int64_t> pence = SignedAmount(ntry, &field);
      if (!pence.ok()) {
        problem(field, std::string(pence.status().message()));
        continue;
      }
      if (*pence == 0) {
        problem("Amt", "is zero");
        continue;
      }
      absl::StatusOr<Date> date = DateOf(Child(ntry, "BookgDt"));
      if (!date.ok()) {
        problem("BookgDt", std::string(date.status().message()));
        continue;
      }
      const xmlNode* tx = Path(ntry, {"NtryDtls", "TxDtls"});
      // The servicer's reference, with the entry's own where it has both
      // (banks reuse AcctSvcrRef on distinct entries).
      const std::string servicer = FirstNonEmpty({Text(Child(ntry, "AcctSvcrRef"))});
      const std::string entry_ref = FirstNonEmpty({Text(Child(ntry, "NtryRef"))});
      std::string id =
          FirstNonEmpty({servicer, entry_ref, Text(Path(tx, {"Refs", "AcctSvcrRef"})),
                         Text(Path(tx, {"Refs", "TxId"})), Text(Path(tx, {"Refs", "EndToEndId"}))});
      if (!servicer.empty() && !entry_ref.empty() && servicer != entry_ref) {
        id = absl::StrCat(servicer, "/", entry_ref);
      }
      if (id.empty()) {
        problem("AcctSvcrRef", "no id: none of AcctSvcrRef, NtryRef, TxId or EndToEndId is given");
        continue;
      }
      v1::TransactionInput t;
      t.set_source(source);
      t.set_account_ref(account);
      t.set_external_id(id);
      t.set_booking_date(date->ToString());
      t.set_amount_pence(*pence);
      const xmlNode* parties = Child(tx, "RltdPties");
      const std::string counterparty = PartyName(parties, *pence < 0 ? "Cdtr" : "Dbtr");
      if (!counterparty.empty()) t.set_counterparty(counterparty);
      std::vector<std::string> remittance;
      for (const xmlNode* u : Children(Child(tx, "RmtInf"), "Ustrd")) remittance.push_back(Text(u));
      std::string description = absl::StrJoin(remittance, " ");
      if (description.empty()) description = Text(Child(ntry, "AddtlNtryInf"));
      if (Text(Child(ntry, "RvslInd")) == "true") {
        description = description.empty() ? "reversal" : absl::StrCat("reversal: ", description);
      }
      if (!description.empty()) t.set_description(description);
      result.entries.push_back({where, std::move(t), std::nullopt});
    }
  }
  MakeIdsUnique(&result, /*alike_are_distinct=*/true);
  return result;
}

}  // namespace dpmon::feeds
