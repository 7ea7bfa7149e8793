// SPDX-License-Identifier: Apache-2.0
#pragma once
// One metric as read at one moment: what /metrics/snapshot (libprocess's JSON) and /metrics
// (Prometheus's text) both write, so that the two always show the same metrics.

#include <compactor/metrics.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace compactor::metrics {

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
  Statistics statistics{};
  std::uint64_t total_count = 0;
  double total_sum = 0;
  double seconds_per_unit = 1;
};

using Readings = std::vector<Reading>;

// Appends the readings of one labelled thing (a process, a connection, a group member): keys
// under one prefix ("compactor/processes/sink/"), one label set, a Prometheus family each.
class LabelledReadings {
 public:
  LabelledReadings(Readings& out, std::string key_prefix,
                   std::vector<std::pair<std::string, std::string>> labels)
      : out_(out), key_prefix_(std::move(key_prefix)), labels_(std::move(labels)) {}

  void add(const char* name, Reading::Kind kind, double value, const char* family,
           const char* help) {
    out_.push_back({.key = key_prefix_ + name,
                    .help = help,
                    .kind = kind,
                    .value = value,
                    .family = family,
                    .labels = labels_});
  }

 private:
  Readings& out_;
  const std::string key_prefix_;
  const std::vector<std::pair<std::string, std::string>> labels_;
};

// The Prometheus name of a metric key: '/' and every other character Prometheus does not allow
// become '_' ("master/messages_received" -> "master_messages_received"). A timer's unit suffix
// is dropped from its key: timers are exported in seconds, as Prometheus wants.
std::string prometheus_family(const Reading& reading);

}  // namespace compactor::metrics
