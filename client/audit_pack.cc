#include "client/audit_pack.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/money.h"
#include "google/protobuf/util/json_util.h"

namespace dpmon {
namespace {

using Row = std::vector<std::string>;

std::string Csv(const Row& header, const std::vector<Row>& rows) {
  std::string out;
  auto line = [&out](const Row& r) {
    std::vector<std::string> fields;
    for (const std::string& f : r) fields.push_back(CsvField(f));
    absl::StrAppend(&out, absl::StrJoin(fields, ","), "\r\n");
  };
  line(header);
  for (const Row& r : rows) line(r);
  return out;
}

std::string P(int64_t pence) { return absl::StrCat(pence); }

using Table = AuditPackTable;

}  // namespace

std::vector<AuditPackTable> AuditPackTables(const v1::AuditPack& p) {
  std::vector<Table> t;
  {
    Table s{"summary.csv", "Summary", {"figure", "pence", "pounds"}, {}, {1}};
    auto add = [&s](const std::string& name, int64_t pence) {
      s.rows.push_back({name, P(pence), PoundsDecimal(pence)});
    };
    add("opening_balance", p.opening_balance_pence());
    add("credits", p.credits_pence());
    add("debits", p.debits_pence());
    add("closing_balance", p.closing_balance_pence());
    add("planned", p.planned_pence());
    add("spend", p.spend_pence());
    add("contributions_expected", p.contributions_expected_pence());
    add("contributions_received", p.contributions_received_pence());
    add("earmarked_at_end", p.earmarked_pence());
    add("available_at_end", p.available_pence());
    add("surplus_threshold", p.surplus_threshold_pence());
    add("reclaimable", p.reclaimable_pence());
    t.push_back(std::move(s));
  }
  {
    Table x{"totals.csv",
            "Credits and debits by category",
            {"category", "direction", "net_pence", "transactions"},
            {},
            {2}};
    for (const auto& c : p.totals()) {
      x.rows.push_back({v1::Category_Name(c.category()), v1::Direction_Name(c.direction()),
                        P(c.net_pence()), absl::StrCat(c.transaction_count())});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{"lines.csv",
            "Planned against actual",
            {"category", "planned_pence", "actual_pence"},
            {},
            {1, 2}};
    for (const auto& l : p.lines()) {
      x.rows.push_back(
          {v1::Category_Name(l.category()), P(l.planned_pence()), P(l.actual_pence())});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{"flagged.csv",
            "Flagged transactions",
            {"date", "kind", "transaction", "amount_pence", "state", "notes"},
            {},
            {3}};
    for (const auto& f : p.flagged_transactions()) {
      std::vector<std::string> notes;
      for (const auto& a : f.actions()) {
        notes.push_back(absl::StrCat(a.at(), " ", v1::FlagState_Name(a.state()), " by ", a.actor(),
                                     ": ", a.note()));
      }
      x.rows.push_back({f.date(), v1::FlagKind_Name(f.kind()), f.subject(),
                        f.has_amount_pence() ? P(f.amount_pence()) : "",
                        v1::FlagState_Name(f.state()), absl::StrJoin(notes, "; ")});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{"earmarks.csv",
            "Earmarks in force in the period",
            {"id", "kind", "amount_pence", "from", "until", "note"},
            {},
            {2}};
    for (const auto& e : p.earmarks()) {
      x.rows.push_back({e.id(), v1::EarmarkKind_Name(e.kind()), P(e.amount_pence()), e.from(),
                        e.until(), e.note()});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{"statements.csv",
            "Statements",
            {"date", "source", "closing_balance_pence", "ledger_balance_pence", "reconciles"},
            {},
            {2, 3}};
    for (const auto& s : p.statements()) {
      x.rows.push_back({s.date(), s.source(), P(s.closing_balance_pence()),
                        P(s.ledger_balance_pence()), s.reconciles() ? "yes" : "NO"});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{"reviews.csv", "Reviews in the period", {"date", "note"}, {}, {}};
    for (const auto& r : p.reviews()) x.rows.push_back({r.date(), r.note()});
    t.push_back(std::move(x));
  }
  {
    Table x{
        "audits.csv", "Audits in the period", {"date", "period_end", "auditor", "note"}, {}, {}};
    for (const auto& a : p.audits()) {
      x.rows.push_back({a.date(), a.period_end(), a.auditor(), a.note()});
    }
    t.push_back(std::move(x));
  }
  {
    Table x{
        "recoveries.csv",
        "Recoveries",
        {"id", "method", "date", "amount_pence", "recovered_pence", "state", "recorded_by", "note"},
        {},
        {3, 4}};
    for (const auto& r : p.recoveries()) {
      x.rows.push_back({r.id(), v1::RecoveryMethod_Name(r.method()), r.date(), P(r.amount_pence()),
                        P(r.recovered_pence()), v1::RecoveryState_Name(r.state()), r.recorded_by(),
                        r.note()});
    }
    t.push_back(std::move(x));
  }
  return t;
}

std::string AuditPackCsv(const AuditPackTable& table) { return Csv(table.header, table.rows); }

namespace {

std::string Html(const v1::AuditPack& p, const std::vector<Table>& tables) {
  std::string h;
  const std::string account = HtmlEscape(p.account().name());
  absl::StrAppend(
      &h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Audit pack ",
      account, " ", p.start_date(), " to ", p.end_date(), "</title>\n",
      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em "
      "0}td,th{border:1px solid #999;padding:.2em .5em;text-align:left}td.m{text-align:right}"
      "h2{page-break-after:avoid}@media print{body{margin:0}}</style>\n</head><body>\n");
  absl::StrAppend(&h, "<h1>Audit pack: ", account, "</h1>\n<p>Period ", p.start_date(), " to ",
                  p.end_date(), ". Management: ", v1::Management_Name(p.management()),
                  ". Risk score ", p.risk().score(), " (flags ", p.risk().flags_points(),
                  ", management ", p.risk().management_points(), ", amount ",
                  p.risk().amount_points(), ", time since audit ", p.risk().audit_age_points(),
                  ").</p>\n");
  for (const Table& t : tables) {
    absl::StrAppend(&h, "<h2>", HtmlEscape(t.title), "</h2>\n");
    if (t.rows.empty()) {
      absl::StrAppend(&h, "<p>None.</p>\n");
      continue;
    }
    absl::StrAppend(&h, "<table>\n<tr>");
    for (size_t i = 0; i < t.header.size(); ++i) {
      if (t.file == "summary.csv" && i == 1) continue;  // Pounds are shown instead.
      absl::StrAppend(&h, "<th>", HtmlEscape(t.header[i]), "</th>");
    }
    absl::StrAppend(&h, "</tr>\n");
    for (const Row& r : t.rows) {
      absl::StrAppend(&h, "<tr>");
      for (size_t i = 0; i < r.size(); ++i) {
        if (t.file == "summary.csv" && i == 1) continue;
        const bool money =
            std::find(t.money_columns.begin(), t.money_columns.end(), i) != t.money_columns.end();
        int64_t pence = 0;
        if (money && !r[i].empty() && absl::SimpleAtoi(r[i], &pence)) {
          absl::StrAppend(&h, "<td class=\"m\">", HtmlEscape(FormatPence(pence)), "</td>");
        } else {
          absl::StrAppend(&h, "<td>", HtmlEscape(r[i]), "</td>");
        }
      }
      absl::StrAppend(&h, "</tr>\n");
    }
    absl::StrAppend(&h, "</table>\n");
  }
  absl::StrAppend(&h, "</body></html>\n");
  return h;
}

}  // namespace

std::string PoundsDecimal(int64_t pence) {
  // Negating INT64_MIN overflows; go through unsigned.
  const bool negative = pence < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(pence) : static_cast<uint64_t>(pence);
  return absl::StrFormat("%s%d.%02d", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> RenderAuditPack(const v1::AuditPack& pack) {
  std::map<std::string, std::string> files;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.add_whitespace = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(pack, &json, o);
  files["pack.json"] = json;
  const std::vector<Table> tables = AuditPackTables(pack);
  for (const Table& t : tables) files[t.file] = Csv(t.header, t.rows);
  files["pack.html"] = Html(pack, tables);
  return files;
}

absl::Status WriteAuditPack(const v1::AuditPack& pack, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  for (const auto& [name, contents] : RenderAuditPack(pack)) {
    if (absl::Status s = WriteFileAtomically(absl::StrCat(dir, "/", name), contents); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace dpmon
