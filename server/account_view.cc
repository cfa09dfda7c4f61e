#include "server/account_view.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/names.h"
#include "storage/proto_domain.h"

namespace dpmon {
namespace {

// Planned amounts over [from, to] clipped to the account's life.
absl::Status Planned(const domain::AccountModel& m, Date from, Date to, bool contribution,
                     int64_t* out) {
  *out = 0;
  from = std::max(from, m.start_date);
  if (to < from) return absl::OkStatus();
  return domain::PlannedOver(m, from, to, contribution, out);
}

}  // namespace

AccountView::AccountView(Store* store, const v1::Policy& policy)
    : store_(store), policy_(PolicyFromProto(policy)) {}

namespace {

// The ids, date and model of an account as of `as_of`, its facts cleared.
absl::Status Begin(const std::string& council_id, const v1::Account& account, Date as_of,
                   AccountAsOf* out) {
  out->council_id = council_id;
  out->account_id = std::string(LastNameSegment(account.name()));
  out->as_of = as_of;
  out->facts = domain::LedgerFacts();
  return AccountModelFromProto(account, &out->model);
}

}  // namespace

absl::Status AccountView::Read(Store::FactsReader* reader, const std::string& council_id,
                               const v1::Account& account, Date as_of, AccountAsOf* out) const {
  if (absl::Status s = Begin(council_id, account, as_of, out); !s.ok()) return s;
  out->window = domain::EvaluationWindow(out->model, policy_, as_of);
  const Date lookback = as_of.AddDays(-policy_.transaction_flag_lookback_days + 1);
  return reader->Read(council_id, out->account_id, as_of, out->window.start, lookback, &out->facts);
}

absl::Status AccountView::ReadBalance(Store::FactsReader* reader, const std::string& council_id,
                                      const v1::Account& account, Date as_of,
                                      AccountAsOf* out) const {
  if (absl::Status s = Begin(council_id, account, as_of, out); !s.ok()) return s;
  out->window = domain::Window{as_of, as_of};
  return reader->Read(council_id, out->account_id, as_of, as_of, as_of, &out->facts);
}

absl::Status AccountView::Flags(const AccountAsOf& a, const v1::Account& account,
                                std::vector<domain::RuleFlag>* out) const {
  if (absl::Status s = domain::EvaluateAccount(a.model, policy_, a.as_of, a.facts, out); !s.ok()) {
    return s;
  }
  if (account.recoveries().empty()) return absl::OkStatus();
  for (domain::RuleFlag& f : *out) {
    if (f.kind != domain::SURPLUS) continue;
    google::protobuf::RepeatedPtrField<v1::Recovery> recoveries = account.recoveries();
    if (absl::Status s =
            RecoveryProgress(a.council_id, a.account_id, a.model, a.as_of, &recoveries);
        !s.ok()) {
      return s;
    }
    std::vector<std::string> parts;
    for (const v1::Recovery& r : recoveries) {
      absl::StatusOr<Date> d = Date::Parse(r.date());
      if (!d.ok() || *d > a.as_of || r.state() != v1::IN_PROGRESS) continue;
      parts.push_back(absl::StrCat("recovery ", r.id(),
                                   " in progress: ", FormatPence(r.recovered_pence()), " of ",
                                   FormatPence(r.amount_pence()), " back (",
                                   v1::RecoveryMethod_Name(r.method()), " since ", r.date(), ")"));
    }
    f.detail = absl::StrJoin(parts, "; ");
  }
  return absl::OkStatus();
}

Date AccountView::FlagsStandUntil(const AccountAsOf& a, const v1::Account& account) const {
  if (!account.recoveries().empty()) return a.as_of.AddDays(1);
  return domain::FlagsStandUntil(a.model, policy_, a.as_of, a.facts);
}

absl::Status AccountView::RecoveryProgress(
    const std::string& council_id, const std::string& account_id, const domain::AccountModel& model,
    Date as_of, google::protobuf::RepeatedPtrField<v1::Recovery>* recoveries) const {
  if (recoveries->empty()) return absl::OkStatus();
  std::vector<domain::Recovery> list;
  if (absl::Status s = RecoveriesFromProto(*recoveries, &list); !s.ok()) return s;
  const std::vector<Date> periods = domain::ProgressPeriods(as_of, list);
  std::vector<domain::RecoverySums> sums(periods.size());
  for (size_t p = 0; p < periods.size(); ++p) {
    const Date from = periods[p];
    const Date to = p + 1 < periods.size() ? periods[p + 1].AddDays(-1) : as_of;
    absl::StatusOr<domain::Totals> t = store_->SumRange(council_id, account_id, from, to);
    if (!t.ok()) return t.status();
    sums[p].returned_pence = -t->net_pence[domain::SlotOf(domain::SURPLUS_RETURN, domain::DEBIT)];
    sums[p].council_paid_pence =
        t->net_pence[domain::SlotOf(domain::COUNCIL_PAYMENT, domain::CREDIT)];
    int64_t dp = 0, contribution = 0;
    if (absl::Status s = Planned(model, from, to, false, &dp); !s.ok()) return s;
    if (absl::Status s = Planned(model, from, to, true, &contribution); !s.ok()) return s;
    absl::StatusOr<int64_t> council_part = SubPence(dp, contribution);
    if (!council_part.ok()) return council_part.status();
    sums[p].council_planned_pence = *council_part;
  }
  if (absl::Status s = domain::ApplyProgress(as_of, periods, sums, &list); !s.ok()) return s;
  for (size_t i = 0; i < list.size(); ++i) {
    RecoveryProgressToProto(list[i], &(*recoveries)[static_cast<int>(i)]);
  }
  return absl::OkStatus();
}

absl::Status AccountView::RecoveriesInForce(const std::string& council_id,
                                            const v1::Account& account,
                                            const domain::AccountModel& model, Date as_of,
                                            std::vector<v1::Recovery>* out) const {
  out->clear();
  google::protobuf::RepeatedPtrField<v1::Recovery> in_force;
  for (const v1::Recovery& r : account.recoveries()) {
    absl::StatusOr<Date> d = Date::Parse(r.date());
    if (d.ok() && *d <= as_of) *in_force.Add() = r;
  }
  if (in_force.empty()) return absl::OkStatus();
  if (absl::Status s =
          RecoveryProgress(council_id, LastNameSegment(account.name()), model, as_of, &in_force);
      !s.ok()) {
    return s;
  }
  out->assign(std::make_move_iterator(in_force.begin()), std::make_move_iterator(in_force.end()));
  return absl::OkStatus();
}

domain::Risk AccountView::RiskOf(const domain::AccountModel& model, int64_t balance_pence,
                                 const std::vector<v1::Flag>& stored_flags, Date as_of) {
  domain::RiskInputs in;
  in.management = model.management;
  in.balance_pence = balance_pence;
  for (const v1::Flag& f : stored_flags) {
    if (f.state() == v1::OPEN || f.state() == v1::ACKNOWLEDGED) {
      in.open_flags.push_back(ToDomain(f.severity()));
    }
  }
  in.last_audit_period_end = model.LastAuditPeriodEnd(as_of);
  in.start_date = model.start_date;
  in.as_of = as_of;
  return domain::RiskOf(in);
}

v1::Flag FlagToProto(const std::string& council_id, const std::string& account_id,
                     const domain::RuleFlag& f) {
  v1::Flag out;
  out.set_account(AccountName(council_id, account_id));
  out.set_kind(ToProto(f.kind));
  out.set_severity(ToProto(f.severity));
  out.set_subject(f.subject);
  if (f.amount_pence) out.set_amount_pence(*f.amount_pence);
  if (f.date) out.set_date(f.date->ToString());
  out.set_detail(f.detail);
  return out;
}

v1::Risk RiskToProto(const domain::Risk& r) {
  v1::Risk out;
  out.set_score(r.score);
  out.set_flags_points(r.flags_points);
  out.set_management_points(r.management_points);
  out.set_amount_points(r.amount_points);
  out.set_audit_age_points(r.audit_age_points);
  out.set_open_flags(r.open_flags);
  return out;
}

}  // namespace dpmon
