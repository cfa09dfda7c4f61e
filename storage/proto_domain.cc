#include "storage/proto_domain.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dpmon {

// Every enumerator of domain/types.h has its twin's number, and every twin
// has no more values than domain/types.h knows.
#define SAME(E) static_assert(static_cast<int>(v1::E) == static_cast<int>(domain::E), #E)
static_assert(v1::Holding_ARRAYSIZE == 3, "Holding: a value domain/types.h lacks");
SAME(HOLDING_UNSPECIFIED);
SAME(PREPAID_CARD);
SAME(BANK_ACCOUNT);
static_assert(v1::Management_ARRAYSIZE == 5, "Management: a value domain/types.h lacks");
SAME(MANAGEMENT_UNSPECIFIED);
SAME(SELF);
SAME(NOMINATED_PERSON);
SAME(AUTHORISED_PERSON);
SAME(MANAGED_ACCOUNT);
static_assert(v1::AccountStatus_ARRAYSIZE == 4, "AccountStatus: a value domain/types.h lacks");
SAME(ACCOUNT_STATUS_UNSPECIFIED);
SAME(ACTIVE);
SAME(SUSPENDED);
SAME(CLOSED);
static_assert(v1::PaymentCycle_ARRAYSIZE == 5, "PaymentCycle: a value domain/types.h lacks");
SAME(PAYMENT_CYCLE_UNSPECIFIED);
SAME(WEEKLY);
SAME(FORTNIGHTLY);
SAME(FOUR_WEEKLY);
SAME(MONTHLY);
static_assert(v1::Category_ARRAYSIZE == 20, "Category: a value domain/types.h lacks");
SAME(CATEGORY_UNSPECIFIED);
SAME(COUNCIL_PAYMENT);
SAME(CLIENT_CONTRIBUTION);
SAME(REFUND);
SAME(OTHER_INCOME);
SAME(PA_WAGES);
SAME(PAYE_NI);
SAME(PENSION);
SAME(EMPLOYER_INSURANCE);
SAME(PAYROLL_SERVICE);
SAME(AGENCY_CARE);
SAME(RESPITE);
SAME(DAY_SERVICES);
SAME(EQUIPMENT);
SAME(TRANSPORT);
SAME(BANK_CHARGES);
SAME(CASH_WITHDRAWAL);
SAME(SURPLUS_RETURN);
SAME(OTHER);
SAME(UNCATEGORISED);
static_assert(v1::Direction_ARRAYSIZE == 3, "Direction: a value domain/types.h lacks");
SAME(DIRECTION_UNSPECIFIED);
SAME(CREDIT);
SAME(DEBIT);
static_assert(v1::FlagKind_ARRAYSIZE == 18, "FlagKind: a value domain/types.h lacks");
SAME(FLAG_KIND_UNSPECIFIED);
SAME(NO_SUPPORT_PLAN);
SAME(DEFICIT);
SAME(SURPLUS);
SAME(OVERSPEND);
SAME(UNDERSPEND);
SAME(CONTRIBUTION_ARREARS);
SAME(MISSED_PAYMENT);
SAME(RESTRICTED_SPEND);
SAME(EVIDENCE_REQUIRED);
SAME(UNPLANNED_SPEND);
SAME(REVIEW_DUE);
SAME(REVIEW_OVERDUE);
SAME(AUDIT_DUE);
SAME(AUDIT_OVERDUE);
SAME(FEED_STALE);
SAME(RECONCILIATION_MISMATCH);
SAME(CLOSED_WITH_BALANCE);
static_assert(v1::Severity_ARRAYSIZE == 4, "Severity: a value domain/types.h lacks");
SAME(SEVERITY_UNSPECIFIED);
SAME(INFO);
SAME(WARNING);
SAME(CRITICAL);
static_assert(v1::DueKind_ARRAYSIZE == 4, "DueKind: a value domain/types.h lacks");
SAME(DUE_KIND_UNSPECIFIED);
SAME(AUDIT);
SAME(FINAL_AUDIT);
SAME(REVIEW);
static_assert(v1::RecoveryMethod_ARRAYSIZE == 4, "RecoveryMethod: a value domain/types.h lacks");
SAME(RECOVERY_METHOD_UNSPECIFIED);
SAME(RECLAIM_FROM_ACCOUNT);
SAME(INVOICE);
SAME(REDUCE_FUTURE_PAYMENTS);
static_assert(v1::RecoveryState_ARRAYSIZE == 3, "RecoveryState: a value domain/types.h lacks");
SAME(RECOVERY_STATE_UNSPECIFIED);
SAME(IN_PROGRESS);
SAME(COMPLETED);
#undef SAME

namespace {

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

absl::Status ParseStored(const std::string& text, absl::string_view what, Date* out) {
  absl::StatusOr<Date> d = Date::Parse(text);
  if (!d.ok()) return absl::DataLossError(absl::StrCat("stored ", what, " \"", text, "\""));
  *out = *d;
  return absl::OkStatus();
}

absl::Status StatusChangesFromProto(const v1::Account& a, domain::AccountModel* m) {
  for (const v1::StatusChange& c : a.status_history()) {
    domain::AccountModel::StatusChange sc;
    if (absl::Status s = ParseStored(c.date(), "status date", &sc.date); !s.ok()) return s;
    sc.status = ToDomain(c.status());
    m->status_changes.push_back(sc);
  }
  return absl::OkStatus();
}

absl::Status PlanVersionsFromProto(const v1::Account& a, domain::AccountModel* m) {
  for (const v1::PlanVersion& p : a.plan_versions()) {
    domain::AccountModel::PlanVersion pv;
    if (absl::Status s = ParseStored(p.effective_from(), "effective_from", &pv.effective_from);
        !s.ok()) {
      return s;
    }
    pv.weekly_dp_pence = p.weekly_dp_pence();
    pv.weekly_client_contribution_pence = p.weekly_client_contribution_pence();
    pv.payment_cycle = ToDomain(p.payment_cycle());
    for (const v1::PlanLine& l : p.lines()) {
      pv.line_categories.push_back(ToDomain(l.category()));
      pv.line_weekly_pence.push_back(l.weekly_pence());
    }
    m->plan_versions.push_back(std::move(pv));
  }
  return absl::OkStatus();
}

absl::Status DatedRecordsFromProto(const v1::Account& a, domain::AccountModel* m) {
  for (const v1::Earmark& e : a.earmarks()) {
    domain::AccountModel::Earmark em;
    if (absl::Status s = ParseStored(e.from(), "earmark from", &em.from); !s.ok()) return s;
    if (absl::Status s = ParseStored(e.until(), "earmark until", &em.until); !s.ok()) return s;
    em.amount_pence = e.amount_pence();
    m->earmarks.push_back(em);
  }
  for (const v1::Review& r : a.reviews()) {
    Date d;
    if (absl::Status s = ParseStored(r.date(), "review date", &d); !s.ok()) return s;
    m->review_dates.push_back(d);
  }
  for (const v1::Audit& au : a.audits()) {
    domain::AccountModel::Audit x;
    if (absl::Status s = ParseStored(au.date(), "audit date", &x.date); !s.ok()) return s;
    if (absl::Status s = ParseStored(au.period_end(), "audit period_end", &x.period_end); !s.ok()) {
      return s;
    }
    m->audits.push_back(x);
  }
  return absl::OkStatus();
}

}  // namespace

domain::Policy PolicyFromProto(const v1::Policy& p) {
  domain::Policy d;
  d.surplus_threshold_weeks = p.surplus_threshold_weeks();
  d.surplus_retain_weeks = p.surplus_retain_weeks();
  d.trend_window_days = p.trend_window_days();
  d.overspend_percent = p.overspend_percent();
  d.underspend_percent = p.underspend_percent();
  d.contribution_arrears_weeks = p.contribution_arrears_weeks();
  d.payment_grace_days = p.payment_grace_days();
  d.restricted_mccs = Strings(p.restricted_mccs());
  d.evidence_mccs = Strings(p.evidence_mccs());
  d.transaction_flag_lookback_days = p.transaction_flag_lookback_days();
  d.unplanned_tolerance_pence = p.unplanned_tolerance_pence();
  d.first_review_months = p.first_review_months();
  d.review_interval_months = p.review_interval_months();
  d.review_alignment_days = p.review_alignment_days();
  d.audit_interval_months = p.audit_interval_months();
  d.due_soon_days = p.due_soon_days();
  d.feed_stale_days_card = p.feed_stale_days_card();
  d.feed_stale_days_bank = p.feed_stale_days_bank();
  d.closure_settlement_days = p.closure_settlement_days();
  d.category_rules = CategoryRulesFromProto(p.category_rules());
  return d;
}

v1::Policy PolicyToProto(const domain::Policy& d) {
  v1::Policy p;
  p.set_surplus_threshold_weeks(d.surplus_threshold_weeks);
  p.set_surplus_retain_weeks(d.surplus_retain_weeks);
  p.set_trend_window_days(d.trend_window_days);
  p.set_overspend_percent(d.overspend_percent);
  p.set_underspend_percent(d.underspend_percent);
  p.set_contribution_arrears_weeks(d.contribution_arrears_weeks);
  p.set_payment_grace_days(d.payment_grace_days);
  for (const std::string& m : d.restricted_mccs) p.add_restricted_mccs(m);
  for (const std::string& m : d.evidence_mccs) p.add_evidence_mccs(m);
  p.set_transaction_flag_lookback_days(d.transaction_flag_lookback_days);
  p.set_unplanned_tolerance_pence(d.unplanned_tolerance_pence);
  p.set_first_review_months(d.first_review_months);
  p.set_review_interval_months(d.review_interval_months);
  p.set_review_alignment_days(d.review_alignment_days);
  p.set_audit_interval_months(d.audit_interval_months);
  p.set_due_soon_days(d.due_soon_days);
  p.set_feed_stale_days_card(d.feed_stale_days_card);
  p.set_feed_stale_days_bank(d.feed_stale_days_bank);
  p.set_closure_settlement_days(d.closure_settlement_days);
  for (const domain::CategoryRule& r : d.category_rules) {
    v1::CategoryRule* out = p.add_category_rules();
    out->set_mcc(r.mcc);
    out->set_counterparty_contains(r.counterparty_contains);
    out->set_description_contains(r.description_contains);
    out->set_category(ToProto(r.category));
  }
  return p;
}

domain::CategoryRules CategoryRulesFromProto(
    const google::protobuf::RepeatedPtrField<v1::CategoryRule>& rules) {
  domain::CategoryRules out;
  out.reserve(rules.size());
  for (const v1::CategoryRule& r : rules) {
    out.push_back(
        {r.mcc(), r.counterparty_contains(), r.description_contains(), ToDomain(r.category())});
  }
  return out;
}

domain::CategoriseInput CategoriseInputOf(const v1::TransactionInput& in) {
  domain::CategoriseInput c;
  c.amount_pence = in.amount_pence();
  c.has_mcc = in.has_mcc();
  c.mcc = in.mcc();
  c.has_counterparty = in.has_counterparty();
  c.counterparty = in.counterparty();
  c.has_description = in.has_description();
  c.description = in.description();
  return c;
}

absl::Status AccountModelFromProto(const v1::Account& a, domain::AccountModel* out) {
  domain::AccountModel m;
  if (absl::Status s = ParseStored(a.start_date(), "start_date", &m.start_date); !s.ok()) return s;
  m.holding = ToDomain(a.holding());
  m.management = ToDomain(a.management());
  if (!a.care_plan_review_date().empty()) {
    Date d;
    if (absl::Status s = ParseStored(a.care_plan_review_date(), "care_plan_review_date", &d);
        !s.ok()) {
      return s;
    }
    m.care_plan_review_date = d;
  }
  if (absl::Status s = StatusChangesFromProto(a, &m); !s.ok()) return s;
  if (absl::Status s = PlanVersionsFromProto(a, &m); !s.ok()) return s;
  if (absl::Status s = DatedRecordsFromProto(a, &m); !s.ok()) return s;
  m.Normalise();
  *out = std::move(m);
  return absl::OkStatus();
}

absl::StatusOr<domain::AccountStatus> StatusAtOf(const v1::Account& account, Date date) {
  domain::AccountModel m;
  if (absl::Status s = StatusChangesFromProto(account, &m); !s.ok()) return s;
  m.Normalise();
  return m.StatusAt(date);
}

absl::Status RecoveriesFromProto(const google::protobuf::RepeatedPtrField<v1::Recovery>& in,
                                 std::vector<domain::Recovery>* out) {
  out->clear();
  out->reserve(in.size());
  for (const v1::Recovery& r : in) {
    domain::Recovery d;
    d.id = r.id();
    d.amount_pence = r.amount_pence();
    d.method = ToDomain(r.method());
    d.state = ToDomain(r.state());
    d.recovered_pence = r.recovered_pence();
    absl::StatusOr<Date> date = Date::Parse(r.date());
    if (!date.ok()) return absl::DataLossError("a stored recovery has an unreadable date");
    d.date = *date;
    out->push_back(std::move(d));
  }
  return absl::OkStatus();
}

void RecoveryProgressToProto(const domain::Recovery& r, v1::Recovery* out) {
  out->set_state(ToProto(r.state));
  out->set_recovered_pence(r.recovered_pence);
}

}  // namespace dpmon
