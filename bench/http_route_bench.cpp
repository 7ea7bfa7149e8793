// SPDX-License-Identifier: Apache-2.0
// HTTP requests per second over loopback with keep-alive: a process route answering "ok" versus
// nginx (Debian's nginx-light, started here) serving a static 2-byte file, measured in the same
// run with the same client: `connections` threads, one request in flight on each.
//
// Usage: http_route_bench [seconds per server, default 5] [connections, default 4]
//        http_route_bench serve: only the route, at http://127.0.0.1:PORT/hello/ (it prints
//        "serving PORT"), until killed: for an outside client such as wrk (bench/compare.sh).

#include <compactor/compactor.hpp>

#include "support/child_process.hpp"
#include "support/servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace compactor;
using SteadyClock = std::chrono::steady_clock;

// Sends GET `path` over one keep-alive connection, again and again until `stop`; counts answers.
void client(std::uint16_t port, const std::string& path, const std::atomic<bool>& stop,
            std::atomic<long>& answered) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n";
  std::string buffer;
  char chunk[4096];
  while (!stop.load(std::memory_order_relaxed)) {
    if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) break;
    // One whole response: headers, then Content-Length bytes.
    for (;;) {
      const auto end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto at = buffer.find("ontent-Length: ");
        const std::size_t length = at < end ? std::stoul(buffer.substr(at + 15)) : 0;
        if (buffer.size() >= end + 4 + length) {
          buffer.erase(0, end + 4 + length);
          break;
        }
      }
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    answered.fetch_add(1, std::memory_order_relaxed);
  }
  ::close(fd);
}

double measure(std::uint16_t port, const std::string& path, int connections, int seconds) {
  std::atomic<bool> stop = false;
  std::atomic<long> answered = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < connections; ++i) {
    clients.emplace_back(client, port, path, std::cref(stop), std::ref(answered));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm up
  const long before = answered;
  const auto start = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const long count = answered - before;
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  stop = true;
  for (auto& c : clients) c.join();
  return static_cast<double>(count) / elapsed;
}

class Hello : public Process {
 public:
  Hello() : Process("hello") {}
  void initialize() override {
    route("/", [](const http::Request&, http::Responder respond) {
      respond(http::Response::text("ok"));
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "serve") {
    Hello hello;
    Context context({.ip = "127.0.0.1", .port = 0});
    context.spawn(hello);
    std::printf("serving %u\n", static_cast<unsigned>(context.address().port));
    std::fflush(stdout);
    for (;;) ::pause();  // until a signal ends the process
  }
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 4;

  // nginx: one worker, no logs, a 2-byte file.
  const auto dir =
      std::filesystem::temp_directory_path() / ("compactor-nginx-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "root");
  std::ofstream(dir / "root" / "ok") << "ok";
  const std::uint16_t nginx_port = testing::free_port();
  std::ofstream(dir / "nginx.conf")
      << "daemon off; master_process off; worker_processes 1; pid " << (dir / "nginx.pid").string()
      << "; error_log stderr error;\nevents { worker_connections 256; }\n"
      << "http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:"
      << nginx_port << "; root " << (dir / "root").string() << "; } }\n";
  testing::ChildProcess nginx(
      {testing::find_program("nginx"), "-c", (dir / "nginx.conf").string(), "-p", dir.string()}, {},
      /*capture_output=*/false);
  if (!testing::wait_until_accepting(nginx_port, std::chrono::seconds(10))) {
    std::fprintf(stderr, "nginx did not start\n");
    return 1;
  }

  Hello hello;
  Context context({.ip = "127.0.0.1", .port = 0});
  context.spawn(hello);

  const double ours = measure(context.address().port, "/hello/", connections, seconds);
  const double theirs = measure(nginx_port, "/ok", connections, seconds);
  std::printf("keep-alive GET, %d connections, 1 in flight each, %d s each:\n", connections,
              seconds);
  std::printf("  compactor route:  %.0f req/s\n  nginx static 2 B: %.0f req/s\n  ratio: %.2f\n",
              ours, theirs, ours / theirs);
  nginx.kill(SIGTERM);
  nginx.wait(std::chrono::seconds(5));
  std::filesystem::remove_all(dir);
  return 0;
}
