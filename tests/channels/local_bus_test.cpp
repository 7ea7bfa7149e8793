// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/local_bus.hpp>  // first: the header compiles on its own

#include <gtest/gtest.h>

#include <map>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;

// Opens channels on a bus and records what each receives, with the clock's time.
struct Listeners {
  explicit Listeners(LocalBus& bus, ManualClock& clock, int count) : clock(clock) {
    for (int i = 0; i < count; ++i) {
      channels.push_back(bus.channel());
      channels.back()->open(
          [this, i](std::string_view payload) {
            received[i].emplace_back(std::string(payload), this->clock.now());
          },
          {});
    }
  }
  std::vector<std::string> payloads(int i) {
    std::vector<std::string> out;
    for (const auto& [payload, at] : received[i]) out.push_back(payload);
    return out;
  }

  ManualClock& clock;
  std::vector<std::unique_ptr<Channel>> channels;
  std::map<int, std::vector<std::pair<std::string, Clock::time_point>>> received;
};

TEST(LocalBus, EveryoneGetsEveryPayloadInOneOrderWhenTheClockRuns) {
  ManualClock clock;
  LocalBus bus("bus", &clock);
  Listeners listeners(bus, clock, 3);
  listeners.channels[0]->send("a1");
  listeners.channels[1]->send("b1");
  listeners.channels[0]->send("a2");
  EXPECT_TRUE(listeners.received.empty()) << "nothing before the clock runs";
  clock.settle();
  const std::vector<std::string> expected = {"a1", "b1", "a2"};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(listeners.payloads(i), expected) << i;
}

TEST(LocalBus, LinksDelayAndLosePayloadsButNeverTheEcho) {
  ManualClock clock;
  LocalBus bus("bus", &clock, 7);
  Listeners listeners(bus, clock, 3);
  auto& a = *listeners.channels[0];
  auto& b = *listeners.channels[1];
  auto& c = *listeners.channels[2];
  bus.set_default_link({.delay = 10ms});
  bus.set_link(a, b, {.delay = 250ms});
  bus.set_link(a, c, {.loss = 1.0});
  bus.set_link(a, a, {.delay = 10ms, .loss = 1.0});  // the loss is ignored for the echo
  const auto start = clock.now();
  a.send("x");
  clock.advance(1s);
  ASSERT_EQ(listeners.received[0].size(), 1u);
  EXPECT_EQ(listeners.received[0][0].second - start, 10ms);
  ASSERT_EQ(listeners.received[1].size(), 1u);
  EXPECT_EQ(listeners.received[1][0].second - start, 250ms);
  EXPECT_TRUE(listeners.received[2].empty());
  EXPECT_EQ(bus.lost(), 1u);

  // A link whose delay shrinks keeps its payloads in order.
  bus.set_link(a, b, {.delay = 100ms});
  bus.set_link(a, b, {.delay = 500ms});
  a.send("slow");
  bus.set_link(a, b, {.delay = 0ms});
  a.send("fast");
  clock.advance(1s);
  EXPECT_EQ(listeners.payloads(1), (std::vector<std::string>{"x", "slow", "fast"}));
}

TEST(LocalBus, PartitionsHearOnlyThemselvesAndClosedChannelsNothing) {
  ManualClock clock;
  LocalBus bus("bus", &clock);
  Listeners listeners(bus, clock, 3);
  bus.set_partition(*listeners.channels[2], 1);
  listeners.channels[0]->send("left");
  listeners.channels[2]->send("right");
  listeners.channels[1]->close();
  clock.settle();
  EXPECT_EQ(listeners.payloads(0), std::vector<std::string>{"left"});
  EXPECT_TRUE(listeners.received[1].empty());
  EXPECT_EQ(listeners.payloads(2), std::vector<std::string>{"right"});
}

}  // namespace
}  // namespace compactor::beacon
