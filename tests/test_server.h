// Runs the real dpmon-server binary on a temporary RocksDB directory, on a
// free loopback port, for integration tests.
//
// Thread-safety: one test thread per TestServer.
#ifndef DPMON_TESTS_TEST_SERVER_H_
#define DPMON_TESTS_TEST_SERVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/client.h"

namespace dpmon::testing {

class TestServer {
 public:
  // A fresh data directory under the system temp dir, removed on destruction.
  explicit TestServer(const std::string& name);
  ~TestServer();

  // Starts the server and waits until it serves; false on failure.
  bool Start(const std::vector<std::string>& extra_flags = {});
  void Kill9();      // Power-cut stand-in: SIGKILL, no shutdown.
  bool Terminate();  // SIGTERM and wait; true if it exited 0.
  bool Running();
  const std::string& address() const { return address_; }
  // The HTTP listener's host:port (on a free port unless the flags say).
  const std::string& http_address() const { return http_address_; }
  const std::string& data_dir() const { return data_dir_; }
  // The ADMIN key the server wrote for its new data directory.
  std::string admin_key_file() const { return data_dir_ + "-admin.key"; }
  std::string AdminKey() const;
  // Options for a Client of this server with the ADMIN key (or `key`).
  ClientOptions Options(absl::Duration deadline = absl::Seconds(60)) const;
  ClientOptions OptionsWithKey(const std::string& key) const;
  // A directory beside the data directory, removed with it (backups).
  std::string Scratch(const std::string& name) const { return root_ + "/" + name; }
  // `dpmon-server --check` on the data directory (the server stopped): its
  // exit status, the report in *out.
  int CheckOffline(std::string* out = nullptr) const;
  // dpmon-server --compact on the stopped server's directory: its exit status.
  int CompactOffline(std::string* out = nullptr) const;
  // What the server has logged so far.
  std::string Log() const;
  // dpctl with --server and --key_file set, then `args`.
  std::vector<std::string> Dpctl(const std::vector<std::string>& args) const;

 private:
  std::string root_;
  std::string data_dir_;
  std::string address_;
  std::string http_address_;
  pid_t pid_ = -1;
};

// Runs a command, returns its exit status; stdout into *out if given.
int RunCommand(const std::vector<std::string>& argv, std::string* out = nullptr);

}  // namespace dpmon::testing

#endif  // DPMON_TESTS_TEST_SERVER_H_
