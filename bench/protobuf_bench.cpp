// SPDX-License-Identifier: Apache-2.0
// Protobuf messages: decode + dispatch to a ProtobufProcess handler, for a small message and for
// one with 1,000 sub-messages; baseline in the same run: the same bodies to a plain handler
// that does not parse them (delivery and dispatch only).
//
// Also the Clock: arming and firing 1 M timers (ManualClock: the queue alone; system clock:
// with its thread).

#include <compactor/compactor.hpp>
#include <compactor/protobuf.hpp>

#include "test_messages.pb.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <future>

namespace {

using namespace compactor;

// Counts what it handled; fulfils a promise at `expected`.
template <class Base>
class Counter : public Base {
 public:
  Counter() : Base("counter") {}
  void expect(std::int64_t count) {
    handled_ = 0;
    expected_ = count;
    done_ = {};
  }
  std::future<void> done() { return done_.get_future(); }
  void count(std::int64_t weight) {
    sink_ += weight;
    if (++handled_ == expected_) done_.set_value();
  }

 private:
  std::int64_t handled_ = 0, expected_ = 0, sink_ = 0;
  std::promise<void> done_;
};

class ProtobufCounter : public Counter<ProtobufProcess> {
 protected:
  void initialize() override {
    install<test::Ping>([this](const PID&, const test::Ping& ping) { count(ping.sequence()); });
    install<test::Inventory>(
        [this](const PID&, const test::Inventory& inventory) { count(inventory.items_size()); });
  }
};

class RawCounter : public Counter<Process> {
 protected:
  void initialize() override {
    for (const char* name : {"compactor.test.Ping", "compactor.test.Inventory"}) {
      install(name, [this](const PID&, std::string_view body) {
        count(static_cast<std::int64_t>(body.size()));
      });
    }
  }
};

std::string small_body() {
  test::Ping ping;
  ping.set_sequence(12345);
  ping.set_note("hello");
  return ping.SerializeAsString();
}

std::string large_body() {
  test::Inventory inventory;
  for (int i = 0; i < 1000; ++i) {
    auto* item = inventory.add_items();
    item->set_name("item-" + std::to_string(i));
    item->set_count(i);
  }
  return inventory.SerializeAsString();
}

template <class CounterType>
void Deliver(benchmark::State& state, const char* name, const std::string& body,
             std::int64_t batch) {
  CounterType counter;
  Context context;
  const PID pid = context.spawn(counter);
  for (auto _ : state) {
    counter.expect(batch);  // set before the first message can arrive: the counter is idle
    auto done = counter.done();
    for (std::int64_t i = 0; i < batch; ++i) context.send(PID(), pid, name, body);
    done.wait();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  context.terminate(pid);
  context.wait(pid, std::chrono::seconds(10));
}

void SmallProtobuf(benchmark::State& state) {
  Deliver<ProtobufCounter>(state, "compactor.test.Ping", small_body(), 100000);
}
void SmallRaw(benchmark::State& state) {
  Deliver<RawCounter>(state, "compactor.test.Ping", small_body(), 100000);
}
void ThousandSubMessagesProtobuf(benchmark::State& state) {
  Deliver<ProtobufCounter>(state, "compactor.test.Inventory", large_body(), 1000);
}
void ThousandSubMessagesRaw(benchmark::State& state) {
  Deliver<RawCounter>(state, "compactor.test.Inventory", large_body(), 1000);
}
BENCHMARK(SmallRaw)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(SmallProtobuf)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ThousandSubMessagesRaw)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ThousandSubMessagesProtobuf)->Unit(benchmark::kMillisecond)->UseRealTime();

// 1 M timers armed at spread-out times, then all fired by one advance.
void ManualClockMillionTimers(benchmark::State& state) {
  constexpr int kTimers = 1'000'000;
  for (auto _ : state) {
    ManualClock clock;
    std::int64_t fired = 0;
    for (int i = 0; i < kTimers; ++i) {
      clock.schedule_after(std::chrono::microseconds((i * 7919L) % 1'000'000), [&] { ++fired; });
    }
    clock.advance(std::chrono::seconds(1));
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * kTimers);
}
BENCHMARK(ManualClockMillionTimers)->Unit(benchmark::kMillisecond);

// 1 M timers on the system clock, all due within 100 ms, fired by its thread.
void SystemClockMillionTimers(benchmark::State& state) {
  constexpr int kTimers = 1'000'000;
  for (auto _ : state) {
    auto& clock = Clock::system();
    std::atomic<int> fired = 0;
    std::promise<void> all;
    const auto start = clock.now();
    for (int i = 0; i < kTimers; ++i) {
      clock.schedule(start + std::chrono::microseconds(i % 100'000), [&] {
        if (fired.fetch_add(1, std::memory_order_relaxed) + 1 == kTimers) all.set_value();
      });
    }
    all.get_future().wait();
  }
  state.SetItemsProcessed(state.iterations() * kTimers);
}
BENCHMARK(SystemClockMillionTimers)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
