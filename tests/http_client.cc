#include "tests/http_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dpmon::testing {

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

HttpReply HttpFetch(const std::string& address, const std::string& method,
                    const std::string& target, const std::vector<std::string>& headers,
                    const std::string& body) {
  HttpReply reply;
  const size_t colon = address.rfind(':');
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (colon == std::string::npos ||
      getaddrinfo(address.substr(0, colon).c_str(), address.substr(colon + 1).c_str(), &hints,
                  &found) != 0) {
    return reply;
  }
  const int fd = socket(found->ai_family, SOCK_STREAM, 0);
  const bool connected = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    if (fd >= 0) close(fd);
    return reply;
  }
  std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", address,
                                     "\r\nConnection: close\r\n");
  for (const std::string& h : headers) absl::StrAppend(&request, h, "\r\n");
  if (!body.empty() || method == "POST" || method == "PATCH") {
    absl::StrAppend(&request, "Content-Type: application/json\r\nContent-Length: ", body.size(),
                    "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // The server may answer (413) before reading it all.
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return reply;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &reply.status)) return reply;
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t c = lines[i].find(':');
    if (c == std::string::npos) continue;
    std::string name = absl::AsciiStrToLower(lines[i].substr(0, c));
    std::string value(absl::StripAsciiWhitespace(lines[i].substr(c + 1)));
    if (name == "transfer-encoding" && value == "chunked") chunked = true;
    reply.headers.emplace_back(std::move(name), std::move(value));
  }
  std::string rest = raw.substr(end + 4);
  if (!chunked) {
    reply.body = std::move(rest);
    return reply;
  }
  for (size_t at = 0;;) {
    const size_t eol = rest.find("\r\n", at);
    if (eol == std::string::npos) break;
    size_t size = 0;
    if (!absl::SimpleHexAtoi(rest.substr(at, eol - at), &size) || size == 0) break;
    reply.body += rest.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return reply;
}

}  // namespace dpmon::testing
