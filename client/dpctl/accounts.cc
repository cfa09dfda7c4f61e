// dpctl's council and account commands.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/audit_pack.h"
#include "client/client.h"
#include "client/dpctl/dpctl.h"
#include "client/feed_push.h"
#include "client/feeds/camt_feed.h"
#include "client/feeds/csv_feed.h"
#include "client/feeds/ofx_feed.h"
#include "client/feeds/presets.h"
#include "client/flag_report.h"
#include "client/importer.h"
#include "common/ids.h"
#include "common/money.h"
#include "google/protobuf/util/json_util.h"

namespace dpctl {
namespace {

using Args = std::vector<std::string>;

void PrintAccount(const dpmon::v1::Account& a) {
  if (Json()) return PrintJson(a);
  std::string refs;
  for (const auto& r : a.external_refs())
    absl::StrAppend(&refs, refs.empty() ? "" : ",", r.source(), ":", r.ref());
  std::printf("%-40s %-10s %-13s %-18s start %s refs %s\n", a.name().c_str(),
              dpmon::v1::AccountStatus_Name(a.status()).c_str(),
              dpmon::v1::Holding_Name(a.holding()).c_str(),
              dpmon::v1::Management_Name(a.management()).c_str(), a.start_date().c_str(),
              refs.c_str());
}

int Accounts(dpmon::Client& client, const std::string& verb) {
  if (verb == "get") {
    dpmon::v1::GetAccountRequest r;
    r.set_name(AccountName());
    dpmon::v1::Account a;
    absl::Status s = client.Call(client.accounts(), &dpmon::v1::Accounts::Stub::GetAccount, r, &a);
    if (!s.ok()) return Fail(s);
    PrintAccount(a);
    return 0;
  }
  if (verb == "add-ref") {
    // Takes a feed's reference for the account and attaches what waits in
    // suspense for it. The request_id makes a rerun (a cron retry) harmless.
    dpmon::v1::AddExternalRefRequest r;
    r.set_account(AccountName());
    r.mutable_external_ref()->set_source(Require("source", absl::GetFlag(FLAGS_source)));
    r.mutable_external_ref()->set_ref(Require("ref", absl::GetFlag(FLAGS_ref)));
    r.set_request_id(absl::StrCat("dpctl-add-ref:", r.account(), ":", r.external_ref().source(),
                                  ":", r.external_ref().ref())
                         .substr(0, 128));
    dpmon::v1::AddExternalRefResponse out;
    absl::Status s =
        client.Call(client.accounts(), &dpmon::v1::Accounts::Stub::AddExternalRef, r, &out);
    if (!s.ok()) return Fail(s);
    if (Json()) {
      PrintJson(out);
    } else {
      std::printf(
          "%s now holds %s/%s: attached %lld transactions and %lld statements from "
          "suspense (%lld conflicting statements left there)\n",
          r.account().c_str(), r.external_ref().source().c_str(), r.external_ref().ref().c_str(),
          static_cast<long long>(out.attached_transactions()),
          static_cast<long long>(out.attached_statements()),
          static_cast<long long>(out.conflicting_statements()));
    }
    return 0;
  }
  if (verb != "list") return Fail("accounts: list, get or add-ref");
  dpmon::v1::ListAccountsRequest r;
  r.set_parent(CouncilName());
  r.set_filter(absl::GetFlag(FLAGS_filter));
  r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
  r.set_page_size(1000);
  if (absl::Status s =
          client.ForEachPage(client.accounts(), &dpmon::v1::Accounts::Stub::ListAccounts, r,
                             [&](const dpmon::v1::ListAccountsResponse& page) -> absl::Status {
                               for (const auto& a : page.accounts()) PrintAccount(a);
                               return absl::OkStatus();
                             });
      !s.ok()) {
    return Fail(s);
  }
  return 0;
}

int Councils(dpmon::Client& client, const std::string& verb) {
  if (verb == "get") {
    dpmon::v1::GetCouncilRequest r;
    r.set_name(CouncilName());
    r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
    dpmon::v1::Council c;
    absl::Status s = client.Call(client.councils(), &dpmon::v1::Councils::Stub::GetCouncil, r, &c);
    if (!s.ok()) return Fail(s);
    PrintJson(c);
    return 0;
  }
  dpmon::v1::ListCouncilsRequest r;
  r.set_page_size(1000);
  if (absl::Status s = client.ForEachPage(
          client.councils(), &dpmon::v1::Councils::Stub::ListCouncils, r,
          [&](const dpmon::v1::ListCouncilsResponse& page) -> absl::Status {
            for (const auto& c : page.councils()) {
              if (Json()) {
                PrintJson(c);
              } else {
                std::printf("%-30s %s\n", c.name().c_str(), c.display_name().c_str());
              }
            }
            return absl::OkStatus();
          });
      !s.ok()) {
    return Fail(s);
  }
  return 0;
}

}  // namespace

const std::vector<Command>& AccountCommands() {
  static const std::vector<Command> table = {
      {"councils list", "", "the councils this key holds", 0,
       [](dpmon::Client& c, const Args&) { return Councils(c, "list"); }},
      {"councils get", "--council C [--as-of D]",
       "one council and its policy (JSON); with --as-of, the policy in force then", 0,
       [](dpmon::Client& c, const Args&) { return Councils(c, "get"); }},
      {"accounts list", "--council C [--filter F] [--as-of D]",
       "a council's accounts, with their status as of a date", 0,
       [](dpmon::Client& c, const Args&) { return Accounts(c, "list"); }},
      {"accounts get", "--council C --account A", "one account", 0,
       [](dpmon::Client& c, const Args&) { return Accounts(c, "get"); }},
      {"accounts add-ref", "--council C --account A --source S --ref R",
       "give an account a feed's reference; attaches what waits in suspense", 0,
       [](dpmon::Client& c, const Args&) { return Accounts(c, "add-ref"); }},
  };
  return table;
}

}  // namespace dpctl
