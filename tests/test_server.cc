#include "tests/test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace dpmon::testing {

TestServer::TestServer(const std::string& name) {
  root_ = (std::filesystem::temp_directory_path() / absl::StrCat("dpmon_it_", name, "_", getpid()))
              .string();
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
  data_dir_ = root_ + "/db";
}

TestServer::~TestServer() {
  if (pid_ > 0) Kill9();
  std::filesystem::remove_all(root_);
}

bool TestServer::Start(const std::vector<std::string>& extra_flags) {
  const std::string ready = root_ + "/ready";
  std::filesystem::remove(ready);
  std::vector<std::string> args = {DPMON_SERVER_BIN, "--listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir_, "--ready_file=" + ready,
                                   "--http_listen=127.0.0.1:0"};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  pid_ = fork();
  if (pid_ == 0) {
    int log = open((root_ + "/server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, STDERR_FILENO);
      close(log);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(ready);
    std::string addr;
    if (in && std::getline(in, addr) && !addr.empty()) {
      address_ = addr;
      http_address_.clear();
      std::getline(in, http_address_);  // None with --http_listen=off.
      return true;
    }
    if (!Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string TestServer::AdminKey() const {
  std::ifstream in(admin_key_file());
  std::string key;
  std::getline(in, key);
  return key;
}

ClientOptions TestServer::OptionsWithKey(const std::string& key) const {
  ClientOptions o;
  o.server = address_;
  o.api_key = key;
  return o;
}

ClientOptions TestServer::Options(absl::Duration deadline) const {
  ClientOptions o = OptionsWithKey(AdminKey());
  o.deadline = deadline;
  return o;
}

std::vector<std::string> TestServer::Dpctl(const std::vector<std::string>& args) const {
  std::vector<std::string> out = {DPMON_DPCTL_BIN, "--server=" + address_,
                                  "--key_file=" + admin_key_file()};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

int TestServer::CheckOffline(std::string* out) const {
  return RunCommand({DPMON_SERVER_BIN, "--check", "--data_dir=" + data_dir_}, out);
}

int TestServer::CompactOffline(std::string* out) const {
  return RunCommand({DPMON_SERVER_BIN, "--compact", "--data_dir=" + data_dir_}, out);
}

std::string TestServer::Log() const {
  std::ifstream in(root_ + "/server.log");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool TestServer::Running() {
  if (pid_ <= 0) return false;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void TestServer::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool TestServer::Terminate() {
  if (pid_ <= 0) return false;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int RunCommand(const std::vector<std::string>& argv_in, std::string* out) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    std::vector<std::string> args = argv_in;
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  std::string collected;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) collected.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = collected;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace dpmon::testing
