// dpctl's admin commands: keys, the access log, backups and the integrity check.
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
#include "absl/strings/numbers.h"
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
#include "client/operations_text.h"
#include "common/ids.h"
#include "common/money.h"
#include "common/names.h"
#include "google/protobuf/util/json_util.h"

namespace dpctl {
namespace {

using Args = std::vector<std::string>;

std::vector<std::string> CommaList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.emplace_back(part);
  }
  return out;
}

void PrintKey(const dpmon::v1::ApiKey& k) {
  if (Json()) {
    PrintJson(k);
    return;
  }
  std::string scope = k.all_councils() ? "all councils" : absl::StrJoin(k.councils(), ",");
  if (k.sources_size() > 0) absl::StrAppend(&scope, " sources=", absl::StrJoin(k.sources(), ","));
  std::printf("%-22s %-8s %-30s %s%s%s\n", k.name().c_str(), dpmon::v1::Role_Name(k.role()).c_str(),
              k.display_name().c_str(), scope.c_str(),
              k.expire_time().empty() ? "" : (" expires " + k.expire_time()).c_str(),
              k.revoke_time().empty() ? "" : (" REVOKED " + k.revoke_time()).c_str());
}

int WhoAmI(dpmon::Client& client) {
  dpmon::v1::ApiKey k;
  absl::Status s = client.Call(client.identity(), &dpmon::v1::Identity::Stub::GetCaller,
                               dpmon::v1::GetCallerRequest(), &k);
  if (!s.ok()) return Fail(s);
  PrintKey(k);
  return 0;
}

int Keys(dpmon::Client& client, const std::string& verb, const std::string& arg) {
  if (verb == "create") {
    dpmon::v1::CreateApiKeyRequest r;
    dpmon::v1::ApiKey* k = r.mutable_api_key();
    k->set_display_name(absl::GetFlag(FLAGS_name));
    dpmon::v1::Role role;
    if (!dpmon::v1::Role_Parse(absl::GetFlag(FLAGS_role), &role)) {
      return Fail("admin keys create: --role must be FEED, OFFICER, AUDITOR or ADMIN");
    }
    k->set_role(role);
    for (const std::string& c : CommaList(absl::GetFlag(FLAGS_councils))) k->add_councils(c);
    k->set_all_councils(absl::GetFlag(FLAGS_all_councils));
    for (const std::string& src : CommaList(absl::GetFlag(FLAGS_sources))) k->add_sources(src);
    k->set_expire_time(absl::GetFlag(FLAGS_expires));
    if (const std::string cn = absl::GetFlag(FLAGS_cert_cn); !cn.empty()) {
      k->set_kind(dpmon::v1::CLIENT_CERTIFICATE);
      k->set_certificate_common_name(cn);
    }
    dpmon::v1::CreateApiKeyResponse out;
    absl::Status s = client.Call(client.admin(), &dpmon::v1::Admin::Stub::CreateApiKey, r, &out);
    if (!s.ok()) return Fail(s);
    if (Json()) {
      PrintJson(out);
      return 0;
    }
    PrintKey(out.api_key());
    if (!out.secret().empty()) {
      std::printf("secret (shown once; keep it in a file only its user can read):\n%s\n",
                  out.secret().c_str());
    }
    return 0;
  }
  if (verb == "list") {
    dpmon::v1::ListApiKeysRequest r;
    r.set_page_size(1000);
    r.set_show_revoked(absl::GetFlag(FLAGS_show_revoked));
    r.set_as_of_date(absl::GetFlag(FLAGS_as_of));
    if (absl::Status s =
            client.ForEachPage(client.admin(), &dpmon::v1::Admin::Stub::ListApiKeys, r,
                               [&](const dpmon::v1::ListApiKeysResponse& page) -> absl::Status {
                                 for (const auto& k : page.api_keys()) PrintKey(k);
                                 return absl::OkStatus();
                               });
        !s.ok()) {
      return Fail(s);
    }
    return 0;
  }
  if (verb == "revoke") {
    if (arg.empty()) return Fail("admin keys revoke: name the key (KEY_ID or keys/KEY_ID)");
    dpmon::v1::RevokeApiKeyRequest r;
    r.set_name(arg.rfind("keys/", 0) == 0 ? arg : "keys/" + arg);
    dpmon::v1::ApiKey k;
    absl::Status s = client.Call(client.admin(), &dpmon::v1::Admin::Stub::RevokeApiKey, r, &k);
    if (!s.ok()) return Fail(s);
    PrintKey(k);
    return 0;
  }
  return Fail("admin keys: create, list or revoke");
}

int AccessLog(dpmon::Client& client) {
  dpmon::v1::ListAccessLogRequest r;
  const std::string council = absl::GetFlag(FLAGS_council);
  const std::string account = absl::GetFlag(FLAGS_account);
  if (!account.empty()) {
    if (council.empty()) return Fail("admin access-log: --account needs --council");
    r.set_account(dpmon::AccountName(council, account));
  } else if (!council.empty()) {
    r.set_council(dpmon::CouncilName(council));
  }
  if (const std::string k = absl::GetFlag(FLAGS_key); !k.empty()) {
    r.set_key(k.rfind("keys/", 0) == 0 ? k : "keys/" + k);
  }
  r.set_start_time(absl::GetFlag(FLAGS_since));
  r.set_end_time(absl::GetFlag(FLAGS_until));
  int left = absl::GetFlag(FLAGS_limit);
  r.set_page_size(std::min(left, 1000));
  while (left > 0) {
    dpmon::v1::ListAccessLogResponse page;
    absl::Status s = client.Call(client.admin(), &dpmon::v1::Admin::Stub::ListAccessLog, r, &page);
    if (!s.ok()) return Fail(s);
    for (const auto& e : page.entries()) {
      if (left-- <= 0) break;
      if (Json()) {
        PrintJson(e);
        continue;
      }
      std::printf("%s %-22s %-45s %-12s %-12s %s%s\n", e.time().c_str(),
                  e.key().empty() ? "-" : e.key().c_str(), e.method().c_str(),
                  e.council().empty() ? "-" : e.council().c_str(),
                  e.account().empty() ? "-" : e.account().c_str(), e.code().c_str(),
                  e.message().empty() ? "" : (" " + e.message()).c_str());
    }
    if (page.next_page_token().empty()) break;
    r.set_page_token(page.next_page_token());
  }
  return 0;
}

// Backups and checks take as long as the data: minutes, not the deadline
// of a read.
template <typename Req, typename Resp>
absl::Status CallOperation(dpmon::Client& client,
                           grpc::Status (dpmon::v1::Admin::Stub::*method)(grpc::ClientContext*,
                                                                          const Req&, Resp*),
                           const Req& request, Resp* response) {
  grpc::ClientContext context;
  client.PrepareContext(&context);
  context.set_deadline(absl::ToChronoTime(
      absl::Now() +
      std::max(absl::Hours(6), absl::Seconds(absl::GetFlag(FLAGS_deadline_seconds)))));
  return dpmon::FromGrpc((client.admin().*method)(&context, request, response));
}

void PrintBackup(const dpmon::v1::Backup& b) {
  if (Json()) {
    PrintJson(b);
  } else {
    std::printf("%s\n", dpmon::BackupLine(b).c_str());
  }
}

int Backup(dpmon::Client& client, const std::string& verb, const Args& args) {
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (verb == "create") {
    dpmon::v1::CreateBackupRequest r;
    r.set_directory(absl::GetFlag(FLAGS_to));
    dpmon::v1::Backup b;
    if (absl::Status s = CallOperation(client, &dpmon::v1::Admin::Stub::CreateBackup, r, &b);
        !s.ok()) {
      return Fail(s);
    }
    PrintBackup(b);
    return 0;
  }
  if (verb == "list") {
    dpmon::v1::ListBackupsRequest r;
    r.set_directory(dir);
    dpmon::v1::ListBackupsResponse all;
    if (absl::Status s = CallOperation(client, &dpmon::v1::Admin::Stub::ListBackups, r, &all);
        !s.ok()) {
      return Fail(s);
    }
    for (const auto& b : all.backups()) PrintBackup(b);
    return 0;
  }
  if (verb == "verify") {
    dpmon::v1::VerifyBackupRequest r;
    r.set_directory(dir);
    if (!args.empty()) {
      uint32_t id = 0;
      if (!absl::SimpleAtoi(args[0], &id) || id == 0) {
        return Fail(absl::StrCat("admin backup verify: BACKUP_ID must be a number from ",
                                 "`dpctl admin backup list`, not \"", args[0], "\""));
      }
      r.set_backup_id(id);
    }
    dpmon::v1::Backup b;
    if (absl::Status s = CallOperation(client, &dpmon::v1::Admin::Stub::VerifyBackup, r, &b);
        !s.ok()) {
      return Fail(s);
    }
    if (!Json()) std::printf("verified: every file's size and checksum match\n");
    PrintBackup(b);
    return 0;
  }
  dpmon::v1::PruneBackupsRequest r;
  r.set_directory(dir);
  r.set_keep(absl::GetFlag(FLAGS_keep));
  if (r.keep() < 1) return Fail("admin backup prune: give --keep N (at least 1)");
  dpmon::v1::PruneBackupsResponse pruned;
  if (absl::Status s = CallOperation(client, &dpmon::v1::Admin::Stub::PruneBackups, r, &pruned);
      !s.ok()) {
    return Fail(s);
  }
  if (Json()) {
    PrintJson(pruned);
    return 0;
  }
  std::printf("deleted %d backups%s%s\n", pruned.deleted_backup_ids_size(),
              pruned.deleted_backup_ids_size() > 0 ? ": " : "",
              absl::StrJoin(pruned.deleted_backup_ids(), ", ").c_str());
  for (const auto& b : pruned.backups()) PrintBackup(b);
  return 0;
}

int Check(dpmon::Client& client) {
  dpmon::v1::CheckIntegrityRequest r;
  if (const std::string c = absl::GetFlag(FLAGS_council); !c.empty()) {
    r.set_council(dpmon::CouncilName(c));
  }
  r.set_max_problems(absl::GetFlag(FLAGS_max_problems));
  dpmon::v1::IntegrityReport report;
  if (absl::Status s = CallOperation(client, &dpmon::v1::Admin::Stub::CheckIntegrity, r, &report);
      !s.ok()) {
    return Fail(s);
  }
  if (Json()) {
    PrintJson(report);
  } else {
    std::fputs(dpmon::IntegrityReportText(report).c_str(), stdout);
  }
  return report.problem_count() == 0 ? 0 : kExitFailure;
}

}  // namespace

const std::vector<Command>& AdminCommands() {
  static const std::vector<Command> table = {
      {"whoami", "", "the key this dpctl calls with", 0,
       [](dpmon::Client& c, const Args&) { return WhoAmI(c); }},
      {"admin keys create",
       "--name N --role FEED|OFFICER|AUDITOR|ADMIN (--councils C1,C2 | --all_councils) "
       "[--sources S1,S2] [--expires RFC3339] [--cert_cn CN]",
       "make a key; prints its secret once", 0,
       [](dpmon::Client& c, const Args&) { return Keys(c, "create", ""); }},
      {"admin keys list", "[--show_revoked] [--as-of D]",
       "every key (with --as-of, as they stood at the end of that day)", 0,
       [](dpmon::Client& c, const Args&) { return Keys(c, "list", ""); }},
      {"admin keys revoke", "KEY_ID", "stop a key at once", 1,
       [](dpmon::Client& c, const Args& a) { return Keys(c, "revoke", a.empty() ? "" : a[0]); }},
      {"admin access-log",
       "[--council C [--account A]] [--key KEY_ID] [--since T] [--until T] [--limit N]",
       "who called what, newest first", 0,
       [](dpmon::Client& c, const Args&) { return AccessLog(c); }},
      {"admin backup create", "[--to DIR]",
       "back up the whole store while it serves (DIR on the server; default its --backup_dir)", 0,
       [](dpmon::Client& c, const Args& a) { return Backup(c, "create", a); }},
      {"admin backup list", "[--dir DIR]", "the backups in DIR, oldest first", 0,
       [](dpmon::Client& c, const Args& a) { return Backup(c, "list", a); }},
      {"admin backup verify", "[BACKUP_ID] [--dir DIR]",
       "read every file of a backup (default the latest) and compare its checksum", 1,
       [](dpmon::Client& c, const Args& a) { return Backup(c, "verify", a); }},
      {"admin backup prune", "--keep N [--dir DIR]", "delete all but the newest N backups", 0,
       [](dpmon::Client& c, const Args& a) { return Backup(c, "prune", a); }},
      {"admin check", "[--council C] [--max_problems N]",
       "recompute totals, balances, links and indexes from the records; exit 1 on any "
       "difference",
       0, [](dpmon::Client& c, const Args&) { return Check(c); }},
  };
  return table;
}

}  // namespace dpctl
