// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/serf_channel.hpp>  // first: the header compiles on its own

#include "channels/channel_test_support.hpp"
#include "support/servers.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;
using testing::ChannelProbe;
using testing::SerfAgent;

SerfOptions on(const SerfAgent& agent, std::string name = "test.actor") {
  SerfOptions options;
  options.port = agent.rpc_port();
  options.name = std::move(name);
  options.open_timeout = 5s;
  options.reconnect_max = 1s;
  return options;
}

TEST(SerfChannel, EchoesOwnEventsAndEnforcesTheSizeLimitBeforeSending) {
  SerfAgent agent("solo");
  ChannelProbe probe;  // first, so that it outlives the channel and its callbacks
  auto channel = serf_channel(on(agent));
  probe.open(*channel);
  channel->send(std::string("\x82\xa1t\xa4init\x00", 9));
  EXPECT_TRUE(probe.wait_for_payload(std::string("\x82\xa1t\xa4init\x00", 9), 5s));
  // The agent's 512 bytes hold the encoded event: with a 10-byte name, 464 bytes of payload
  // (the widest Lamport time assumed).
  EXPECT_NO_THROW(channel->send(std::string(464, 'x')));
  EXPECT_TRUE(probe.wait_for_payload(std::string(464, 'x'), 5s));
  EXPECT_THROW(channel->send(std::string(465, 'x')), std::length_error);
}

// A member's goodbye is its last event: close() sends what was sent before it.
TEST(SerfChannel, EventsSentJustBeforeCloseGoOut) {
  SerfAgent agent("solo");
  ChannelProbe listener;
  auto listening = serf_channel(on(agent));
  listener.open(*listening);
  for (int i = 0; i < 5; ++i) {
    ChannelProbe probe;
    auto leaving = serf_channel(on(agent));
    probe.open(*leaving);
    const std::string words = "last words " + std::to_string(i) + std::string(400, '.');
    leaving->send(words);
    leaving->close();
    EXPECT_TRUE(listener.wait_for_payload(words, 5s)) << i;
  }
}

TEST(SerfChannel, AThreeAgentClusterCarriesEventsBetweenAgents) {
  SerfAgent first("a1");
  SerfAgent second("a2", &first);
  SerfAgent third("a3", &first);
  ASSERT_TRUE(testing::wait_until([&] { return first.alive_members() == 3; }, 10s));
  std::vector<ChannelProbe> probes(3);
  std::vector<std::unique_ptr<Channel>> channels;
  for (const SerfAgent* agent : {&first, &second, &third}) {
    channels.push_back(serf_channel(on(*agent)));
    probes[channels.size() - 1].open(*channels.back());
  }
  channels[1]->send("from a2");
  channels[2]->send("from a3");
  for (auto& probe : probes) {
    EXPECT_TRUE(probe.wait_for_payload("from a2", 10s));
    EXPECT_TRUE(probe.wait_for_payload("from a3", 10s));
  }
}

TEST(SerfChannel, AnAgentRestartIsReportedAndSurvived) {
  SerfAgent agent("restarting");
  ChannelProbe probe;  // first, so that it outlives the channel and its callbacks
  auto channel = serf_channel(on(agent));
  probe.open(*channel);
  ASSERT_TRUE(probe.wait_for_status("up", 1, 1s));
  agent.stop();
  ASSERT_TRUE(probe.wait_for_status("down", 1, 5s));
  EXPECT_THROW(channel->send("while down"), std::runtime_error);
  agent.start();
  ASSERT_TRUE(probe.wait_for_status("up", 2, 10s));
  channel->send("after");
  EXPECT_TRUE(probe.wait_for_payload("after", 5s));
}

TEST(SerfChannel, AuthenticatesWhenTheAgentWantsIt) {
  SerfAgent agent("guarded", nullptr, "s3cret");
  auto options = on(agent);
  options.auth_key = "s3cret";
  ChannelProbe probe;
  auto channel = serf_channel(options);
  probe.open(*channel);
  channel->send("authenticated");
  EXPECT_TRUE(probe.wait_for_payload("authenticated", 5s));

  options.auth_key = "wrong";
  options.open_timeout = 1s;
  auto refused = serf_channel(options);
  testing::expect_open_fails(*refused, "auth refused");
}

TEST(SerfChannel, OpeningWithoutAnAgentFailsClearly) {
  SerfOptions options;
  options.port = testing::free_port();
  options.name = "t";
  options.open_timeout = 500ms;
  auto channel = serf_channel(options);
  testing::expect_open_fails(*channel, "serf://127.0.0.1:");
}

}  // namespace
}  // namespace compactor::beacon
