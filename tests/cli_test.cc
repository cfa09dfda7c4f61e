// A newcomer's first minutes (issue 19), against the real binaries: help
// made from the tables (every command's synopsis, flags and examples, each
// example naming its own command and real flags), --version, man pages and
// bash completion, and errors that say what to do: a missing key file, an
// unreachable server, no key at all, a role that may not call.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace dpmon {
namespace {

using testing::RunCommand;
using testing::TestServer;

// Runs a shell command line; `out` gets stdout and stderr together.
int Shell(const std::string& line, std::string* out) {
  return RunCommand({"/bin/sh", "-c", line + " 2>&1"}, out);
}

std::string Quote(const std::string& s) { return absl::StrCat("'", s, "'"); }

const std::string kDpctl = Quote(DPMON_DPCTL_BIN);
const std::string kServer = Quote(DPMON_SERVER_BIN);

// The commands `dpctl help` lists: the indented first column of each area.
std::vector<std::string> ListedCommands() {
  std::string out;
  EXPECT_EQ(Shell(kDpctl + " help", &out), 0) << out;
  std::vector<std::string> commands;
  bool in_flags = false;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "Flags every command takes")) in_flags = true;
    if (in_flags || !absl::StartsWith(line, "  ") || absl::StartsWith(line, "   ")) continue;
    const size_t gap = line.find("  ", 2);
    if (gap == absl::string_view::npos) continue;
    commands.emplace_back(line.substr(2, gap - 2));
  }
  return commands;
}

TEST(Cli, ServerHelpIsItsOwnFlagsGrouped) {
  std::string out;
  ASSERT_EQ(Shell(kServer + " --help", &out), 0) << out;
  for (const char* group : {"Listening:", "Storage:", "Evaluation:", "Security:",
                            "HTTP and the dashboard:", "Logging:"}) {
    EXPECT_TRUE(absl::StrContains(out, absl::StrCat("\n", group, "\n"))) << group << "\n" << out;
  }
  // Every flag of dpmon-server is in a group, none left over; no library's.
  EXPECT_FALSE(absl::StrContains(out, "\nOther:")) << out;
  EXPECT_FALSE(absl::StrContains(out, "--flagfile")) << out;
  EXPECT_TRUE(absl::StrContains(out, "--listen=HOST:PORT  (default: \"127.0.0.1:50051\")")) << out;
  EXPECT_TRUE(absl::StrContains(out, "--shutdown_grace_seconds=SECONDS  (default: 10)")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Exit status:")) << out;
  // --helpfull keeps the rest: every flag defined in server/main.cc is in --help.
  std::string full;
  Shell(kServer + " --helpfull", &full);  // Abseil exits 1 after --helpfull.
  EXPECT_TRUE(absl::StrContains(full, "--flagfile")) << full;
  const size_t from = full.find("server/main.cc");
  ASSERT_NE(from, std::string::npos) << full;
  const std::regex flag(R"(\n    --([a-z_]+) )");
  int n = 0;
  const std::string section = full.substr(from, full.find("\n\n  Flags from", from) - from);
  for (std::sregex_iterator it(section.begin(), section.end(), flag), end; it != end; ++it) {
    ++n;
    EXPECT_TRUE(absl::StrContains(out, absl::StrCat("  --", (*it)[1].str())))
        << (*it)[1].str() << " is missing from --help";
  }
  EXPECT_GT(n, 20);
}

TEST(Cli, EveryCommandHasHelpWithExamplesThatNameIt) {
  const std::vector<std::string> commands = ListedCommands();
  // The ones the old usage text had lost.
  const std::set<std::string> listed(commands.begin(), commands.end());
  for (const char* c : {"audit due", "recovery record", "feed push", "whoami", "admin keys create",
                        "admin backup create", "admin check"}) {
    EXPECT_TRUE(listed.count(c)) << c;
  }
  std::string full;
  Shell(kDpctl + " --helpfull", &full);  // Abseil exits 1 after --helpfull.
  for (const std::string& c : commands) {
    std::string help, again;
    ASSERT_EQ(Shell(absl::StrCat(kDpctl, " help ", c), &help), 0) << c << "\n" << help;
    ASSERT_EQ(Shell(absl::StrCat(kDpctl, " ", c, " --help"), &again), 0) << c;
    EXPECT_EQ(help, again) << c;
    EXPECT_TRUE(absl::StartsWith(help, absl::StrCat("Usage: dpctl ", c))) << help;
    const size_t at = help.find("\nExamples:\n");
    ASSERT_NE(at, std::string::npos) << help;
    int examples = 0;
    for (absl::string_view line :
         absl::StrSplit(help.substr(at + 11, help.find("\n\n", at + 11) - at - 11), '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      ++examples;
      std::string example(line);
      // The example's own words name this command: its help is this help.
      const size_t dpctl = example.find("dpctl ");
      ASSERT_NE(dpctl, std::string::npos) << example;
      std::string resolved;
      Shell(absl::StrCat(kDpctl, " ", example.substr(dpctl + 6), " --help"), &resolved);
      EXPECT_TRUE(absl::StartsWith(resolved, absl::StrCat("Usage: dpctl ", c))) << example << "\n"
                                                                                << resolved;
      // Every flag it uses exists.
      const std::regex flag(R"(--([a-z_-]+))");
      for (std::sregex_iterator it(example.begin(), example.end(), flag), end; it != end; ++it) {
        std::string name = (*it)[1].str();
        std::replace(name.begin(), name.end(), '-', '_');
        EXPECT_TRUE(absl::StrContains(full, absl::StrCat("--", name, " ")))
            << example << ": no flag --" << name;
      }
    }
    EXPECT_GE(examples, 2) << c;  // Two or three a command.
  }
  std::string out;
  EXPECT_EQ(Shell(kDpctl, &out), 0) << "dpctl alone lists the commands";
  EXPECT_TRUE(absl::StrContains(out, "feeds:\n  feed push")) << out;
  // A flag's value written after a space is not taken for a command word.
  EXPECT_EQ(Shell(kDpctl + " --council demo flags --help", &out), 0) << out;
  EXPECT_TRUE(absl::StartsWith(out, "Usage: dpctl flags list ")) << out;
  EXPECT_EQ(Shell(kDpctl + " help nosuch", &out), 1);
  EXPECT_TRUE(absl::StrContains(out, "no command \"nosuch\"; dpctl help lists them")) << out;
}

TEST(Cli, VersionSaysWhatTheBuildIs) {
  for (const std::string& bin : {kDpctl, kServer}) {
    std::string out;
    ASSERT_EQ(Shell(bin + " --version", &out), 0) << out;
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(^(dpctl|dpmon-server) \d+\.\d+\.\d+)")))
        << out;
    EXPECT_FALSE(absl::StrContains(out, "NDEBUG")) << out;
    EXPECT_TRUE(absl::StrContains(out, " build\n")) << out;
    EXPECT_TRUE(absl::StrContains(
        out, absl::StrCat("storage schema version ", kStorageSchemaVersion, "\n")))
        << out;
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(\ngRPC \d+\.\d+)"))) << out;
    EXPECT_TRUE(std::regex_search(out, std::regex(R"(\nprotobuf \d+\.\d+)"))) << out;
  }
  std::string out;
  ASSERT_EQ(Shell(kServer + " --version", &out), 0);
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\nRocksDB \d+\.\d+\.\d+)"))) << out;
}

TEST(Cli, ManPagesAndCompletionCoverEveryCommand) {
  std::string man, server_man;
  ASSERT_EQ(Shell(kDpctl + " --man", &man), 0);
  ASSERT_EQ(Shell(kServer + " --man", &server_man), 0);
  EXPECT_TRUE(absl::StartsWith(man, ".TH DPCTL 1 ")) << man.substr(0, 80);
  EXPECT_TRUE(absl::StartsWith(server_man, ".TH DPMON\\-SERVER 8 ")) << server_man.substr(0, 80);
  EXPECT_TRUE(absl::StrContains(server_man, ".B \\-\\-data_dir=DIR")) << server_man;
  // The build made them too.
  for (const char* f : {"/man/dpctl.1", "/man/dpmon-server.8", "/completion/dpctl"}) {
    EXPECT_TRUE(std::filesystem::exists(std::string(DPMON_BUILD_DIR) + f)) << f;
  }
  std::string script;
  ASSERT_EQ(Shell(kDpctl + " --completion", &script), 0);
  const std::string file = ::testing::TempDir() + "/dpctl-completion.bash";
  std::ofstream(file) << script;
  auto complete = [&file](const std::string& words, int cword) {
    std::string out;
    EXPECT_EQ(Shell(absl::StrCat("bash -c 'source ", file, "; COMP_WORDS=(", words,
                                 "); COMP_CWORD=", cword, "; _dpctl; echo \"${COMPREPLY[*]}\"'"),
                    &out),
              0)
        << out;
    return std::string(absl::StripAsciiWhitespace(out));
  };
  for (const std::string& c : ListedCommands()) {
    EXPECT_TRUE(absl::StrContains(
        man, absl::StrCat(".B dpctl ", std::regex_replace(c, std::regex("-"), "\\-"))))
        << c;
    // Its last word completes from the words before it.
    std::vector<std::string> w = absl::StrSplit(c, ' ');
    const std::string last = w.back();
    w.pop_back();
    const std::string before = w.empty() ? "" : absl::StrCat(absl::StrJoin(w, " "), " ");
    const std::string got =
        complete(absl::StrCat("dpctl ", before, last.substr(0, 2)), static_cast<int>(w.size() + 1));
    EXPECT_TRUE(absl::StrContains(absl::StrCat(" ", got, " "), absl::StrCat(" ", last, " ")))
        << c << ": " << got;
  }
  EXPECT_EQ(complete("dpctl feed push --file_f", 3), "--file_format");
  EXPECT_EQ(complete("dpctl fe", 1), "feed");
}

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start({"--evaluate_at=off"})); }
  TestServer server_{"cli"};
};

TEST_F(CliErrors, EachSaysWhatToDo) {
  std::string out;
  // A key file that is not there: the path, who named it, the ways to give one.
  EXPECT_EQ(Shell(kDpctl + " --key_file=/nonexistent/dpmon.key whoami", &out), 1);
  EXPECT_TRUE(absl::StrContains(
      out, "cannot read the API key file /nonexistent/dpmon.key (named by --key_file)"))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "$DPMON_API_KEY")) << out;
  EXPECT_TRUE(absl::StrContains(out, "DIR-admin.key")) << out;
  // No server there: the address, where it came from, what to try.
  EXPECT_EQ(Shell(kDpctl + " --server=127.0.0.1:1 --key_file=" + Quote(server_.admin_key_file()) +
                      " whoami",
                  &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "cannot reach dpmon-server at 127.0.0.1:1 (from --server)"))
      << out;
  EXPECT_TRUE(absl::StrContains(out, "--server=HOST:PORT")) << out;
  EXPECT_EQ(Shell("DPMON_SERVER=127.0.0.1:1 " + kDpctl +
                      " --key_file=" + Quote(server_.admin_key_file()) + " whoami",
                  &out),
            1);
  EXPECT_TRUE(
      absl::StrContains(out, "cannot reach dpmon-server at 127.0.0.1:1 (from $DPMON_SERVER)"))
      << out;
  // $DPMON_SERVER reaches the server as --server would.
  EXPECT_EQ(Shell(absl::StrCat("DPMON_SERVER=", server_.address(), " ", kDpctl,
                               " --key_file=", Quote(server_.admin_key_file()), " whoami"),
                  &out),
            0)
      << out;
  // No key anywhere: what was tried, in which folder.
  const std::string empty = ::testing::TempDir() + "/cli-no-key";
  std::filesystem::create_directories(empty);
  EXPECT_EQ(Shell(absl::StrCat("cd ", Quote(empty), " && env -u DPMON_API_KEY -u DPMON_KEY_FILE ",
                               kDpctl, " --server=", server_.address(), " whoami"),
                  &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "UNAUTHENTICATED")) << out;
  EXPECT_TRUE(absl::StrContains(out,
                                "the key sent: none: $DPMON_API_KEY and $DPMON_KEY_FILE are "
                                "unset, no --key_file was given, and there is no "
                                "data/dpmon-admin.key in"))
      << out;
  // A role that may not call: the role it needs.
  ASSERT_EQ(RunCommand(server_.Dpctl({"admin", "keys", "create", "--name=auditor", "--role=AUDITOR",
                                      "--all_councils", "--format=json"}),
                       &out),
            0)
      << out;
  std::smatch secret;
  ASSERT_TRUE(std::regex_search(out, secret, std::regex(R"((dpmon_[A-Za-z0-9_-]+))"))) << out;
  EXPECT_EQ(Shell(absl::StrCat("DPMON_API_KEY=", secret[1].str(), " ", kDpctl,
                               " --server=", server_.address(), " admin keys list"),
                  &out),
            1);
  EXPECT_TRUE(absl::StrContains(out,
                                "role AUDITOR may not call /dpmon.v1.Admin/ListApiKeys: it "
                                "needs a key with the role ADMIN"))
      << out;
}

}  // namespace
}  // namespace dpmon
