// SPDX-License-Identifier: Apache-2.0
// The CAF 0.17 baseline of local_ping_pong_bench: the same ping-pong between two event-based
// actors of one actor system, 1 and 100 in flight, messages per second both ways; and the same
// round trips as CAF's request(...).then(...), the baseline of LocalAsk: without a timeout
// (CafRequest) and with LocalAsk's 10 s (CafRequestDeadline: every compactor ask has one).

#include <caf/all.hpp>

#include <benchmark/benchmark.h>

#include <future>
#include <memory>

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;

caf::behavior ponger(caf::event_based_actor* self) {
  return {[=](ping_atom, const std::string& body) {
    self->send(caf::actor_cast<caf::actor>(self->current_sender()), pong_atom::value, body);
  }};
}

caf::behavior pinger(caf::event_based_actor* self, caf::actor pong, std::int64_t total,
                     std::int64_t in_flight, std::promise<void>* done) {
  auto sent = std::make_shared<std::int64_t>(0);
  auto received = std::make_shared<std::int64_t>(0);
  for (std::int64_t i = 0; i < std::min(in_flight, total); ++i) {
    ++*sent;
    self->send(pong, ping_atom::value, std::string("x"));
  }
  return {[=](pong_atom, const std::string&) {
    if (++*received == total) {
      done->set_value();
      self->quit();
    } else if (*sent < total) {
      ++*sent;
      self->send(pong, ping_atom::value, std::string("x"));
    }
  }};
}

// Round trips of a `driver` actor against one `answerer`.
template <auto answerer, auto driver>
void RoundTrips(benchmark::State& state) {
  const auto in_flight = state.range(0);
  constexpr std::int64_t kRoundTrips = 100000;
  caf::actor_system_config config;
  caf::actor_system system{config};
  auto pong = system.spawn(answerer);
  for (auto _ : state) {
    std::promise<void> done;
    system.spawn(driver, pong, kRoundTrips, in_flight, &done);
    done.get_future().wait();
  }
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  state.SetItemsProcessed(state.iterations() * kRoundTrips * 2);
}

void CafPingPong(benchmark::State& state) { RoundTrips<ponger, pinger>(state); }
BENCHMARK(CafPingPong)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

// Answers a request with its result (a response, as request(...).then(...) wants).
caf::behavior replier(caf::event_based_actor*) {
  return {
      [](ping_atom, const std::string& body) { return caf::make_message(pong_atom::value, body); }};
}

// Keeps `in_flight` requests outstanding, each answered in a then(), until `total` came back.
template <class Timeout>
void ask_next(caf::event_based_actor* self, const caf::actor& pong, Timeout timeout,
              std::int64_t total, const std::shared_ptr<std::int64_t>& sent,
              const std::shared_ptr<std::int64_t>& received, std::promise<void>* done) {
  ++*sent;
  self->request(pong, timeout, ping_atom::value, std::string("x"))
      .then([=](pong_atom, const std::string&) {
        if (++*received == total) {
          done->set_value();
          self->quit();
        } else if (*sent < total) {
          ask_next(self, pong, timeout, total, sent, received, done);
        }
      });
}

template <auto timeout>
caf::behavior requester(caf::event_based_actor* self, caf::actor pong, std::int64_t total,
                        std::int64_t in_flight, std::promise<void>* done) {
  auto sent = std::make_shared<std::int64_t>(0);
  auto received = std::make_shared<std::int64_t>(0);
  for (std::int64_t i = 0; i < std::min(in_flight, total); ++i) {
    ask_next(self, pong, timeout(), total, sent, received, done);
  }
  return {[](const std::string&) {}};
}

constexpr auto no_timeout = [] { return caf::infinite; };
constexpr auto ten_seconds = [] { return std::chrono::seconds(10); };

void CafRequest(benchmark::State& state) { RoundTrips<replier, requester<no_timeout>>(state); }
BENCHMARK(CafRequest)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void CafRequestDeadline(benchmark::State& state) {
  RoundTrips<replier, requester<ten_seconds>>(state);
}
BENCHMARK(CafRequestDeadline)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
