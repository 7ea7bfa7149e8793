// SPDX-License-Identifier: Apache-2.0
#pragma once
// The machine's load, cores and memory, as libprocess's `system` process reports them.

#include "metrics/reading.hpp"

#include <optional>

namespace compactor::ops {

struct SystemStats {
  double cpus_total = 0;
  std::optional<double> load_1min, load_5min, load_15min;  // none where unavailable
  std::optional<double> mem_total_bytes, mem_free_bytes;   // free: MemAvailable
};

SystemStats read_system_stats();

// libprocess's system/* metrics (system/cpus_total, system/load_1min, ...).
void append_system_readings(const SystemStats& stats, metrics::Readings& out);

// libprocess's /system/stats.json: {"avg_load_15min":..,"cpus_total":..,"mem_free_bytes":..}.
std::string system_stats_json(const SystemStats& stats);

}  // namespace compactor::ops
