// PostgreSQL's half of bench/compare.sh: the design a good team would build
// dpmon on PostgreSQL 15 with (docs/benchmarks.md says why it is a fair
// opponent), loaded with the same council as dpmon's half and measured the
// same way. libpq, prepared statements, 1,000 rows a commit, the balance and
// the per-day and per-month category totals kept in the same transaction as
// the rows, idempotent by a unique (council, source, external_id) key.
//
// The daily evaluation reads every account's figures as of a date in one
// set-based query and applies rules 2-7, 14 and 15 (DOMAIN.md) in the client,
// with the default policy; its flags are kept as dpmon keeps them (raised,
// updated, cleared).
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bench/compare_data.h"
#include "bench/stats.h"

ABSL_FLAG(std::string, conninfo, "", "libpq connection string.");
ABSL_FLAG(int, accounts, 2500, "Accounts in the council.");
ABSL_FLAG(int, months, 24, "Months of history, ending 2025-12-31.");
ABSL_FLAG(int, per_month, 30, "Debits an account makes a month.");
ABSL_FLAG(uint64_t, seed, 1, "The generator's seed.");
ABSL_FLAG(int, calls, 2000, "Calls for each latency figure.");

namespace {

using dpmon::bench::PrintLatency;

using dpmon::Date;
using dpmon::bench::CompareAccount;
using dpmon::bench::CompareItem;
using dpmon::bench::CompareSpec;
namespace v1 = dpmon::v1;

PGconn* conn = nullptr;

// Runs a statement that must succeed; exits otherwise.
PGresult* Must(PGresult* r, const char* what) {
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "%s: %s\n", what, PQerrorMessage(conn));
    std::exit(1);
  }
  return r;
}
void Exec(const std::string& sql) { PQclear(Must(PQexec(conn, sql.c_str()), sql.c_str())); }
void Prepare(const char* name, const std::string& sql) {
  PQclear(Must(PQprepare(conn, name, sql.c_str(), 0, nullptr), name));
}
PGresult* Run(const char* name, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  return Must(PQexecPrepared(conn, name, static_cast<int>(values.size()), values.data(), nullptr,
                             nullptr, 0),
              name);
}

// A PostgreSQL array literal of plain tokens (ids, dates, numbers: nothing
// that needs quoting).
std::string Array(const std::vector<std::string>& v) {
  return absl::StrCat("{", absl::StrJoin(v, ","), "}");
}

int64_t Int(PGresult* r, int row, int col) {
  int64_t v = 0;
  if (!PQgetisnull(r, row, col) && !absl::SimpleAtoi(PQgetvalue(r, row, col), &v)) {
    std::fprintf(stderr, "not a number: %s\n", PQgetvalue(r, row, col));
    std::exit(1);
  }
  return v;
}
std::optional<Date> DateAt(PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  absl::StatusOr<Date> d = Date::Parse(PQgetvalue(r, row, col));
  if (!d.ok()) {
    std::fprintf(stderr, "not a date: %s\n", PQgetvalue(r, row, col));
    std::exit(1);
  }
  return *d;
}

std::string DebitCategories() {
  std::vector<std::string> out;
  for (v1::Category c :
       {v1::PA_WAGES, v1::PAYE_NI, v1::PENSION, v1::EMPLOYER_INSURANCE, v1::PAYROLL_SERVICE,
        v1::AGENCY_CARE, v1::RESPITE, v1::DAY_SERVICES, v1::EQUIPMENT, v1::TRANSPORT,
        v1::BANK_CHARGES, v1::CASH_WITHDRAWAL, v1::OTHER}) {
    out.push_back(absl::StrCat(static_cast<int>(c)));
  }
  return absl::StrJoin(out, ",");
}

void CreateSchema() {
  Exec("DROP TABLE IF EXISTS flags, statements, month_totals, day_totals, transactions, accounts");
  Exec(
      "CREATE TABLE accounts (id int PRIMARY KEY, council text NOT NULL, ref text NOT NULL, "
      "bank bool NOT NULL, start_date date NOT NULL, weekly_dp bigint NOT NULL, "
      "weekly_contribution bigint NOT NULL, cycle_days int NOT NULL, "
      "balance bigint NOT NULL DEFAULT 0, txn_count bigint NOT NULL DEFAULT 0, "
      "UNIQUE (council, ref))");
  Exec(
      "CREATE TABLE transactions (council text NOT NULL, source text NOT NULL, "
      "external_id text NOT NULL, account_id int NOT NULL, booking_date date NOT NULL, "
      "amount bigint NOT NULL, category smallint NOT NULL, mcc text, "
      "PRIMARY KEY (council, source, external_id))");
  // An account's transactions by date (its page, its audit pack).
  Exec("CREATE INDEX transactions_by_account ON transactions (account_id, booking_date)");
  Exec(
      "CREATE TABLE day_totals (account_id int NOT NULL, day date NOT NULL, "
      "category smallint NOT NULL, net bigint NOT NULL, n int NOT NULL, "
      "PRIMARY KEY (account_id, day, category))");
  Exec(
      "CREATE TABLE month_totals (account_id int NOT NULL, month date NOT NULL, "
      "category smallint NOT NULL, net bigint NOT NULL, n int NOT NULL, "
      "PRIMARY KEY (account_id, month, category))");
  Exec(
      "CREATE TABLE statements (account_id int NOT NULL, date date NOT NULL, "
      "closing bigint NOT NULL, PRIMARY KEY (account_id, date))");
  Exec(
      "CREATE TABLE flags (council text NOT NULL, account_id int NOT NULL, kind smallint NOT "
      "NULL, severity smallint NOT NULL, state smallint NOT NULL, amount bigint, date date, "
      "raised_on date NOT NULL, PRIMARY KEY (council, account_id, kind))");
  Exec("CREATE INDEX flags_open ON flags (council, state, severity DESC, raised_on, account_id)");
}

void PrepareStatements() {
  // One round trip for 1,000 transactions: the rows (duplicates dropped by
  // the key), then the day and month totals and the balance of what was new.
  Prepare("ingest",
          "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], "
          "$5::smallint[], $6::text[]) AS t(external_id, ref, booking_date, amount, category, "
          "mcc)), "
          "ins AS (INSERT INTO transactions (council, source, external_id, account_id, "
          "booking_date, amount, category, mcc) SELECT 'cmp', 'cmp', i.external_id, a.id, "
          "i.booking_date, i.amount, i.category, nullif(i.mcc, '') FROM input i JOIN accounts a "
          "ON a.council = 'cmp' AND a.ref = i.ref ON CONFLICT DO NOTHING "
          "RETURNING account_id, booking_date, amount, category), "
          "d AS (INSERT INTO day_totals SELECT account_id, booking_date, category, "
          "sum(amount)::bigint, count(*)::int FROM ins GROUP BY 1, 2, 3 "
          "ON CONFLICT (account_id, day, category) DO UPDATE SET net = day_totals.net + "
          "excluded.net, n = day_totals.n + excluded.n), "
          "m AS (INSERT INTO month_totals SELECT account_id, date_trunc('month', "
          "booking_date)::date, category, sum(amount)::bigint, count(*)::int FROM ins "
          "GROUP BY 1, 2, 3 ON CONFLICT (account_id, month, category) DO UPDATE SET net = "
          "month_totals.net + excluded.net, n = month_totals.n + excluded.n), "
          "b AS (UPDATE accounts a SET balance = a.balance + s.net, txn_count = a.txn_count + "
          "s.n FROM (SELECT account_id, sum(amount)::bigint AS net, count(*) AS n FROM ins "
          "GROUP BY 1) s WHERE a.id = s.account_id) "
          "SELECT count(*) FROM ins");
  Prepare("statements",
          "INSERT INTO statements SELECT a.id, s.date, s.closing FROM unnest($1::text[], "
          "$2::date[], $3::bigint[]) AS s(ref, date, closing) JOIN accounts a ON a.council = "
          "'cmp' AND a.ref = s.ref ON CONFLICT DO NOTHING");
  // Balance as of a date: the months before its month, then its days.
  Prepare("balance",
          "SELECT coalesce((SELECT sum(net) FROM month_totals WHERE account_id = $1 AND month < "
          "date_trunc('month', $2::date)), 0) + coalesce((SELECT sum(net) FROM day_totals WHERE "
          "account_id = $1 AND day >= date_trunc('month', $2::date) AND day <= $2::date), 0)");
  Prepare("year_totals",
          "SELECT category, sum(net), sum(n) FROM month_totals WHERE account_id = $1 AND month "
          ">= $2::date AND month <= $3::date GROUP BY category");
  const std::string contribution = absl::StrCat(static_cast<int>(v1::CLIENT_CONTRIBUTION));
  const std::string payment = absl::StrCat(static_cast<int>(v1::COUNCIL_PAYMENT));
  Prepare(
      "evaluate",
      absl::StrCat(
          "WITH p AS (SELECT $1::date AS d, date_trunc('month', $1::date)::date AS m), "
          "bm AS (SELECT account_id, sum(net) AS net FROM month_totals, p WHERE month < p.m "
          "GROUP BY account_id), "
          "bd AS (SELECT account_id, sum(net) AS net FROM day_totals, p WHERE day >= p.m AND "
          "day <= p.d GROUP BY account_id), "
          "w AS (SELECT t.account_id, -coalesce(sum(t.net) FILTER (WHERE t.category IN (",
          DebitCategories(),
          ")), 0) AS spend, coalesce(sum(t.net) FILTER (WHERE t.category = ", contribution,
          "), 0) AS received FROM day_totals t JOIN accounts a ON a.id = t.account_id, p WHERE "
          "t.day >= greatest(p.d - 83, a.start_date) AND t.day <= p.d GROUP BY t.account_id) "
          "SELECT a.id, a.bank, a.start_date, a.weekly_dp, a.weekly_contribution, a.cycle_days, "
          "coalesce(bm.net, 0) + coalesce(bd.net, 0), coalesce(w.spend, 0), "
          "coalesce(w.received, 0), lp.day, lf.day, st.date, st.closing, sl.ledger "
          "FROM accounts a CROSS JOIN p "
          "LEFT JOIN bm ON bm.account_id = a.id LEFT JOIN bd ON bd.account_id = a.id "
          "LEFT JOIN w ON w.account_id = a.id "
          "LEFT JOIN LATERAL (SELECT day FROM day_totals WHERE account_id = a.id AND category = ",
          payment,
          " AND day <= p.d ORDER BY day DESC LIMIT 1) lp ON true "
          "LEFT JOIN LATERAL (SELECT day FROM day_totals WHERE account_id = a.id AND day <= p.d "
          "ORDER BY day DESC LIMIT 1) lf ON true "
          "LEFT JOIN LATERAL (SELECT date, closing FROM statements WHERE account_id = a.id AND "
          "date <= p.d ORDER BY date DESC LIMIT 1) st ON true "
          "LEFT JOIN LATERAL (SELECT coalesce((SELECT sum(net) FROM month_totals WHERE "
          "account_id = a.id AND month < date_trunc('month', st.date)), 0) + coalesce((SELECT "
          "sum(net) FROM day_totals WHERE account_id = a.id AND day >= date_trunc('month', "
          "st.date) AND day <= st.date), 0) AS ledger) sl ON st.date IS NOT NULL "
          "WHERE a.council = 'cmp' ORDER BY a.id"));
  // Keep the flags as dpmon does: new ones raised, changed ones updated,
  // those whose condition stopped holding cleared.
  const std::string open = absl::StrCat(static_cast<int>(v1::OPEN));
  const std::string acknowledged = absl::StrCat(static_cast<int>(v1::ACKNOWLEDGED));
  const std::string cleared = absl::StrCat(static_cast<int>(v1::CLEARED));
  Prepare("flags_upsert",
          absl::StrCat(
              "INSERT INTO flags SELECT 'cmp', f.account_id, f.kind, f.severity, ", open,
              ", f.amount, f.date, $6::date FROM unnest($1::int[], $2::smallint[], "
              "$3::smallint[], $4::bigint[], $5::date[]) AS f(account_id, kind, severity, amount, "
              "date) ON CONFLICT (council, account_id, kind) DO UPDATE SET amount = "
              "excluded.amount, date = excluded.date, state = CASE WHEN flags.state = ",
              cleared, " THEN ", open, " ELSE flags.state END WHERE flags.state = ", cleared,
              " OR (flags.amount, flags.date) IS DISTINCT FROM (excluded.amount, excluded.date)"));
  Prepare("flags_clear",
          absl::StrCat("UPDATE flags f SET state = ", cleared,
                       " WHERE f.council = 'cmp' AND f.state IN (", open, ", ", acknowledged,
                       ") AND NOT EXISTS (SELECT 1 FROM unnest($1::int[], $2::smallint[]) AS "
                       "n(account_id, kind) WHERE n.account_id = f.account_id AND n.kind = "
                       "f.kind)"));
  // The reads alone, timed inside the server (what dpmon's in-process
  // timing is set beside): the same statements, planned once by PL/pgSQL.
  Exec(
      "CREATE OR REPLACE FUNCTION bench_balance(ids int[], days date[]) RETURNS SETOF float8 "
      "LANGUAGE plpgsql AS $$ DECLARE t0 timestamptz; b bigint; BEGIN "
      "FOR i IN 1..array_length(ids, 1) LOOP t0 := clock_timestamp(); "
      "SELECT coalesce((SELECT sum(net) FROM month_totals WHERE account_id = ids[i] AND month < "
      "date_trunc('month', days[i])), 0) + coalesce((SELECT sum(net) FROM day_totals WHERE "
      "account_id = ids[i] AND day >= date_trunc('month', days[i]) AND day <= days[i]), 0) INTO b; "
      "RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1e6; END LOOP; END $$");
  Exec(
      "CREATE OR REPLACE FUNCTION bench_year_totals(ids int[], first date, last date) RETURNS "
      "SETOF float8 LANGUAGE plpgsql AS $$ DECLARE t0 timestamptz; r record; BEGIN "
      "FOR i IN 1..array_length(ids, 1) LOOP t0 := clock_timestamp(); "
      "FOR r IN SELECT category, sum(net), sum(n) FROM month_totals WHERE account_id = ids[i] AND "
      "month >= first AND month <= last GROUP BY category LOOP NULL; END LOOP; "
      "RETURN NEXT extract(epoch FROM clock_timestamp() - t0) * 1e6; END LOOP; END $$");
  Prepare("flags_page",
          absl::StrCat("SELECT account_id, kind, severity, amount, date FROM flags WHERE council = "
                       "'cmp' AND state = ",
                       open, " ORDER BY severity DESC, raised_on, account_id LIMIT 50"));
}

struct Flag {
  int account;
  v1::FlagKind kind;
  std::optional<int64_t> amount;
  std::optional<Date> date;
};

int Severity(v1::FlagKind k) {
  return k == v1::DEFICIT || k == v1::RECONCILIATION_MISMATCH ? v1::CRITICAL : v1::WARNING;
}

// Rules 2-7, 14 and 15 for every account as of `d`, with the default policy.
std::vector<Flag> Evaluate(Date d) {
  PGresult* r = Run("evaluate", {d.ToString()});
  std::vector<Flag> out;
  for (int row = 0; row < PQntuples(r); ++row) {
    const int id = static_cast<int>(Int(r, row, 0));
    const bool bank = PQgetvalue(r, row, 1)[0] == 't';
    const Date start = *DateAt(r, row, 2);
    const int64_t dp = Int(r, row, 3), contribution = Int(r, row, 4);
    const int cycle = static_cast<int>(Int(r, row, 5));
    const int64_t balance = Int(r, row, 6), spend = Int(r, row, 7), received = Int(r, row, 8);
    const std::optional<Date> last_payment = DateAt(r, row, 9), last_txn = DateAt(r, row, 10),
                              statement = DateAt(r, row, 11);
    const int64_t closing = Int(r, row, 12), ledger = Int(r, row, 13);
    if (d < start) continue;
    const int length = d - std::max(d.AddDays(-83), start) + 1;
    const int64_t planned = dp * length / 7, expected = contribution * length / 7;
    auto add = [&](v1::FlagKind k, std::optional<int64_t> amount, std::optional<Date> date) {
      out.push_back(Flag{id, k, amount, date});
    };
    if (balance < 0) add(v1::DEFICIT, -balance, std::nullopt);
    if (balance > 8 * dp) add(v1::SURPLUS, balance - 8 * dp, std::nullopt);
    if (length >= 28 && spend * 100 > 110 * planned) add(v1::OVERSPEND, spend - planned, {});
    if (length == 84 && spend * 100 < 50 * planned) add(v1::UNDERSPEND, planned - spend, {});
    if (length >= 28 && contribution > 0 && expected - received > 4 * contribution) {
      add(v1::CONTRIBUTION_ARREARS, expected - received, std::nullopt);
    }
    const Date paid = last_payment.value_or(start);
    if (dp - contribution > 0 && d - paid > cycle + 5) add(v1::MISSED_PAYMENT, {}, paid);
    Date feed = start;
    if (last_txn) feed = std::max(feed, *last_txn);
    if (statement) feed = std::max(feed, *statement);
    if (d - feed > (bank ? 35 : 7)) add(v1::FEED_STALE, std::nullopt, feed);
    if (statement && closing != ledger) {
      add(v1::RECONCILIATION_MISMATCH, closing - ledger, statement);
    }
  }
  PQclear(r);
  return out;
}

void StoreFlags(const std::vector<Flag>& flags, Date d) {
  std::vector<std::string> ids, kinds, severities, amounts, dates;
  for (const Flag& f : flags) {
    ids.push_back(absl::StrCat(f.account));
    kinds.push_back(absl::StrCat(static_cast<int>(f.kind)));
    severities.push_back(absl::StrCat(Severity(f.kind)));
    amounts.push_back(f.amount ? absl::StrCat(*f.amount) : "NULL");
    dates.push_back(f.date ? f.date->ToString() : "NULL");
  }
  Exec("BEGIN");
  PQclear(Run("flags_upsert", {Array(ids), Array(kinds), Array(severities), Array(amounts),
                               Array(dates), d.ToString()}));
  PQclear(Run("flags_clear", {Array(ids), Array(kinds)}));
  Exec("COMMIT");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  CompareSpec spec;
  spec.accounts = absl::GetFlag(FLAGS_accounts);
  spec.months = absl::GetFlag(FLAGS_months);
  spec.per_month = absl::GetFlag(FLAGS_per_month);
  spec.seed = absl::GetFlag(FLAGS_seed);
  conn = PQconnectdb(absl::GetFlag(FLAGS_conninfo).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "connect: %s\n", PQerrorMessage(conn));
    return 1;
  }
  PGresult* settings = Must(
      PQexec(conn,
             "SELECT current_setting('server_version'), current_setting('fsync'), "
             "current_setting('synchronous_commit'), current_setting('shared_buffers'), "
             "current_setting('wal_level'), current_setting('max_parallel_workers_per_gather')"),
      "settings");
  std::printf(
      "setting server_version %s\nsetting fsync %s\nsetting synchronous_commit %s\n"
      "setting shared_buffers %s\nsetting wal_level %s\n"
      "setting max_parallel_workers_per_gather %s\n",
      PQgetvalue(settings, 0, 0), PQgetvalue(settings, 0, 1), PQgetvalue(settings, 0, 2),
      PQgetvalue(settings, 0, 3), PQgetvalue(settings, 0, 4), PQgetvalue(settings, 0, 5));
  PQclear(settings);
  CreateSchema();
  std::vector<CompareAccount> accounts;
  for (int i = 0; i < spec.accounts; ++i) accounts.push_back(MakeCompareAccount(spec, i));
  absl::Time t0 = absl::Now();
  Exec("BEGIN");
  for (size_t i = 0; i < accounts.size(); ++i) {
    const CompareAccount& a = accounts[i];
    Exec(absl::StrCat(
        "INSERT INTO accounts (id, council, ref, bank, start_date, weekly_dp, "
        "weekly_contribution, cycle_days) VALUES (",
        i, ", 'cmp', '", a.ref, "', ", a.bank ? "true" : "false", ", '", spec.start().ToString(),
        "', ", a.weekly_dp_pence, ", ", a.weekly_contribution_pence, ", ", a.cycle_days, ")"));
  }
  Exec("COMMIT");
  std::printf("accounts_made_s %.2f\n", absl::ToDoubleSeconds(absl::Now() - t0));
  PrepareStatements();

  std::vector<CompareItem> items;
  GenerateCompare(spec, accounts, [&](const CompareItem& i) { items.push_back(i); });
  int64_t transactions = 0, inserted = 0;
  t0 = absl::Now();
  for (size_t next = 0; next < items.size();) {
    std::vector<std::string> ext, ref, date, amount, category, mcc, s_ref, s_date, s_closing;
    for (int k = 0; k < 1000 && next < items.size(); ++k, ++next) {
      const CompareItem& i = items[next];
      const CompareAccount& a = accounts[i.account];
      if (i.statement) {
        s_ref.push_back(a.ref);
        s_date.push_back(i.date.ToString());
        s_closing.push_back(absl::StrCat(i.amount_pence));
      } else {
        ext.push_back(i.external_id);
        ref.push_back(a.ref);
        date.push_back(i.date.ToString());
        amount.push_back(absl::StrCat(i.amount_pence));
        category.push_back(absl::StrCat(static_cast<int>(i.category)));
        mcc.push_back(i.mcc.empty() ? "\"\"" : i.mcc);
        ++transactions;
      }
    }
    Exec("BEGIN");
    if (!ext.empty()) {
      PGresult* r = Run("ingest", {Array(ext), Array(ref), Array(date), Array(amount),
                                   Array(category), Array(mcc)});
      inserted += Int(r, 0, 0);
      PQclear(r);
    }
    if (!s_ref.empty()) {
      PQclear(Run("statements", {Array(s_ref), Array(s_date), Array(s_closing)}));
    }
    Exec("COMMIT");
  }
  const double ingest_s = absl::ToDoubleSeconds(absl::Now() - t0);
  if (inserted != transactions) {
    std::fprintf(stderr, "inserted %lld of %lld\n", static_cast<long long>(inserted),
                 static_cast<long long>(transactions));
    return 1;
  }
  std::printf("transactions %lld\nstatements %lld\ningest_s %.2f\ningest_tps %.0f\n",
              static_cast<long long>(transactions),
              static_cast<long long>(items.size() - transactions), ingest_s,
              transactions / ingest_s);
  // What a team does after a bulk load, and what dpmon's half gets (its
  // compactions finished): the visibility map and statistics made, the
  // load's dirty buffers written out; not timed.
  const absl::Time settle = absl::Now();
  Exec("VACUUM (ANALYZE)");
  Exec("CHECKPOINT");
  std::printf("settled_after_load_s %.0f\n", absl::ToDoubleSeconds(absl::Now() - settle));

  const int calls = absl::GetFlag(FLAGS_calls);
  const int days = spec.end - spec.start() + 1;
  std::mt19937_64 rng(spec.seed + 7);  // The same draws as dpmon's half.
  std::vector<double> lat;
  // Timed on the second pass over the same draws, as dpmon's half.
  for (int pass = 0; pass < 2; ++pass) {
    rng.seed(spec.seed + 7);
    lat.clear();
    for (int k = 0; k < calls; ++k) {
      const std::string id = absl::StrCat(rng() % accounts.size());
      const std::string d = spec.start().AddDays(static_cast<int>(rng() % days)).ToString();
      absl::Time c0 = absl::Now();
      PQclear(Run("balance", {id, d}));
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    }
    if (pass == 1) PrintLatency("balance", lat);
    lat.clear();
    const Date year = spec.end.FirstOfYear();
    for (int k = 0; k < calls; ++k) {
      const std::string id = absl::StrCat(rng() % accounts.size());
      absl::Time c0 = absl::Now();
      PQclear(Run("year_totals", {id, year.ToString(), spec.end.ToString()}));
      lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    }
    if (pass == 1) PrintLatency("year_totals", lat);
  }
  const Date year = spec.end.FirstOfYear();

  // The same draws again, timed inside the server.
  {
    std::mt19937_64 again(spec.seed + 7);
    std::vector<std::string> ids, dates, year_ids;
    for (int k = 0; k < calls; ++k) {
      ids.push_back(absl::StrCat(again() % accounts.size()));
      dates.push_back(spec.start().AddDays(static_cast<int>(again() % days)).ToString());
    }
    for (int k = 0; k < calls; ++k) year_ids.push_back(absl::StrCat(again() % accounts.size()));
    for (auto [figure, sql, params] :
         {std::tuple{"engine_balance", "SELECT * FROM bench_balance($1::int[], $2::date[])",
                     std::vector<std::string>{Array(ids), Array(dates)}},
          std::tuple{
              "engine_year_totals",
              "SELECT * FROM bench_year_totals($1::int[], $2::date, $3::date)",
              std::vector<std::string>{Array(year_ids), year.ToString(), spec.end.ToString()}}}) {
      std::vector<const char*> values;
      for (const std::string& p : params) values.push_back(p.c_str());
      // Twice, as dpmon's engine figures: the second is kept.
      PQclear(Must(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                                nullptr, nullptr, 0),
                   figure));
      PGresult* r = Must(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                      values.data(), nullptr, nullptr, 0),
                         figure);
      lat.clear();
      for (int row = 0; row < PQntuples(r); ++row) lat.push_back(std::atof(PQgetvalue(r, row, 0)));
      PQclear(r);
      PrintLatency(figure, lat);
    }
  }

  std::vector<Flag> flags;
  for (const char* figure : {"evaluate_first_s", "evaluate_again_s"}) {
    absl::Time c0 = absl::Now();
    flags = Evaluate(spec.end);
    StoreFlags(flags, spec.end);
    std::printf("%s %.3f\n", figure, absl::ToDoubleSeconds(absl::Now() - c0));
  }
  std::map<std::string, int64_t> by_kind;
  for (const Flag& f : flags) ++by_kind[v1::FlagKind_Name(f.kind)];
  for (const auto& [kind, n] : by_kind) {
    std::printf("flags_%s %lld\n", kind.c_str(), static_cast<long long>(n));
  }
  lat.clear();
  for (int k = 0; k < calls; ++k) {
    absl::Time c0 = absl::Now();
    PGresult* r = Run("flags_page", {});
    lat.push_back(absl::ToDoubleMicroseconds(absl::Now() - c0));
    if (PQntuples(r) != static_cast<int>(std::min<size_t>(50, flags.size()))) {
      std::fprintf(stderr, "first page of flags: %d\n", PQntuples(r));
      return 1;
    }
    PQclear(r);
  }
  PrintLatency("flags_page", lat);
  PGresult* size = Must(PQexec(conn, "SELECT pg_database_size(current_database())"), "size");
  std::printf("bytes_on_disk %s\n", PQgetvalue(size, 0, 0));
  PQclear(size);
  PQfinish(conn);
  return 0;
}
