// SPDX-License-Identifier: Apache-2.0
#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace compactor::testing {

RawClient::RawClient(const std::string& ip, std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot connect to " + ip + ":" + std::to_string(port));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("write failed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::string RawClient::read_until_close(std::chrono::milliseconds timeout, bool* closed) {
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (closed) *closed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return received;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return received;
    }
    received.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string RawClient::read_some(std::chrono::milliseconds timeout, std::size_t at_most,
                                 bool* closed) {
  if (closed) *closed = false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
  char chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, std::min(sizeof chunk, at_most), 0);
  if (n <= 0 && closed) *closed = true;
  return n > 0 ? std::string(chunk, static_cast<std::size_t>(n)) : std::string();
}

void RawClient::reset() {
  linger option{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  ::close(fd_);
  fd_ = -1;
}

namespace {

// A TCP socket bound to 127.0.0.1 on a free port; listening if asked.
int bound_socket(bool listening, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      (listening && ::listen(fd, 16) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a socket on 127.0.0.1");
  }
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

RawListener::RawListener() { fd_ = bound_socket(true, port_); }

RefusingPort::RefusingPort() { fd_ = bound_socket(false, port_); }

RefusingPort::~RefusingPort() { ::close(fd_); }

RawListener::~RawListener() { close(); }

void RawListener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::unique_ptr<RawClient> RawListener::accept(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return nullptr;
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::make_unique<RawClient>(fd);
}

std::string decode_python_bytes(std::string_view literal) {
  std::string out;
  for (std::size_t i = 0; i < literal.size(); ++i) {
    const char c = literal[i];
    if (c != '\\' || i + 1 >= literal.size()) {
      out.push_back(c);
      continue;
    }
    const char e = literal[++i];
    switch (e) {
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
        out.push_back('\'');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'x':
        out.push_back(
            static_cast<char>(std::stoi(std::string(literal.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
        break;
      default:
        out.push_back('\\');
        out.push_back(e);
    }
  }
  return out;
}

namespace {

// The text of a `>>> b'...'` or `<<< b'...'` line, decoded.
std::string literal_of(const std::string& line) {
  const auto start = line.find("b'");
  const auto end = line.rfind('\'');
  if (start == std::string::npos || end <= start + 1) return {};
  return decode_python_bytes(std::string_view(line).substr(start + 2, end - start - 2));
}

}  // namespace

std::vector<ProbeCase> read_probe_capture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<ProbeCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("--- ")) {
      cases.push_back({line.substr(4), {}, {}});
    } else if (line.starts_with(">>> ") && !cases.empty()) {
      cases.back().request = literal_of(line);
    } else if (line.starts_with("<<< ") && !cases.empty()) {
      cases.back().answer = literal_of(line);
    }
  }
  return cases;
}

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

std::string data_path(const std::string& name) {
  return std::string(COMPACTOR_TEST_DATA) + "/" + name;
}

}  // namespace compactor::testing
