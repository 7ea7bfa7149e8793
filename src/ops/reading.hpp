#pragma once
// One metric as read at one moment: what /metrics/snapshot (libprocess's JSON) and /metrics
// (Prometheus's text) both write, so that the two always show the same metrics.

#include <compactor/metrics.hpp>

#include <string>
#include <utility>
#include <vector>

namespace compactor::ops {

struct Reading {
  enum class Kind { counter, gauge, timer };
  // The libprocess key ("compactor/processes/sink/mailbox_depth", "system/load_1min"); a timer's
  // carries its unit ("rpc/latency_ms").
  std::string key{};
  std::string help{};
  Kind kind = Kind::gauge;
  double value = 0;
  // Prometheus: the family name (derived from the key when empty) and labels ("process", "sink").
  std::string family{};
  std::vector<std::pair<std::string, std::string>> labels{};
  // Timers: statistics over the window, all samples ever and their sum, in the timer's unit.
  metrics::Statistics statistics{};
  std::uint64_t total_count = 0;
  double total_sum = 0;
  double seconds_per_unit = 1;
};

using Readings = std::vector<Reading>;

}  // namespace compactor::ops
