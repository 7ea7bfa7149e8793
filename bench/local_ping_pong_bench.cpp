// SPDX-License-Identifier: Apache-2.0
// Ping-pong between two processes of one context: messages per second (pings and pongs both
// count, as CAF's benchmark counts them) with 1 and 100 pings in flight; the same round trips
// as Process::ask from 1 and 100 coroutines (LocalAsk), against the same Pong.

#include <compactor/compactor.hpp>

#include <benchmark/benchmark.h>

#include <future>

namespace {

using namespace compactor;

class Pong : public Process {
 public:
  Pong() : Process("pong") {}
  void initialize() override {
    install("ping", [this](const PID& from, std::string_view body) { send(from, "pong", body); });
  }
};

// Keeps `in_flight` pings outstanding until `total` pongs came back, then fulfils the promise.
class Ping : public Process {
 public:
  Ping(PID pong, std::int64_t total, std::int64_t in_flight)
      : Process("ping"), pong_(std::move(pong)), total_(total), in_flight_(in_flight) {}

  std::future<void> done() { return done_.get_future(); }

  void initialize() override {
    install("pong", [this](const PID&, std::string_view) {
      if (++received_ == total_) {
        done_.set_value();
      } else if (sent_ < total_) {
        ping();
      }
    });
    for (std::int64_t i = 0; i < std::min(in_flight_, total_); ++i) ping();
  }

 private:
  void ping() {
    ++sent_;
    send(pong_, "ping", "x");
  }

  PID pong_;
  std::int64_t total_, in_flight_, sent_ = 0, received_ = 0;
  std::promise<void> done_;
};

// `in_flight` coroutines, each asking Pong in turn, until `total` replies came back.
class Asker : public Process {
 public:
  Asker(PID pong, std::int64_t total, std::int64_t in_flight)
      : Process("asker"), pong_(std::move(pong)), total_(total), in_flight_(in_flight) {}

  std::future<void> done() { return done_.get_future(); }

  void initialize() override {
    for (std::int64_t i = 0; i < std::min(in_flight_, total_); ++i) launch(keep_asking());
  }

 private:
  Task<> keep_asking() {
    while (sent_ < total_) {
      ++sent_;
      co_await ask(pong_, "ping", "x", std::chrono::seconds(10));
      if (++received_ == total_) done_.set_value();
    }
  }

  PID pong_;
  std::int64_t total_, in_flight_, sent_ = 0, received_ = 0;
  std::promise<void> done_;
};

// Round trips of `Driver` (Ping or Asker) against one Pong.
template <class Driver>
void RoundTrips(benchmark::State& state) {
  const auto in_flight = state.range(0);
  constexpr std::int64_t kRoundTrips = 100000;
  Context context;
  const PID pong = context.spawn(std::make_unique<Pong>());
  for (auto _ : state) {
    auto driver = std::make_unique<Driver>(pong, kRoundTrips, in_flight);
    auto done = driver->done();
    const PID pid = context.spawn(std::move(driver));
    done.wait();
    context.terminate(pid);
    context.wait(pid);
  }
  state.SetItemsProcessed(state.iterations() * kRoundTrips * 2);
}

void LocalPingPong(benchmark::State& state) { RoundTrips<Ping>(state); }
BENCHMARK(LocalPingPong)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void LocalAsk(benchmark::State& state) { RoundTrips<Asker>(state); }
BENCHMARK(LocalAsk)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
