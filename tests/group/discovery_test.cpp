// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/discovery.hpp>  // first: the header compiles on its own

#include "beacon/messages.hpp"
#include "support/beacon_simulation.hpp"

#include <gtest/gtest.h>

namespace compactor::beacon {
namespace {

TEST(Discovery, PidValuesRoundTripAndCompareLikePython) {
  const PID pid = PID::parse("worker@127.0.0.1:5051");
  const Value value = pid_value(7, pid);
  EXPECT_EQ(value.to_string(), "[7, 'worker@127.0.0.1:5051']");
  EXPECT_EQ(pid_in(value), pid);
  // Survives the wire.
  const auto decoded =
      std::get<PingMessage>(std::get<Message>(decode(encode(PingMessage{"n", value, {"n"}}))));
  EXPECT_EQ(pid_in(decoded.value), pid);
  // Priority decides first, then the PID text.
  const auto order = python_compare(pid_value(8, pid), pid_value(7, PID::parse("z@127.0.0.1:1")));
  ASSERT_TRUE(order);
  EXPECT_EQ(*order, std::partial_ordering::greater);
  EXPECT_FALSE(pid_in(Value(3)));
  EXPECT_FALSE(pid_in(Value(Value::Array{1, "not a pid"})));
}

TEST(Discovery, EveryMemberFindsTheTagHoldersPid) {
  testing::BeaconSimulation simulation(4);
  for (int i = 0; i < 3; ++i) {
    std::string name = "node";
    name += std::to_string(i);
    simulation.add(name,
                   pid_value(i, PID(name, {"127.0.0.1", static_cast<std::uint16_t>(5000 + i)})));
  }
  simulation.run_until(120);
  // Every PingEvent's value names the holder's PID: what a Process uses to send it work.
  std::size_t found = 0;
  for (const auto& r : simulation.records()) {
    if (const auto* ping = std::get_if<PingEvent>(&r.event)) {
      const auto pid = pid_in(ping->value);
      ASSERT_TRUE(pid);
      EXPECT_EQ(pid->id, ping->node);
      ++found;
    }
  }
  EXPECT_GT(found, 10u);
}

}  // namespace
}  // namespace compactor::beacon
