// SPDX-License-Identifier: Apache-2.0
// The floor for remote round trips: a ping-pong of fixed-size messages over a loopback TCP
// connection between two OS processes, with blocking sockets and TCP_NODELAY, no framing, no
// threads. Prints the same line as `compactor ping`, so the two can be compared in one run.
//
// Usage: raw_tcp_ping_pong [N round trips] [W in flight] [B bytes]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

bool read_exactly(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// The child: echoes every message back.
int serve(int listener, std::size_t size) {
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return 1;
  no_delay(fd);
  std::vector<char> buffer(std::max<std::size_t>(size, 1));
  while (read_exactly(fd, buffer.data(), size) && write_all(fd, buffer.data(), size)) {
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  const std::size_t in_flight = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1;
  const std::size_t size = argc > 3 ? std::max(1ul, std::strtoul(argv[3], nullptr, 10)) : 200;

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("listen");
    return 1;
  }
  const pid_t child = fork();
  if (child == 0) _exit(serve(listener, size));
  ::close(listener);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    return 1;
  }
  no_delay(fd);
  std::vector<char> message(size, 'x');
  std::deque<Clock::time_point> sent_at;
  std::vector<Clock::duration> round_trips;
  round_trips.reserve(count);
  const auto started = Clock::now();
  std::size_t sent = 0;
  for (; sent < std::min(in_flight, count); ++sent) {
    sent_at.push_back(Clock::now());
    write_all(fd, message.data(), size);
  }
  while (round_trips.size() < count) {
    if (!read_exactly(fd, message.data(), size)) return 1;
    round_trips.push_back(Clock::now() - sent_at.front());
    sent_at.pop_front();
    if (sent < count) {
      sent_at.push_back(Clock::now());
      write_all(fd, message.data(), size);
      ++sent;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  ::close(fd);
  waitpid(child, nullptr, 0);
  auto percentile = [&](double fraction) {
    auto samples = round_trips;
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
    std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                     samples.end());
    return std::chrono::duration<double, std::micro>(samples[index]).count();
  };
  std::printf("%zu round trips, %zu in flight, %zu bytes: %.0f msg/s, p50 %.1f us, p99 %.1f us\n",
              count, in_flight, size, 2.0 * static_cast<double>(count) / seconds, percentile(0.5),
              percentile(0.99));
  return 0;
}
