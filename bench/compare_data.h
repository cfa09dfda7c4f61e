// The council bench/compare.sh loads into dpmon and into PostgreSQL: the same
// accounts and the same transactions and statements, in the same order, from
// a seed. Every account starts on the history's first day with one support
// plan; its spending runs at its own share of the plan, so that the rules
// have something to find: deficits and surpluses, over- and underspending,
// contributions that stop, council payments that stop, card feeds that go
// quiet and statements that do not reconcile.
#ifndef DPMON_BENCH_COMPARE_DATA_H_
#define DPMON_BENCH_COMPARE_DATA_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/civil_date.h"
#include "dpmon/v1/resources.pb.h"

namespace dpmon::bench {

struct CompareSpec {
  int accounts = 2500;
  int months = 24;
  int per_month = 30;  // Debits an account makes a month, about.
  uint64_t seed = 1;
  // The history ends on `end` (the evaluation date); it starts `months`
  // earlier, on the first of a month.
  Date end = *Date::FromYmd(2025, 12, 31);
  Date start() const { return AddMonths(end.AddDays(1), -months); }
};

struct CompareAccount {
  std::string id;   // "A000001"
  std::string ref;  // Its reference in the "cmp" feed.
  bool bank = false;
  int64_t weekly_dp_pence = 0;
  int64_t weekly_contribution_pence = 0;
  int cycle_days = 7;  // 7 (WEEKLY) or 28 (FOUR_WEEKLY).
  int spend_percent = 100;
  bool feed_stops = false;          // Nothing in the last 20 days.
  bool payments_stop = false;       // No council payment in the last 60 days.
  bool contributions_stop = false;  // No contribution in the last 70 days.
  bool last_statement_off = false;  // The last statement is £1 out.
};

inline CompareAccount MakeCompareAccount(const CompareSpec& spec, int i) {
  std::mt19937_64 rng(spec.seed * 1000003 + static_cast<uint64_t>(i));
  CompareAccount a;
  char id[16];
  std::snprintf(id, sizeof id, "A%06d", i);
  a.id = id;
  a.ref = absl::StrCat("acct-", i);
  a.bank = i % 5 == 0;
  a.weekly_dp_pence = 15000 + static_cast<int64_t>(rng() % 45000);
  a.weekly_contribution_pence = i % 2 == 0 ? 1000 + static_cast<int64_t>(rng() % 4000) : 0;
  a.cycle_days = i % 3 == 0 ? 28 : 7;
  a.spend_percent = 40 + static_cast<int>(rng() % 90);
  a.feed_stops = !a.bank && i % 23 == 0;
  a.payments_stop = i % 17 == 0;
  a.contributions_stop = a.weekly_contribution_pence > 0 && i % 7 == 0;
  a.last_statement_off = i % 50 == 0;
  return a;
}

struct CompareItem {
  int account = 0;
  bool statement = false;
  std::string external_id;
  Date date;
  int64_t amount_pence = 0;  // A transaction's; a statement's closing balance.
  v1::Category category = v1::CATEGORY_UNSPECIFIED;
  std::string mcc;
};

// Every item of the history, day by day and account by account within a day
// (the order a daily feed sends them in).
inline void GenerateCompare(const CompareSpec& spec, const std::vector<CompareAccount>& accounts,
                            const std::function<void(const CompareItem&)>& emit) {
  static const v1::Category kDebits[] = {v1::PA_WAGES,    v1::PA_WAGES,  v1::AGENCY_CARE,
                                         v1::AGENCY_CARE, v1::RESPITE,   v1::DAY_SERVICES,
                                         v1::EQUIPMENT,   v1::TRANSPORT, v1::OTHER};
  static const char* const kMccs[] = {"5411", "5812", "4111", "5999", "8099", "5311"};
  const Date start = spec.start();
  std::vector<int64_t> balance(accounts.size(), 0);
  std::vector<int64_t> serial(accounts.size(), 0);
  std::mt19937_64 rng(spec.seed);
  CompareItem item;
  for (Date day = start; day <= spec.end; day = day.AddDays(1)) {
    const int n = day - start;
    const int left = spec.end - day;  // Days from here to the end.
    const bool month_end = day.AddDays(1).day() == 1;
    for (size_t i = 0; i < accounts.size(); ++i) {
      const CompareAccount& a = accounts[i];
      if (a.feed_stops && left < 20) continue;
      auto send = [&](int64_t amount, v1::Category category, const std::string& mcc) {
        item.account = static_cast<int>(i);
        item.statement = false;
        item.external_id = absl::StrCat(a.ref, "-", serial[i]++);
        item.date = day;
        item.amount_pence = amount;
        item.category = category;
        item.mcc = mcc;
        balance[i] += amount;
        emit(item);
      };
      const int64_t share = a.weekly_dp_pence - a.weekly_contribution_pence;
      if ((n + static_cast<int>(i)) % a.cycle_days == 0 && !(a.payments_stop && left < 60)) {
        send(share * a.cycle_days / 7, v1::COUNCIL_PAYMENT, "");
      }
      if (a.weekly_contribution_pence > 0 && (n + static_cast<int>(i)) % 7 == 3 &&
          !(a.contributions_stop && left < 70)) {
        send(a.weekly_contribution_pence, v1::CLIENT_CONTRIBUTION, "");
      }
      // About per_month debits a month, spread evenly over the days.
      const int debits = static_cast<int>(int64_t{spec.per_month} * (n + 1) * 100 / 3044 -
                                          int64_t{spec.per_month} * n * 100 / 3044);
      for (int k = 0; k < debits; ++k) {
        const int64_t mean =
            a.weekly_dp_pence * a.spend_percent * 3044 / (100 * 7 * 100 * spec.per_month);
        const int64_t amount = std::max<int64_t>(1, mean * (50 + rng() % 101) / 100);
        const uint64_t r = rng() % 1000;
        // About 1 in 200 at an off-licence (restricted), 1 in 200 cash.
        const std::string mcc = r < 5 ? "5921" : r < 10 ? "6011" : kMccs[r % 6];
        send(-amount, kDebits[rng() % 9], mcc);
      }
      if (month_end) {
        item.account = static_cast<int>(i);
        item.statement = true;
        item.external_id.clear();
        item.date = day;
        item.amount_pence = balance[i] + (a.last_statement_off && day == spec.end ? 100 : 0);
        item.category = v1::CATEGORY_UNSPECIFIED;
        item.mcc.clear();
        emit(item);
      }
    }
  }
}

}  // namespace dpmon::bench

#endif  // DPMON_BENCH_COMPARE_DATA_H_
