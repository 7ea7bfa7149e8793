// SPDX-License-Identifier: Apache-2.0
#pragma once
// Metrics in the spirit of libprocess's process::metrics: counters, gauges and timers registered
// by name in a context's registry (Context::metrics, Process::add_metric), read by operators at
// /metrics/snapshot (libprocess's JSON) and /metrics (Prometheus's text format).

#include <compactor/clock.hpp>
#include <compactor/export.hpp>
#include <compactor/future.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace compactor::metrics {

namespace detail {
struct COMPACTOR_NO_EXPORT State;  ///< what copies of a metric share (src/metrics/metric_state.hpp)
}

/// A metric's name is its key in /metrics/snapshot, libprocess-style with '/' between parts
/// ("master/messages_received"); /metrics shows it with '_' instead ("master_messages_received").
/// Copies of a metric share its value. Every operation is thread-safe.
class COMPACTOR_API Metric {
 public:
  /// The key, as registered ("master/messages_received").
  const std::string& name() const;
  /// What the metric counts, for /metrics and /help ("" if none).
  const std::string& help() const;
  /// The shared state, for the registry.
  const std::shared_ptr<detail::State>& state() const { return state_; }

 protected:
  /// For the kinds of metric: takes the state its copies share.
  explicit Metric(std::shared_ptr<detail::State> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::State> state_;  ///<  What copies of this metric share.
};

/// Counts up (libprocess's Counter). An increment is one relaxed atomic add.
class COMPACTOR_API Counter : public Metric {
 public:
  /// A counter at 0 named `name`, with a `help` text.
  explicit Counter(std::string name, std::string help = {});
  /// Adds `n`.
  void increment(std::uint64_t n = 1) noexcept { value_->fetch_add(n, std::memory_order_relaxed); }
  /// Adds 1.
  Counter& operator++() noexcept {
    increment();
    return *this;
  }
  /// Adds `n`.
  Counter& operator+=(std::uint64_t n) noexcept {
    increment(n);
    return *this;
  }
  /// The count so far.
  std::uint64_t value() const noexcept { return value_->load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t>* value_;  ///< in state_
};

/// A value set by its owner (libprocess's PushGauge): a queue depth, a number of members.
class COMPACTOR_API Gauge : public Metric {
 public:
  /// A gauge at 0 named `name`, with a `help` text.
  explicit Gauge(std::string name, std::string help = {});
  /// Sets the value.
  void set(double value) noexcept { value_->store(value, std::memory_order_relaxed); }
  /// Adds `by`.
  void increment(double by = 1) noexcept { value_->fetch_add(by, std::memory_order_relaxed); }
  /// Subtracts `by`.
  void decrement(double by = 1) noexcept { value_->fetch_sub(by, std::memory_order_relaxed); }
  /// The value now.
  double value() const noexcept { return value_->load(std::memory_order_relaxed); }

 private:
  std::atomic<double>* value_;  ///< in state_
};

/// A value asked for when metrics are read (libprocess's PullGauge). The future form lets a
/// process answer on its own thread (dispatch); a read that takes longer than the snapshot's
/// timeout leaves the gauge out of that snapshot, as libprocess does. `read` is called from the
/// context's I/O thread and must not block.
class COMPACTOR_API PullGauge : public Metric {
 public:
  /// A gauge whose value `read` returns when metrics are read.
  PullGauge(std::string name, std::function<double()> read, std::string help = {});
  /// A gauge whose value `read` completes later (from a process, say).
  PullGauge(std::string name, std::function<Future<double>()> read, std::string help = {});
};

/// Order statistics of the samples in a window (libprocess's Statistics), computed with linear
/// interpolation between the nearest samples.
struct Statistics {
  std::size_t count = 0;  ///<  How many samples.
  /// The smallest, the largest and the percentiles (p999: 99.9th) of the samples.
  ///@{
  double min = 0, max = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, p9999 = 0;
  ///@}
};

/// Durations (libprocess's Timer<Milliseconds>): the last one is its value, under the name plus
/// the unit ("rpc/latency" in milliseconds is "rpc/latency_ms"), and the samples of the last
/// `window` give statistics ("rpc/latency_ms/p99"), once there are two of them, as libprocess.
/// At most `capacity` samples are kept: a busier timer's statistics cover its latest samples.
/// A sample takes a short lock; the clock (for the window) is the one given, or the system's.
class COMPACTOR_API Timer : public Metric {
 public:
  /// The unit of values and of the key's suffix (_ns, _us, _ms, _secs).
  enum class Unit { nanoseconds, microseconds, milliseconds, seconds };
  /// How a timer keeps its samples.
  struct Options {
    Unit unit = Unit::milliseconds;  ///<  Of the value and the statistics.
    Clock::duration window =
        std::chrono::minutes(1);  ///<  Statistics cover the samples this recent.
    std::size_t capacity = 1000;  ///<  Samples kept at most.
    Clock* clock = nullptr;       ///< none: Clock::system()
  };
  /// A timer named `name` (the unit's suffix is added), with a `help` text.
  Timer(std::string name, Options options, std::string help = {});
  /// A timer in milliseconds over a minute's window.
  explicit Timer(std::string name) : Timer(std::move(name), Options{}) {}

  /// Adds one sample; it becomes the value.
  void record(Clock::duration duration);
  /// Runs `work` and records how long it took.
  template <class Work>
  decltype(auto) time(Work&& work) {
    struct Record {
      Timer& timer;
      Clock::time_point start;
      ~Record() { timer.record(timer.now() - start); }
    } record{*this, now()};
    return std::forward<Work>(work)();
  }
  /// Over the samples of the last window; count 0 if there are none.
  Statistics statistics() const;
  /// The samples recorded since the timer was made, and their sum in the timer's unit.
  ///@{
  std::uint64_t total_count() const;
  double total_sum() const;
  ///@}

 private:
  Clock::time_point now() const;
};

/// The metrics of one context, by name.
class COMPACTOR_API Registry {
 public:
  /// An empty registry (each Context has one: Context::metrics).
  Registry();
  /// Unregisters every metric (their values stay with their copies).
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Adds `metric` under its name. Throws std::invalid_argument if the name is taken (by another
  /// metric or by the context's own, which start with "compactor/" and "system/").
  void add(const Metric& metric);
  /// Removes `metric` (or a copy of it); false if it was not registered.
  bool remove(const Metric& metric);
  /// Every registered metric by its key, as /metrics/snapshot shows them (timers with their
  /// statistics keys), pull gauges included if they answer within `timeout`.
  Future<std::map<std::string, double>> snapshot(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  /// The implementation (src/metrics/registry.hpp).
  class COMPACTOR_NO_EXPORT Impl;

 private:
  /// The library's own endpoints reach the implementation through this (src/metrics/registry.hpp).
  friend Impl& impl_of(const Registry& registry);

  std::unique_ptr<Impl> impl_;
};

}  // namespace compactor::metrics
