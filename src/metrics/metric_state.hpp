// SPDX-License-Identifier: Apache-2.0
#pragma once
// What copies of a metric share, behind compactor::metrics' handles.

#include "core/spin_lock.hpp"
#include "metrics/reading.hpp"

#include <compactor/metrics.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace compactor::metrics::detail {

struct COMPACTOR_NO_EXPORT State {
  State(std::string name, std::string help, Reading::Kind kind)
      : name(std::move(name)), help(help.empty() ? this->name : std::move(help)), kind(kind) {}
  virtual ~State() = default;
  // Appends what can be read at once; a pull gauge appends nothing (see pull()).
  virtual void read(Readings& out) const = 0;
  // A pull gauge's value, asked for now; others: none.
  virtual std::optional<Future<double>> pull() const { return std::nullopt; }
  // The key it is registered under (a timer's name has its unit appended).
  virtual std::string key() const { return name; }

  const std::string name;
  const std::string help;
  const Reading::Kind kind;
};

struct COMPACTOR_NO_EXPORT CounterState final : State {
  CounterState(std::string name, std::string help)
      : State(std::move(name), std::move(help), Reading::Kind::counter) {}
  void read(Readings& out) const override {
    out.push_back({.key = name,
                   .help = help,
                   .kind = Reading::Kind::counter,
                   .value = static_cast<double>(value.load(std::memory_order_relaxed))});
  }
  std::atomic<std::uint64_t> value{0};
};

struct COMPACTOR_NO_EXPORT GaugeState final : State {
  GaugeState(std::string name, std::string help)
      : State(std::move(name), std::move(help), Reading::Kind::gauge) {}
  void read(Readings& out) const override {
    out.push_back({.key = name, .help = help, .value = value.load(std::memory_order_relaxed)});
  }
  std::atomic<double> value{0};
};

struct COMPACTOR_NO_EXPORT PullGaugeState final : State {
  PullGaugeState(std::string name, std::string help, std::function<Future<double>()> read)
      : State(std::move(name), std::move(help), Reading::Kind::gauge),
        read_value(std::move(read)) {}
  void read(Readings&) const override {}
  std::optional<Future<double>> pull() const override { return read_value(); }
  const std::function<Future<double>()> read_value;
};

// A bounded ring of (time, value) samples.
struct COMPACTOR_NO_EXPORT TimerState final : State {
  TimerState(std::string name, std::string help, Timer::Options options);
  void read(Readings& out) const override;
  std::string key() const override { return name + unit_suffix; }
  void record(Clock::duration duration);
  Statistics statistics() const;

  const Timer::Options options;
  const std::string unit_suffix;  // "_ms"
  const double units_per_tick;    // Clock::duration ticks -> the timer's unit
  Clock& clock;

  mutable core::SpinLock mutex;
  std::vector<std::pair<Clock::time_point, double>> samples;  // a ring of options.capacity
  std::size_t next = 0;                                       // where the next sample goes
  double last = 0;
  std::uint64_t total_count = 0;
  double total_sum = 0;
};

}  // namespace compactor::metrics::detail
