// SPDX-License-Identifier: Apache-2.0
#include "ops/system_stats.hpp"

#include <fmt/format.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace compactor::ops {
namespace {

// A "MemAvailable:   123 kB" line of /proc/meminfo, in bytes.
std::optional<double> meminfo_bytes(const std::string& field) {
  std::ifstream meminfo("/proc/meminfo");
  std::string name;
  double kilobytes = 0;
  std::string unit;
  while (meminfo >> name >> kilobytes >> unit) {
    if (name == field + ":") return kilobytes * 1024;
  }
  return std::nullopt;
}

}  // namespace

SystemStats read_system_stats() {
  SystemStats stats;
  stats.cpus_total = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  double load[3];
  if (getloadavg(load, 3) == 3) {
    stats.load_1min = load[0];
    stats.load_5min = load[1];
    stats.load_15min = load[2];
  }
  struct sysinfo info {};
  if (sysinfo(&info) == 0) {
    stats.mem_total_bytes = static_cast<double>(info.totalram) * info.mem_unit;
    stats.mem_free_bytes = static_cast<double>(info.freeram) * info.mem_unit;
  }
  // What a new process can have without swapping, as libprocess reports on Linux.
  if (auto available = meminfo_bytes("MemAvailable")) stats.mem_free_bytes = available;
  return stats;
}

void append_system_readings(const SystemStats& stats, metrics::Readings& out) {
  auto add = [&](const char* name, const std::optional<double>& value, const char* family,
                 const char* help) {
    if (value) {
      out.push_back(
          {.key = std::string("system/") + name, .help = help, .value = *value, .family = family});
    }
  };
  add("cpus_total", stats.cpus_total, "system_cpus", "Processors online.");
  add("load_1min", stats.load_1min, "system_load_1min", "Load average over 1 minute.");
  add("load_5min", stats.load_5min, "system_load_5min", "Load average over 5 minutes.");
  add("load_15min", stats.load_15min, "system_load_15min", "Load average over 15 minutes.");
  add("mem_total_bytes", stats.mem_total_bytes, "system_memory_bytes", "Physical memory.");
  add("mem_free_bytes", stats.mem_free_bytes, "system_memory_available_bytes",
      "Memory available without swapping.");
}

std::string system_stats_json(const SystemStats& stats) {
  std::string json = "{";
  auto add = [&](const char* name, const std::optional<double>& value) {
    if (!value) return;
    if (json.size() > 1) json += ',';
    json += fmt::format("\"{}\":{}", name, *value);
  };
  add("avg_load_15min", stats.load_15min);
  add("avg_load_1min", stats.load_1min);
  add("avg_load_5min", stats.load_5min);
  add("cpus_total", stats.cpus_total);
  add("mem_free_bytes", stats.mem_free_bytes);
  add("mem_total_bytes", stats.mem_total_bytes);
  return json + "}";
}

}  // namespace compactor::ops
