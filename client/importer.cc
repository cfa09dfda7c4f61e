#include "client/importer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/fingerprint.h"
#include "common/names.h"
#include "dpmon/v1/import.pb.h"
#include "google/protobuf/util/json_util.h"

namespace dpmon {
namespace {

// A request_id from the line's text: the same line imported again is the
// same request, so the server answers it as before and changes nothing.
std::string LineRequestId(absl::string_view kind, absl::string_view text) {
  return absl::StrFormat("import-%s-%016x-%d", kind, Fingerprint64(text), text.size());
}

template <typename Req, typename Resp, typename Call>
absl::Status Unary(Client* client, Call call, const Req& request) {
  grpc::ClientContext context;
  client->PrepareContext(&context);
  Resp response;
  return FromGrpc(call(&context, request, &response));
}

}  // namespace

absl::Status Importer::Run(std::istream& in, ImportSummary* summary) {
  std::string text;
  int64_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    ++summary->lines;
    if (absl::Status s = ApplyLine(line_no, text, summary); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("line ", line_no, ": ", s.message()));
    }
  }
  return Flush(summary);
}

absl::Status Importer::ApplyLine(int64_t line_no, const std::string& text, ImportSummary* summary) {
  v1::ImportLine line;
  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = false;
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &line, parse_options); !s.ok()) {
    summary->rejected.push_back(
        {line_no, absl::StrCat("not a valid import line: ", s.message().as_string())});
    return absl::OkStatus();
  }
  const std::string& type = line.type();
  ++summary->by_type[type.empty() ? "(none)" : type];

  if (type == "transaction" || type == "statement") {
    if (!batch_lines_.empty() && (batch_council_ != line.council() ||
                                  static_cast<int>(batch_lines_.size()) >= options_.batch_size)) {
      if (absl::Status s = Flush(summary); !s.ok()) return s;
    }
    batch_council_ = line.council();
    v1::LedgerItem* item = batch_.add_items();
    if (type == "transaction") {
      v1::TransactionInput* t = item->mutable_transaction();
      t->set_source(line.source());
      t->set_account(line.account());
      t->set_account_ref(line.account_ref());
      t->set_external_id(line.external_id());
      t->set_booking_date(line.booking_date());
      t->set_amount_pence(line.amount_pence());
      t->set_category(line.category());
      if (line.has_counterparty()) t->set_counterparty(line.counterparty());
      if (line.has_description()) t->set_description(line.description());
      if (line.has_mcc()) t->set_mcc(line.mcc());
      if (line.has_reverses()) t->set_reverses(line.reverses());
    } else {
      v1::StatementInput* st = item->mutable_statement();
      st->set_source(line.source());
      st->set_account(line.account());
      st->set_account_ref(line.account_ref());
      st->set_date(line.date());
      st->set_closing_balance_pence(line.closing_balance_pence());
    }
    batch_lines_.push_back(line_no);
    return absl::OkStatus();
  }

  if (absl::Status s = Flush(summary); !s.ok()) return s;
  const std::string request_id = LineRequestId(type, text);
  absl::Status result;
  if (type == "council") {
    v1::CreateCouncilRequest r;
    r.set_council_id(line.council());
    r.mutable_council()->set_display_name(line.name());
    *r.mutable_council()->mutable_policy() = line.policy();
    r.set_request_id(request_id);
    result = Unary<v1::CreateCouncilRequest, v1::Council>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->councils().CreateCouncil(c, q, p); }, r);
  } else if (type == "account") {
    v1::CreateAccountRequest r;
    r.set_parent(CouncilName(line.council()));
    r.set_account_id(line.account());
    v1::Account* a = r.mutable_account();
    a->set_start_date(line.start_date());
    a->set_holding(line.holding());
    a->set_management(line.management());
    a->set_recipient(line.recipient());
    *a->mutable_external_refs() = line.external_refs();
    a->set_care_plan_review_date(line.care_plan_review_date());
    r.set_request_id(request_id);
    result = Unary<v1::CreateAccountRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().CreateAccount(c, q, p); }, r);
  } else if (type == "plan") {
    v1::CreatePlanVersionRequest r;
    r.set_account(AccountName(line.council(), line.account()));
    v1::PlanVersion* p = r.mutable_plan_version();
    p->set_effective_from(line.effective_from());
    p->set_weekly_dp_pence(line.weekly_dp_pence());
    p->set_weekly_client_contribution_pence(line.weekly_client_contribution_pence());
    p->set_payment_cycle(line.payment_cycle());
    *p->mutable_lines() = line.lines();
    r.set_request_id(request_id);
    result = Unary<v1::CreatePlanVersionRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().CreatePlanVersion(c, q, p); },
        r);
  } else if (type == "earmark") {
    v1::UpsertEarmarkRequest r;
    r.set_account(AccountName(line.council(), line.account()));
    v1::Earmark* e = r.mutable_earmark();
    e->set_id(line.id());
    e->set_kind(line.kind());
    e->set_amount_pence(line.amount_pence());
    e->set_from(line.from());
    e->set_until(line.until());
    e->set_note(line.note());
    r.set_request_id(request_id);
    result = Unary<v1::UpsertEarmarkRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().UpsertEarmark(c, q, p); }, r);
  } else if (type == "status") {
    v1::ChangeAccountStatusRequest r;
    r.set_account(AccountName(line.council(), line.account()));
    r.mutable_change()->set_date(line.date());
    r.mutable_change()->set_status(line.status());
    r.mutable_change()->set_note(line.note());
    r.set_request_id(request_id);
    result = Unary<v1::ChangeAccountStatusRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().ChangeAccountStatus(c, q, p); },
        r);
  } else if (type == "review") {
    v1::RecordReviewRequest r;
    r.set_account(AccountName(line.council(), line.account()));
    r.mutable_review()->set_date(line.date());
    r.mutable_review()->set_note(line.note());
    r.set_request_id(request_id);
    result = Unary<v1::RecordReviewRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().RecordReview(c, q, p); }, r);
  } else if (type == "audit") {
    v1::RecordAuditRequest r;
    r.set_account(AccountName(line.council(), line.account()));
    r.mutable_audit()->set_date(line.date());
    r.mutable_audit()->set_period_end(line.period_end());
    r.mutable_audit()->set_note(line.note());
    r.mutable_audit()->set_auditor(line.auditor());
    r.set_request_id(request_id);
    result = Unary<v1::RecordAuditRequest, v1::Account>(
        client_,
        [&](auto* c, auto& q, auto* p) { return client_->accounts().RecordAudit(c, q, p); }, r);
  } else {
    summary->rejected.push_back(
        {line_no, absl::StrFormat("type: \"%s\" is not one of council, account, plan, earmark, "
                                  "status, transaction, statement, review, audit",
                                  type)});
    return absl::OkStatus();
  }
  switch (result.code()) {
    case absl::StatusCode::kOk:
      ++summary->applied;
      return absl::OkStatus();
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return result;  // The import cannot go on.
    default:
      summary->rejected.push_back({line_no, std::string(result.message())});
      return absl::OkStatus();
  }
}

absl::Status Importer::Flush(ImportSummary* summary) {
  if (batch_lines_.empty()) return absl::OkStatus();
  batch_.set_parent(CouncilName(batch_council_));
  batch_.set_request_id(LineRequestId("batch", batch_.SerializeAsString()));
  grpc::ClientContext context;
  client_->PrepareContext(&context);
  v1::IngestBatchResponse response;
  absl::Status s = FromGrpc(client_->ledger().IngestBatch(&context, batch_, &response));
  std::vector<int64_t> lines = std::move(batch_lines_);
  batch_lines_.clear();
  batch_.Clear();
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kNotFound) {
      for (int64_t line : lines) summary->rejected.push_back({line, std::string(s.message())});
      return absl::OkStatus();
    }
    return s;
  }
  if (response.results_size() != static_cast<int>(lines.size())) {
    return absl::InternalError("the server answered a different number of items than were sent");
  }
  for (const v1::ItemResult& r : response.results()) {
    int64_t line = lines[r.index()];
    ++summary->ledger_outcomes[v1::ItemOutcome_Name(r.outcome())];
    if (r.outcome() == v1::INVALID) {
      std::string field = r.field();
      // The server numbers items within the batch; the file numbers lines.
      if (size_t dot = field.find('.'); dot != std::string::npos) field = field.substr(dot + 1);
      summary->rejected.push_back({line, absl::StrCat(field, ": ", r.reason())});
    } else if (r.outcome() == v1::CONFLICT) {
      summary->rejected.push_back({line, absl::StrCat("conflict: ", r.reason())});
    } else if (r.outcome() == v1::DENIED) {
      summary->rejected.push_back({line, absl::StrCat("denied: ", r.reason())});
    } else {
      ++summary->applied;
    }
  }
  if (options_.progress) options_.progress(lines.back());
  return absl::OkStatus();
}

}  // namespace dpmon
