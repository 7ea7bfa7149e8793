// SPDX-License-Identifier: Apache-2.0
#include "metrics/registry.hpp"
#include "metrics/metric_state.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace compactor::metrics {
namespace detail {
namespace {

const char* suffix_of(Timer::Unit unit) {
  switch (unit) {
    case Timer::Unit::nanoseconds:
      return "_ns";
    case Timer::Unit::microseconds:
      return "_us";
    case Timer::Unit::milliseconds:
      return "_ms";
    case Timer::Unit::seconds:
      return "_secs";
  }
  return "";
}

double seconds_per(Timer::Unit unit) {
  switch (unit) {
    case Timer::Unit::nanoseconds:
      return 1e-9;
    case Timer::Unit::microseconds:
      return 1e-6;
    case Timer::Unit::milliseconds:
      return 1e-3;
    case Timer::Unit::seconds:
      return 1;
  }
  return 1;
}

// Linear interpolation between the nearest ranks of sorted `values` (libprocess's Statistics).
double percentile(const std::vector<double>& values, double fraction) {
  const double position = fraction * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  if (below + 1 >= values.size()) return values.back();
  return values[below] +
         (position - static_cast<double>(below)) * (values[below + 1] - values[below]);
}

}  // namespace

TimerState::TimerState(std::string name, std::string help, Timer::Options options)
    : State(std::move(name), std::move(help), Reading::Kind::timer),
      options(options),
      unit_suffix(suffix_of(options.unit)),
      units_per_tick(static_cast<double>(Clock::duration::period::num) /
                     Clock::duration::period::den / seconds_per(options.unit)),
      clock(options.clock ? *options.clock : Clock::system()) {
  if (options.capacity == 0) throw std::invalid_argument("timer " + this->name + ": capacity 0");
  samples.reserve(options.capacity);
}

void TimerState::record(Clock::duration duration) {
  const double value = static_cast<double>(duration.count()) * units_per_tick;
  const auto now = clock.now();
  std::lock_guard lock(mutex);
  if (samples.size() < options.capacity) {
    samples.emplace_back(now, value);
  } else {
    samples[next] = {now, value};
  }
  next = (next + 1) % options.capacity;
  last = value;
  ++total_count;
  total_sum += value;
}

Statistics TimerState::statistics() const {
  const auto since = clock.now() - options.window;
  std::vector<double> values;
  {
    std::lock_guard lock(mutex);
    values.reserve(samples.size());
    for (const auto& [when, value] : samples) {
      if (when >= since) values.push_back(value);
    }
  }
  Statistics result;
  result.count = values.size();
  if (values.empty()) return result;
  std::sort(values.begin(), values.end());
  result.min = values.front();
  result.max = values.back();
  result.p50 = percentile(values, 0.5);
  result.p90 = percentile(values, 0.9);
  result.p95 = percentile(values, 0.95);
  result.p99 = percentile(values, 0.99);
  result.p999 = percentile(values, 0.999);
  result.p9999 = percentile(values, 0.9999);
  return result;
}

void TimerState::read(Readings& out) const {
  Reading reading{.key = key(), .help = help, .kind = Reading::Kind::timer};
  reading.statistics = statistics();
  {
    std::lock_guard lock(mutex);
    reading.value = last;
    reading.total_count = total_count;
    reading.total_sum = total_sum;
  }
  reading.seconds_per_unit = seconds_per(options.unit);
  out.push_back(std::move(reading));
}

}  // namespace detail

const std::string& Metric::name() const { return state_->name; }
const std::string& Metric::help() const { return state_->help; }

Counter::Counter(std::string name, std::string help)
    : Metric(std::make_shared<detail::CounterState>(std::move(name), std::move(help))),
      value_(&static_cast<detail::CounterState&>(*state_).value) {}

Gauge::Gauge(std::string name, std::string help)
    : Metric(std::make_shared<detail::GaugeState>(std::move(name), std::move(help))),
      value_(&static_cast<detail::GaugeState&>(*state_).value) {}

PullGauge::PullGauge(std::string name, std::function<Future<double>()> read, std::string help)
    : Metric(std::make_shared<detail::PullGaugeState>(std::move(name), std::move(help),
                                                      std::move(read))) {}

PullGauge::PullGauge(std::string name, std::function<double()> read, std::string help)
    : PullGauge(std::move(name), std::function<Future<double>()>([read = std::move(read)] {
                  return Future<double>::ready(read());
                }),
                std::move(help)) {}

Timer::Timer(std::string name, Options options, std::string help)
    : Metric(std::make_shared<detail::TimerState>(std::move(name), std::move(help), options)) {}

void Timer::record(Clock::duration duration) {
  static_cast<detail::TimerState&>(*state_).record(duration);
}

Statistics Timer::statistics() const {
  return static_cast<const detail::TimerState&>(*state_).statistics();
}

std::uint64_t Timer::total_count() const {
  auto& state = static_cast<const detail::TimerState&>(*state_);
  std::lock_guard lock(state.mutex);
  return state.total_count;
}

double Timer::total_sum() const {
  auto& state = static_cast<const detail::TimerState&>(*state_);
  std::lock_guard lock(state.mutex);
  return state.total_sum;
}

Clock::time_point Timer::now() const {
  return static_cast<const detail::TimerState&>(*state_).clock.now();
}

// The registry.

void Registry::Impl::add(std::shared_ptr<detail::State> state) {
  const auto key = state->key();
  // Two names Prometheus would show as one are refused too.
  const auto family = prometheus_family({.key = key, .kind = state->kind});
  if (family.starts_with("compactor_") || family.starts_with("system_")) {
    throw std::invalid_argument("metric '" + key + "': the context's own metrics use that prefix");
  }
  std::lock_guard lock(mutex_);
  if (metrics_.contains(key) || families_.contains(family)) {
    throw std::invalid_argument("metric '" + key + "' was already added");
  }
  metrics_.emplace(key, std::move(state));
  families_.insert(family);
}

bool Registry::Impl::remove(const detail::State& state) {
  std::lock_guard lock(mutex_);
  const auto found = metrics_.find(state.key());
  if (found == metrics_.end() || found->second.get() != &state) return false;
  metrics_.erase(found);
  families_.erase(prometheus_family({.key = state.key(), .kind = state.kind}));
  return true;
}

std::uint64_t Registry::Impl::add_group(Group group) {
  std::lock_guard lock(mutex_);
  groups_.emplace(next_group_, std::move(group));
  return next_group_++;
}

void Registry::Impl::remove_group(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  groups_.erase(id);
}

std::vector<std::string> Registry::Impl::group_status() const {
  std::vector<Group> groups;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, group] : groups_) groups.push_back(group);
  }
  std::vector<std::string> status;
  for (const auto& group : groups) {
    if (auto json = group.status_json(); !json.empty()) status.push_back(std::move(json));
  }
  return status;
}

void Registry::Impl::set_source(Source source) {
  std::lock_guard lock(mutex_);
  source_ = std::move(source);
}

namespace {

// Readings gathered while pull gauges answer; completed once all did or the timeout passed.
struct Gathering {
  std::mutex mutex;
  Readings readings;
  std::size_t pending = 0;
  bool done = false;
  Promise<Readings> promise;
  Clock::TimerId timer = 0;

  // Under mutex: completes (once) with what was gathered; the caller cancels the timer after.
  bool finish_locked() {
    if (done) return false;
    done = true;
    promise.set_value(readings);
    return true;
  }
};

}  // namespace

Future<Readings> Registry::Impl::read(std::chrono::milliseconds timeout) const {
  std::vector<std::shared_ptr<detail::State>> metrics;
  Source source;
  std::vector<Group> groups;
  {
    std::lock_guard lock(mutex_);
    metrics.reserve(metrics_.size());
    for (const auto& [key, state] : metrics_) metrics.push_back(state);
    source = source_;
    for (const auto& [id, group] : groups_) groups.push_back(group);
  }
  // Read outside the lock: a source may take others (a member's, the network's).
  auto gathering = std::make_shared<Gathering>();
  if (source) source(gathering->readings);
  for (const auto& group : groups) group.read(gathering->readings);
  std::vector<std::pair<const detail::State*, Future<double>>> pulls;
  for (const auto& state : metrics) {
    state->read(gathering->readings);
    if (auto pulled = state->pull()) pulls.emplace_back(state.get(), std::move(*pulled));
  }
  auto future = gathering->promise.future();
  if (pulls.empty()) {
    gathering->promise.set_value(std::move(gathering->readings));
    return future;
  }
  gathering->pending = pulls.size();
  {
    std::lock_guard lock(gathering->mutex);
    gathering->timer = Clock::system().schedule_after(timeout, [gathering] {
      std::lock_guard lock(gathering->mutex);
      gathering->finish_locked();
    });
  }
  for (auto& [state, pulled] : pulls) {
    auto answered = [gathering](std::optional<Reading> reading) {
      Clock::TimerId timer = 0;
      {
        std::lock_guard lock(gathering->mutex);
        if (gathering->done) return;
        if (reading) gathering->readings.push_back(std::move(*reading));
        if (--gathering->pending > 0 || !gathering->finish_locked()) return;
        timer = gathering->timer;
      }
      Clock::system().cancel(timer);
    };
    pulled.on_ready([answered, key = state->key(), help = state->help](double value) {
      answered(Reading{.key = key, .help = help, .value = value});
    });
    pulled.on_failed([answered](const std::string&) { answered(std::nullopt); });
  }
  return future;
}

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

void Registry::add(const Metric& metric) { impl_->add(metric.state()); }
bool Registry::remove(const Metric& metric) { return impl_->remove(*metric.state()); }

Future<std::map<std::string, double>> Registry::snapshot(std::chrono::milliseconds timeout) const {
  return impl_->read(timeout).then([](const Readings& readings) { return flatten(readings); });
}

std::map<std::string, double> flatten(const Readings& readings) {
  std::map<std::string, double> flat;
  for (const auto& reading : readings) {
    flat[reading.key] = reading.value;
    const auto& statistics = reading.statistics;
    if (reading.kind != Reading::Kind::timer || statistics.count < 2) continue;
    const std::pair<const char*, double> keys[] = {
        {"/count", static_cast<double>(statistics.count)},
        {"/max", statistics.max},
        {"/min", statistics.min},
        {"/p50", statistics.p50},
        {"/p90", statistics.p90},
        {"/p95", statistics.p95},
        {"/p99", statistics.p99},
        {"/p999", statistics.p999},
        {"/p9999", statistics.p9999}};
    for (const auto& [suffix, value] : keys) flat[reading.key + suffix] = value;
  }
  return flat;
}

}  // namespace compactor::metrics
