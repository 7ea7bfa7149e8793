// SPDX-License-Identifier: Apache-2.0
// Beacon groups on a real mosquitto broker (started here on a free loopback port):
//
//   mqtt_group_bench cycle [members=20] [seconds=90]
//     broadcasts per cycle in steady state (asyncactor's design point: 1), at C = 1 s, G = 0.2 s
//   mqtt_group_bench idle [seconds=600]
//     CPU and memory of one member at default timing, beyond the process's baseline

#include <compactor/beacon/member.hpp>
#include <compactor/beacon/mqtt_channel.hpp>

#include "support/servers.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace compactor;
using namespace std::chrono_literals;

beacon::MqttOptions on(const testing::MosquittoBroker& broker) {
  beacon::MqttOptions options;
  options.port = broker.port();
  options.topic = "bench/group";
  return options;
}

double resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int cycle(int members, int seconds) {
  testing::MosquittoBroker broker;
  // Counts every payload on the topic (what the broker fans out) and, from the members' events,
  // the cycles: one tag per cycle.
  std::atomic<long> payloads = 0, tags = 0;
  auto counter = beacon::mqtt_channel(on(broker));
  counter->open([&](std::string_view) { ++payloads; }, {});
  std::vector<std::unique_ptr<beacon::Member>> group;
  for (int i = 0; i < members; ++i) {
    beacon::Member::Options options;
    options.config = beacon::Config{.cycle = 1.0, .gap = 0.2};
    options.on_event = [&](const beacon::Event& event) {
      tags += std::holds_alternative<beacon::TagEvent>(event);
    };
    std::string name = "m";
    name += std::to_string(i);
    group.push_back(
        std::make_unique<beacon::Member>(name, beacon::mqtt_channel(on(broker)), options));
    group.back()->set_value(i);
    group.back()->start();
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds / 2));  // start-up and settling
  const long payloads_before = payloads, tags_before = tags;
  std::this_thread::sleep_for(std::chrono::seconds(seconds - seconds / 2));
  const long broadcasts = payloads - payloads_before, cycles = tags - tags_before;
  std::printf(
      "%d members on mosquitto, C = 1 s, G = 0.2 s, second half of %d s: "
      "%ld broadcasts over %ld cycles = %.3f per cycle\n",
      members, seconds, broadcasts, cycles,
      cycles ? static_cast<double>(broadcasts) / static_cast<double>(cycles) : 0.0);
  for (auto& member : group) member->stop();
  counter->close();
  return 0;
}

int idle(int seconds) {
  testing::MosquittoBroker broker;
  const double rss_before = resident_kib();
  beacon::Member member("idle", beacon::mqtt_channel(on(broker)), {});
  member.set_value(1);
  member.start();
  std::this_thread::sleep_for(30s);  // start-up done, threads and buffers in place
  const double cpu_start = cpu_seconds(), rss_start = resident_kib();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double cpu = cpu_seconds() - cpu_start;
  const double rss = resident_kib();
  std::printf(
      "one member, default timing, %d s: CPU %.3f s (%.4f %%), RSS %.0f KiB beyond "
      "the baseline (%.0f KiB after start-up, growth %.0f KiB)\n",
      seconds, cpu, 100 * cpu / seconds, rss - rss_before, rss_start - rss_before, rss - rss_start);
  member.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "cycle";
  if (mode == "cycle") {
    return cycle(argc > 2 ? std::atoi(argv[2]) : 20, argc > 3 ? std::atoi(argv[3]) : 90);
  }
  if (mode == "idle") return idle(argc > 2 ? std::atoi(argv[2]) : 600);
  std::fprintf(stderr, "usage: mqtt_group_bench cycle [members] [seconds] | idle [seconds]\n");
  return 2;
}
