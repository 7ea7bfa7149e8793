// SPDX-License-Identifier: Apache-2.0
// The cost of the metrics on a hot path: a Counter increment and a Timer sample, against a bare
// relaxed atomic add measured in the same run; one thread, and two threads on one metric.

#include <compactor/metrics.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>

namespace {

std::atomic<std::uint64_t> bare{0};
compactor::metrics::Counter counter("bench/counter");
compactor::metrics::Timer timer("bench/timer");

void BM_BareRelaxedAtomicAdd(benchmark::State& state) {
  for (auto _ : state) bare.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_BareRelaxedAtomicAdd)->Threads(1)->Threads(2);

void BM_CounterIncrement(benchmark::State& state) {
  for (auto _ : state) ++counter;
}
BENCHMARK(BM_CounterIncrement)->Threads(1)->Threads(2);

void BM_TimerRecord(benchmark::State& state) {
  for (auto _ : state) timer.record(std::chrono::microseconds(42));
}
BENCHMARK(BM_TimerRecord)->Threads(1)->Threads(2);

// What a caller timing its own work pays: two clock reads and the sample.
void BM_TimerTime(benchmark::State& state) {
  for (auto _ : state) timer.time([] { benchmark::ClobberMemory(); });
}
BENCHMARK(BM_TimerTime);

}  // namespace

BENCHMARK_MAIN();
