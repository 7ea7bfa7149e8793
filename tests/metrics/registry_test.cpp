// SPDX-License-Identifier: Apache-2.0
// The metrics types and registry: values, timer windows on a ManualClock, libprocess's snapshot
// keys, names unique also as Prometheus sees them.

#include "metrics/registry.hpp"

#include <compactor/metrics.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;

std::map<std::string, double> snapshot(const metrics::Registry& registry) {
  auto future = registry.snapshot(5s);
  EXPECT_TRUE(future.await(10s));
  return future.get();
}

TEST(Metrics, CountersAndGaugesAreSharedByCopiesAndSafeFromManyThreads) {
  metrics::Counter counter("work/done");
  metrics::Gauge gauge("work/queue");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = counter, gauge]() mutable {
      for (int i = 0; i < 10000; ++i) {
        ++copy;
        gauge.increment();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  counter += 5;
  EXPECT_EQ(counter.value(), 40005u);
  EXPECT_EQ(gauge.value(), 40000);
  gauge.set(2.5);
  gauge.decrement(0.5);
  EXPECT_EQ(gauge.value(), 2);
}

TEST(Metrics, TimerStatisticsCoverTheWindowWithInterpolatedPercentiles) {
  ManualClock clock;
  metrics::Timer timer("rpc/latency", {.window = 10s, .clock = &clock});
  for (int ms = 1; ms <= 100; ++ms) timer.record(std::chrono::milliseconds(ms));
  auto statistics = timer.statistics();
  EXPECT_EQ(statistics.count, 100u);
  EXPECT_DOUBLE_EQ(statistics.min, 1);
  EXPECT_DOUBLE_EQ(statistics.max, 100);
  EXPECT_DOUBLE_EQ(statistics.p50, 50.5);  // between the 50th and 51st sample
  EXPECT_DOUBLE_EQ(statistics.p90, 90.1);
  EXPECT_DOUBLE_EQ(statistics.p99, 99.01);

  // Samples leave the window as the clock moves; the totals keep them.
  clock.advance(6s);
  timer.record(500ms);
  clock.advance(5s);
  statistics = timer.statistics();
  EXPECT_EQ(statistics.count, 1u);
  EXPECT_DOUBLE_EQ(statistics.max, 500);
  EXPECT_EQ(timer.total_count(), 101u);
  EXPECT_DOUBLE_EQ(timer.total_sum(), 5050 + 500);
  clock.advance(10s);
  EXPECT_EQ(timer.statistics().count, 0u);
}

TEST(Metrics, TimerKeepsItsLatestSamplesUpToItsCapacity) {
  ManualClock clock;
  metrics::Timer timer(
      "t", {.unit = metrics::Timer::Unit::microseconds, .capacity = 10, .clock = &clock});
  for (int us = 1; us <= 25; ++us) timer.record(std::chrono::microseconds(us));
  const auto statistics = timer.statistics();
  EXPECT_EQ(statistics.count, 10u);
  EXPECT_DOUBLE_EQ(statistics.min, 16);
  EXPECT_DOUBLE_EQ(statistics.max, 25);
  EXPECT_EQ(timer.total_count(), 25u);
}

TEST(Metrics, TimeMeasuresTheWorkOnTheTimersClock) {
  ManualClock clock;
  metrics::Timer timer("job", {.clock = &clock});
  const int result = timer.time([&] {
    clock.advance(250ms);
    return 7;
  });
  EXPECT_EQ(result, 7);
  EXPECT_DOUBLE_EQ(timer.total_sum(), 250);
}

TEST(Metrics, SnapshotHasLibprocessKeys) {
  ManualClock clock;
  metrics::Registry registry;
  metrics::Counter requests("api/requests");
  metrics::Gauge depth("api/depth");
  metrics::Timer latency("api/latency", {.clock = &clock});
  metrics::PullGauge answer("api/answer", [] { return 42.0; });
  for (const metrics::Metric* metric :
       std::initializer_list<const metrics::Metric*>{&requests, &depth, &latency, &answer}) {
    registry.add(*metric);
  }
  requests += 3;
  depth.set(1.5);
  latency.record(2ms);
  auto flat = snapshot(registry);
  EXPECT_EQ(flat.at("api/requests"), 3);
  EXPECT_EQ(flat.at("api/depth"), 1.5);
  EXPECT_EQ(flat.at("api/answer"), 42);
  EXPECT_EQ(flat.at("api/latency_ms"), 2);
  EXPECT_FALSE(flat.contains("api/latency_ms/p50")) << "libprocess: statistics from 2 samples";
  latency.record(4ms);
  flat = snapshot(registry);
  for (const char* key :
       {"/count", "/max", "/min", "/p50", "/p90", "/p95", "/p99", "/p999", "/p9999"}) {
    EXPECT_TRUE(flat.contains(std::string("api/latency_ms") + key)) << key;
  }
  EXPECT_EQ(flat.at("api/latency_ms/p50"), 3);
  EXPECT_EQ(flat.at("api/latency_ms"), 4);  // the last sample
  EXPECT_TRUE(registry.remove(requests));
  EXPECT_FALSE(registry.remove(requests));
  EXPECT_FALSE(snapshot(registry).contains("api/requests"));
}

TEST(Metrics, NamesAreUniqueAlsoAsPrometheusSeesThemAndTheContextsPrefixesAreReserved) {
  metrics::Registry registry;
  registry.add(metrics::Counter("a/b"));
  EXPECT_THROW(registry.add(metrics::Counter("a/b")), std::invalid_argument);
  EXPECT_THROW(registry.add(metrics::Counter("a_b")), std::invalid_argument);  // a_b_total too
  EXPECT_NO_THROW(registry.add(metrics::Gauge("a_b")));  // a gauge is a_b, the counter a_b_total
  EXPECT_THROW(registry.add(metrics::Gauge("compactor/mine")), std::invalid_argument);
  EXPECT_THROW(registry.add(metrics::Gauge("system/load")), std::invalid_argument);
}

TEST(Metrics, APullGaugeThatDoesNotAnswerInTimeIsLeftOut) {
  metrics::Registry registry;
  Promise<double> never;
  registry.add(metrics::PullGauge("slow", [never] { return never.future(); }));
  registry.add(metrics::PullGauge("failing", [] { return Future<double>::failed("no"); }));
  registry.add(metrics::PullGauge("fast", [] { return 1.0; }));
  const auto started = std::chrono::steady_clock::now();
  auto future = registry.snapshot(200ms);
  ASSERT_TRUE(future.await(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  const auto flat = future.get();
  EXPECT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat.at("fast"), 1);
}

}  // namespace
}  // namespace compactor
