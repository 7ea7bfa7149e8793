// SPDX-License-Identifier: Apache-2.0
// Replays real asyncactor traffic (tests/data/asyncactor/capture-*.txt, recorded on a mosquitto
// broker) into a passive member at the recorded times; its PingEvents must name the same nodes at
// the same times as the real nodes reported (the *.jsonl files).

#include "beacon/beacon_state.hpp"

#include "support/raw_client.hpp"
#include "support/virtual_time.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>

namespace compactor::beacon {
namespace {

using testing::seconds_of;
using testing::time_at;

// Times in seconds, as the captures have them.
struct Payload {
  double at;
  std::string bytes;
};

std::vector<Payload> capture(const std::string& name) {
  std::ifstream in(testing::data_path("asyncactor/" + name));
  std::vector<Payload> result;
  std::string topic, hex;
  double at = 0;
  std::size_t length = 0;
  while (in >> at >> topic >> length >> hex) {
    result.push_back({at, testing::from_hex(hex)});
  }
  return result;
}

struct Reported {
  double at;
  std::string node;
};

// The PING events real nodes reported: {"wall": ..., "kind": "PING", "node": "c", ...}.
std::vector<Reported> real_pings(const std::string& name) {
  std::ifstream in(testing::data_path("asyncactor/" + name));
  const std::regex ping(
      R"re("wall": ([0-9.]+), "who": "[^"]+", "kind": "PING", "node": "([^"]+)")re");
  std::vector<Reported> result;
  std::string line;
  std::smatch match;
  while (std::getline(in, line)) {
    if (std::regex_search(line, match, ping)) result.push_back({std::stod(match[1]), match[2]});
  }
  return result;
}

std::vector<Reported> replay(const std::vector<Payload>& payloads, const Config& config) {
  BeaconState observer("observer", config, {.enabled = false}, [] { return 0.5; });
  const Time start = time_at(payloads.front().at - 20);  // the start-up is over before traffic
  observer.start(start);
  observer.on_payload(start, encode(InitMessage{"observer"}));  // the channel's echo
  std::vector<Reported> seen;
  auto collect = [&](Time t) {
    for (const auto& event : observer.take_actions().events) {
      if (const auto* ping = std::get_if<PingEvent>(&event)) {
        seen.push_back({seconds_of(t), ping->node});
      }
    }
  };
  auto run_until = [&](Time until) {
    while (observer.next_deadline() <= until) {
      const Time due = observer.next_deadline();
      observer.on_deadline(due);
      collect(due);
    }
  };
  for (const auto& payload : payloads) {
    run_until(time_at(payload.at));
    observer.on_payload(time_at(payload.at), payload.bytes);
    collect(time_at(payload.at));
  }
  run_until(time_at(payloads.back().at + 10));
  return seen;
}

// Every real PING report in [from, to) has a passive-member PingEvent for the same node within
// `tolerance` seconds (broker delivery differs by a few ms between subscribers).
void expect_same_pings(const std::vector<Reported>& real, const std::vector<Reported>& seen,
                       double from, double to, double tolerance, std::size_t at_least) {
  std::size_t matched = 0;
  for (const auto& r : real) {
    if (r.at < from || r.at >= to) continue;
    const bool found = std::any_of(seen.begin(), seen.end(), [&](const Reported& s) {
      return s.node == r.node && std::abs(s.at - r.at) <= tolerance;
    });
    EXPECT_TRUE(found) << "no PingEvent for " << r.node << " at " << std::fixed << r.at - from;
    matched += found;
  }
  EXPECT_GE(matched, at_least);
}

TEST(BeaconReplay, DefaultTimingOverMosquitto) {
  const auto payloads = capture("capture-default.txt");
  ASSERT_GT(payloads.size(), 10u);
  const auto seen = replay(payloads, Config{});
  // After the start-up round (active members start differently from a passive one).
  expect_same_pings(real_pings("mqtt-default.jsonl"), seen, payloads.front().at + 20,
                    payloads.back().at + 10, 0.05, 10);
}

TEST(BeaconReplay, SplitAndHealWithFastTiming) {
  const auto payloads = capture("capture-split.txt");
  ASSERT_GT(payloads.size(), 20u);
  const auto seen = replay(payloads, Config{.cycle = 2.0, .gap = 0.3});
  const auto real = real_pings("split.jsonl");
  const double t0 = payloads.front().at;
  // Before the split (the recording saw both sides during it, which no real member did).
  expect_same_pings(real, seen, t0 + 5, t0 + 15, 0.05, 5);
  // And once the sides heard each other again and settled.
  expect_same_pings(real, seen, t0 + 34, t0 + 60, 0.05, 10);
}

}  // namespace
}  // namespace compactor::beacon
