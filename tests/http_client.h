// A minimal HTTP/1.1 client for the integration tests: one request per
// connection, over plain TCP to the test server's HTTP listener.
//
// Thread-safety: pure functions.
#ifndef DPMON_TESTS_HTTP_CLIENT_H_
#define DPMON_TESTS_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

namespace dpmon::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (the connection failed or closed early).
  std::vector<std::pair<std::string, std::string>> headers;  // Names in lower case.
  std::string body;

  // The first header of that (lower-case) name, or "".
  std::string Header(const std::string& name) const;
};

// Sends `method target` to `address` (host:port) with `headers` ("Name:
// value" lines) and `body`, and reads the whole answer.
HttpReply HttpFetch(const std::string& address, const std::string& method,
                    const std::string& target, const std::vector<std::string>& headers = {},
                    const std::string& body = "");

// Percent-encodes a query value or path segment.
std::string UrlEncode(const std::string& s);

}  // namespace dpmon::testing

#endif  // DPMON_TESTS_HTTP_CLIENT_H_
