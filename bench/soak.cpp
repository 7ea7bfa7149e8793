// SPDX-License-Identifier: Apache-2.0
// The parts of bench/soak.sh: a slow receiver, a sender, a peer that never reads, and clients that
// misbehave (half-sent bodies, idle connections). Each prints what it saw and its peak RSS.
//
//   soak receive HANDLER_US COUNT      prints "PID sink@ip:port"; handles COUNT messages, each
//                                      taking HANDLER_US, checks their order
//   soak send PID COUNT SIZE           sends COUNT messages of SIZE bytes to PID, linked; stops
//                                      early when exited
//   soak stuck                         prints "PORT n"; accepts connections and never reads
//   soak half-bodies PORT CONNS MIB    CONNS connections each declare a 64 MiB body, send MIB MiB
//                                      of it, and hold for 5 s
//   soak idle PORT CONNS SECONDS       CONNS idle connections held for SECONDS
//   soak web MIB                       prints "PORT n"; serves /web/big (MIB MiB, the same bytes
//                                      to everyone) and /web/small until its input ends, then
//                                      prints its counters

#include <compactor/compactor.hpp>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace compactor;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// Handles "m" slowly; bodies start with their sequence number.
class Sink : public Process {
 public:
  explicit Sink(std::chrono::microseconds cost) : Process("sink"), cost_(cost) {}
  std::atomic<long> handled{0};
  std::atomic<long> out_of_order{0};

 protected:
  void initialize() override {
    install("m", [this](const PID&, std::string_view body) {
      const long n = std::stol(std::string(body.substr(0, body.find(' '))));
      if (n != handled) ++out_of_order;
      ++handled;
      const auto until = SteadyClock::now() + cost_;
      while (SteadyClock::now() < until) {
      }
    });
  }

 private:
  const std::chrono::microseconds cost_;
};

// Sends `count` messages of `size` bytes, 100 per handler, linked to the receiver.
class Sender : public Process {
 public:
  Sender(PID to, long count, std::size_t size)
      : Process("sender"), to_(std::move(to)), count_(count), size_(size) {}
  std::atomic<long> sent{0};
  std::atomic<bool> exited_peer{false};

 protected:
  void initialize() override {
    link(to_);
    install("tick", [this](const PID&, std::string_view) {
      for (int i = 0; i < 100 && sent < count_ && !exited_peer; ++i) {
        std::string body = std::to_string(sent.load()) + ' ';
        body.resize(size_, 'x');
        send(to_, "m", body);
        ++sent;
      }
      if (sent < count_ && !exited_peer) send(self(), "tick");
    });
    send(self(), "tick");
  }
  void exited(const PID&) override { exited_peer = true; }

 private:
  const PID to_;
  const long count_;
  const std::size_t size_;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int receive(long cost_us, long count) {
  Sink sink{std::chrono::microseconds(cost_us)};
  Context context;
  std::printf("PID %s\n", context.spawn(sink).to_string().c_str());
  std::fflush(stdout);
  const auto start = SteadyClock::now();
  // Bounded: three times the work, plus a minute.
  const auto deadline = start + 3 * count * std::chrono::microseconds(cost_us) + 60s;
  while (sink.handled < count && SteadyClock::now() < deadline) std::this_thread::sleep_for(10ms);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf("receiver: %ld messages in %.1f s, %ld out of order, %lu dropped, peak RSS %ld MiB\n",
              sink.handled.load(), seconds, sink.out_of_order.load(),
              static_cast<unsigned long>(context.stats().messages_dropped), peak_rss_mib());
  return 0;
}

int send_all(const std::string& to, long count, std::size_t size) {
  Sender sender(PID::parse(to), count, size);
  // The receiver sets the pace: give the queue time to drain at shutdown.
  Context context({.shutdown_timeout = 30min});
  const auto start = SteadyClock::now();
  context.spawn(sender);
  while (sender.sent < count && !sender.exited_peer) std::this_thread::sleep_for(10ms);
  if (sender.exited_peer) {
    std::printf("sender: exited after %.1f s, %ld sent, peak RSS %ld MiB\n",
                std::chrono::duration<double>(SteadyClock::now() - start).count(),
                sender.sent.load(), peak_rss_mib());
    // Not a graceful shutdown: it would wait up to shutdown_timeout for the stuck peer's FIN.
    std::fflush(stdout);
    std::_Exit(0);
  }
  context.shutdown();  // writes the rest
  const auto stats = context.stats();
  std::printf(
      "sender: %ld messages of %zu bytes written in %.1f s, held %lu times, %lu unsent, peak RSS "
      "%ld MiB\n",
      sender.sent.load(), size, std::chrono::duration<double>(SteadyClock::now() - start).count(),
      static_cast<unsigned long>(stats.senders_held),
      static_cast<unsigned long>(stats.messages_unsent), peak_rss_mib());
  return 0;
}

int stuck() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(fd, 16);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("PORT %u\n", ntohs(address.sin_port));
  std::fflush(stdout);
  std::vector<int> accepted;
  for (;;) accepted.push_back(::accept(fd, nullptr, nullptr));  // never read
}

// A route that answers one large document to everyone, and a small one.
class Web : public Process {
 public:
  explicit Web(long mib)
      : Process("web"),
        big_(std::make_shared<const std::string>(static_cast<std::size_t>(mib) << 20, 'b')) {}

 protected:
  void initialize() override {
    route("/big", [this](const http::Request&, http::Responder respond) {
      respond(http::Response::shared(big_, "application/octet-stream"));
    });
    route("/small", [](const http::Request&, http::Responder respond) {
      respond(http::Response::text("small"));
    });
  }

 private:
  const std::shared_ptr<const std::string> big_;
};

int web(long mib) {
  Web web(mib);
  Context context;
  context.spawn(web);
  std::printf("PORT %u\n", context.address().port);
  std::fflush(stdout);
  while (std::getchar() != EOF) {
  }
  const auto stats = context.stats();
  std::printf(
      "web: %lu too slow, %lu over the answer budget, %lu requests timed out, %lu rejected, "
      "peak RSS %ld MiB\n",
      static_cast<unsigned long>(stats.answers_too_slow),
      static_cast<unsigned long>(stats.answers_over_budget),
      static_cast<unsigned long>(stats.requests_timed_out),
      static_cast<unsigned long>(stats.requests_rejected), peak_rss_mib());
  std::fflush(stdout);
  std::_Exit(0);  // not waiting for attackers to close
}

int half_bodies(std::uint16_t port, int connections, long mib) {
  std::vector<int> fds;
  const std::string chunk(1 << 20, 'h');
  for (int i = 0; i < connections; ++i) {
    const int fd = connect_to(port);
    if (fd < 0) continue;
    const std::string head =
        "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: "
        "67108864\r\n\r\n";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    for (long m = 0; m < mib; ++m) {
      if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;  // refused: closed
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(5s);
  for (const int fd : fds) ::close(fd);
  return 0;
}

int idle(std::uint16_t port, int connections, int seconds) {
  std::vector<int> fds;
  for (int i = 0; i < connections; ++i) fds.push_back(connect_to(port));
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  for (const int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto number = [&](std::size_t i) { return std::stol(args.at(i)); };
  try {
    if (args.size() == 3 && args[0] == "receive") return receive(number(1), number(2));
    if (args.size() == 4 && args[0] == "send") {
      return send_all(args[1], number(2), static_cast<std::size_t>(number(3)));
    }
    if (args.size() == 1 && args[0] == "stuck") return stuck();
    if (args.size() == 4 && args[0] == "half-bodies") {
      return half_bodies(static_cast<std::uint16_t>(number(1)), static_cast<int>(number(2)),
                         number(3));
    }
    if (args.size() == 2 && args[0] == "web") return web(number(1));
    if (args.size() == 4 && args[0] == "idle") {
      return idle(static_cast<std::uint16_t>(number(1)), static_cast<int>(number(2)),
                  static_cast<int>(number(3)));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "soak: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr, "usage: see the comment at the top of bench/soak.cpp\n");
  return 2;
}
