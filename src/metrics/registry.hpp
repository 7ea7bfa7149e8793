// SPDX-License-Identifier: Apache-2.0
#pragma once
// The registry behind compactor::metrics::Registry, with what the context's endpoints need.

#include "metrics/metric_state.hpp"
#include "metrics/reading.hpp"

#include <compactor/metrics.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace compactor::metrics {

class Registry::Impl {
 public:
  void add(std::shared_ptr<detail::State> state);
  bool remove(const detail::State& state);
  // The context's own metrics, read at every read (see ops::read_runtime).
  using Source = std::function<void(Readings&)>;
  void set_source(Source source);
  // Every metric; pull gauges that do not answer within `timeout` are left out (the future then
  // completes when the timeout passes, on the system clock's thread).
  Future<Readings> read(std::chrono::milliseconds timeout) const;

  // A group member published on this context (beacon::Publication): its metrics, read with the
  // others, and its state for /__status__ as a JSON object ("" once the member is gone).
  struct Group {
    std::function<void(Readings&)> read;
    std::function<std::string()> status_json;
  };
  std::uint64_t add_group(Group group);
  void remove_group(std::uint64_t id);
  std::vector<std::string> group_status() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<detail::State>> metrics_;  // by key
  std::set<std::string> families_;                                 // their Prometheus names
  Source source_;
  std::map<std::uint64_t, Group> groups_;
  std::uint64_t next_group_ = 1;
};

// The registry's implementation, for the context's endpoints, its own readings and its groups.
inline Registry::Impl& impl_of(const Registry& registry) { return *registry.impl_; }

// libprocess's /metrics/snapshot: one flat object of keys and numbers, a timer's statistics under
// "<key>/count", "/max", "/min", "/p50", ... once its window holds two samples.
std::map<std::string, double> flatten(const Readings& readings);

}  // namespace compactor::metrics
