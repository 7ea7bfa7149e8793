// SPDX-License-Identifier: Apache-2.0
// The CAF 0.17 baseline of `compactor serve` / `compactor ping` between two OS processes: CAF's
// middleman (BASP over TCP) instead of libprocess's HTTP. One process publishes a pong actor;
// the other keeps W pings in flight and prints what `compactor ping` prints (msg/s counting
// pings and pongs, p50 and p99 round trips). `--request` sends them as request(...).then(...),
// the baseline of `compactor ping --ask`.
//
// Usage: caf_remote_ping_pong serve PORT
//        caf_remote_ping_pong ping PORT [round trips] [in flight] [bytes] [--request]

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
using Clock = std::chrono::steady_clock;

// Answers a plain ping with a plain pong to its sender, and a request with its response: CAF
// sends a handler's result back either way.
caf::behavior ponger(caf::event_based_actor*) {
  return {
      [](ping_atom, const std::string& body) { return caf::make_message(pong_atom::value, body); }};
}

struct Run {
  std::int64_t total, in_flight;
  std::string body;
  bool request;
  std::int64_t sent = 0, received = 0;
  std::vector<Clock::time_point> started;  // per ping, by its number
  std::vector<double> round_trips_us;
  std::promise<void> done;
};

void ping_next(caf::event_based_actor* self, const caf::actor& pong, Run& run);

void pong_received(caf::event_based_actor* self, const caf::actor& pong, Run& run,
                   std::int64_t number) {
  run.round_trips_us.push_back(
      std::chrono::duration<double, std::micro>(Clock::now() - run.started[number]).count());
  if (++run.received == run.total) {
    run.done.set_value();
    self->quit();
  } else if (run.sent < run.total) {
    ping_next(self, pong, run);
  }
}

void ping_next(caf::event_based_actor* self, const caf::actor& pong, Run& run) {
  const std::int64_t number = run.sent++;
  run.started[number] = Clock::now();
  if (run.request) {
    self->request(pong, std::chrono::seconds(10), ping_atom::value, run.body)
        .then([self, pong, &run, number](pong_atom, const std::string&) {
          pong_received(self, pong, run, number);
        });
  } else {
    self->send(pong, ping_atom::value, run.body);
  }
}

// Plain pongs come back in the order the pings went: the oldest ping in flight is answered.
caf::behavior pinger(caf::event_based_actor* self, caf::actor pong, Run* run) {
  for (std::int64_t i = 0; i < std::min(run->in_flight, run->total); ++i)
    ping_next(self, pong, *run);
  return {[self, pong, run](pong_atom, const std::string&) {
    pong_received(self, pong, *run, run->received);
  }};
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

int serve(caf::actor_system& system, std::uint16_t port) {
  auto published = system.middleman().publish(system.spawn(ponger), port, "127.0.0.1", true);
  if (!published) {
    std::fprintf(stderr, "publish: %s\n", system.render(published.error()).c_str());
    return 1;
  }
  std::printf("serving on 127.0.0.1:%u\n", *published);
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));  // until killed
}

int ping(caf::actor_system& system, std::uint16_t port, Run& run) {
  auto pong = system.middleman().remote_actor("127.0.0.1", port);
  if (!pong) {
    std::fprintf(stderr, "remote_actor: %s\n", system.render(pong.error()).c_str());
    return 1;
  }
  run.started.resize(static_cast<std::size_t>(run.total));
  run.round_trips_us.reserve(static_cast<std::size_t>(run.total));
  const auto start = Clock::now();
  system.spawn(pinger, *pong, &run);
  if (run.done.get_future().wait_for(std::chrono::minutes(5)) != std::future_status::ready) {
    std::fprintf(stderr, "timed out after %lld of %lld round trips\n",
                 static_cast<long long>(run.received), static_cast<long long>(run.total));
    std::_Exit(1);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%lld round trips, %lld in flight, %zu bytes: %.0f msg/s, p50 %.1f us, p99 %.1f us\n",
              static_cast<long long>(run.total), static_cast<long long>(run.in_flight),
              run.body.size(), 2.0 * static_cast<double>(run.total) / seconds,
              percentile(run.round_trips_us, 0.5), percentile(run.round_trips_us, 0.99));
  std::fflush(stdout);
  std::_Exit(0);  // the middleman's connection would otherwise be torn down at length
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const bool request = std::erase(args, "--request") > 0;
  if (args.size() < 2 || (args[0] != "serve" && args[0] != "ping")) {
    std::fprintf(stderr,
                 "usage: caf_remote_ping_pong serve PORT\n"
                 "       caf_remote_ping_pong ping PORT [round trips] [in flight] [bytes] "
                 "[--request]\n");
    return 2;
  }
  const auto number = [&](std::size_t i, long fallback) {
    return i < args.size() ? std::atol(std::string(args[i]).c_str()) : fallback;
  };
  caf::actor_system_config config;
  config.load<caf::io::middleman>();
  caf::actor_system system{config};
  const auto port = static_cast<std::uint16_t>(number(1, 0));
  if (args[0] == "serve") return serve(system, port);
  Run run{number(2, 100000), number(3, 100),
          std::string(static_cast<std::size_t>(number(4, 200)), 'x'), request};
  return ping(system, port, run);
}
