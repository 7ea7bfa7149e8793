// SPDX-License-Identifier: Apache-2.0
// A large beacon group on virtual time: how long a simulated hour takes, how many broadcasts a
// cycle costs in steady state (asyncactor's design point: 1), and the memory per member.
//
// Usage: beacon_scale [members, default 1000] [simulated seconds, default 3600]

#include "support/beacon_simulation.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace compactor;
  const int members = argc > 1 ? std::atoi(argv[1]) : 1000;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3600;

  const double rss_before = resident_mib();
  testing::BeaconSimulation simulation(/*seed=*/1);
  simulation.drop_records();
  for (int i = 0; i < members; ++i) {
    std::string name = "m";  // not "m" + ...: GCC 12 -O3 warns falsely (-Wrestrict) on that
    name += std::to_string(i);
    simulation.add(name, beacon::Value(i), 0.01 * i);
  }
  const auto started = std::chrono::steady_clock::now();
  simulation.run_until(seconds);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double rss_after = resident_mib();

  // Steady state: the second half of the run.
  const double half = seconds / 2;
  const auto& tag_times = simulation.tag_times();
  const auto tags = static_cast<std::size_t>(
      tag_times.end() - std::lower_bound(tag_times.begin(), tag_times.end(), half));
  const std::size_t broadcasts = simulation.broadcasts_since(half);
  std::printf("%d members, %.0f s simulated in %.2f s wall\n", members, seconds, wall);
  std::printf("steady state (second half): %zu broadcasts over %zu cycles = %.3f per cycle\n",
              broadcasts, tags,
              tags ? static_cast<double>(broadcasts) / static_cast<double>(tags) : 0.0);
  std::printf(
      "memory: %.1f MiB resident after the run, %.1f KiB per member (each knows all %d; "
      "the simulator's queues included)\n",
      rss_after - rss_before, (rss_after - rss_before) * 1024 / members, members);
  return 0;
}
