// SPDX-License-Identifier: Apache-2.0
#pragma once
// A blocking TCP client with timeouts, for speaking raw bytes to a context in tests.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::testing {

class RawClient {
 public:
  // `receive_buffer`, if not 0, is the socket's SO_RCVBUF: a reader with a small TCP window.
  RawClient(const std::string& ip, std::uint16_t port, int receive_buffer = 0);
  explicit RawClient(int connected_fd) : fd_(connected_fd) {}
  ~RawClient();

  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void write(std::string_view bytes);
  void shutdown_write();

  // Reads until the peer closes or `timeout` passes; `closed` tells which.
  std::string read_until_close(std::chrono::milliseconds timeout, bool* closed = nullptr);

  // What one read of at most `at_most` bytes returns within `timeout`: empty on timeout or at
  // EOF (`closed` tells which).
  std::string read_some(std::chrono::milliseconds timeout, std::size_t at_most = 65536,
                        bool* closed = nullptr);

  // Closes with SO_LINGER 0, so the peer sees a reset.
  void reset();

 private:
  int fd_ = -1;
};

// A listening socket on 127.0.0.1 with a free port: a "sink" that sees what a context sends.
class RawListener {
 public:
  RawListener();
  ~RawListener();
  std::uint16_t port() const { return port_; }
  // The next connection, or null after `timeout`.
  std::unique_ptr<RawClient> accept(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A port on 127.0.0.1 that is bound but not listening: connecting to it is refused, and no other
// test can take it while this object lives (unlike a port that was merely closed).
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// One entry of a probe capture: the request sent and the answer seen, as raw bytes.
struct ProbeCase {
  std::string title;
  std::string request;
  std::string answer;  // "<EOF>" at the end means the connection was closed
};

// Reads a probe capture (`--- N title` / `>>> b'...'` / `<<< b'...'` lines).
std::vector<ProbeCase> read_probe_capture(const std::string& path);

// Decodes a Python bytes literal body (the text between b' and ').
std::string decode_python_bytes(std::string_view literal);

// Bytes from hex text ("82a174" -> "\x82\xa1t").
std::string from_hex(std::string_view hex);

// The test data directory (tests/data).
std::string data_path(const std::string& name);

}  // namespace compactor::testing
