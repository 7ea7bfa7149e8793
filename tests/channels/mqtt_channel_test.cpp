// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/mqtt_channel.hpp>  // first: the header compiles on its own

#include <compactor/beacon/member.hpp>

#include "channels/channel_test_support.hpp"
#include "support/servers.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;
using testing::ChannelProbe;
using testing::MosquittoBroker;

MqttOptions on(const MosquittoBroker& broker, std::string topic = "test/actor") {
  MqttOptions options;
  options.port = broker.port();
  options.topic = std::move(topic);
  options.open_timeout = 5s;
  options.reconnect_min = 1s;
  options.reconnect_max = 2s;
  return options;
}

TEST(MqttChannel, EveryoneGetsEveryPayloadTheSenderIncluded) {
  MosquittoBroker broker;
  ChannelProbe pa, pb, pelsewhere;  // first, so that they outlive the channels
  auto a = mqtt_channel(on(broker));
  auto b = mqtt_channel(on(broker));
  auto elsewhere = mqtt_channel(on(broker, "test/other"));
  pa.open(*a);  // returns after SUBACK: its own payloads come back from now on
  pb.open(*b);
  pelsewhere.open(*elsewhere);
  a->send("from a");
  b->send(std::string("\x00\xff binary", 9));
  EXPECT_TRUE(pa.wait_for_payload("from a", 5s));
  EXPECT_TRUE(pb.wait_for_payload("from a", 5s));
  EXPECT_TRUE(pa.wait_for_payload(std::string("\x00\xff binary", 9), 5s));
  // The broker routed a's payloads to every subscriber before pa saw them; a marker sent on the
  // other topic now arrives behind anything the broker wrongly routed there.
  elsewhere->send("marker");
  ASSERT_TRUE(pelsewhere.wait_for_payload("marker", 5s));
  EXPECT_EQ(pelsewhere.payload_count(), 1u) << "only the exact topic";
}

TEST(MqttChannel, OpeningWithoutABrokerFailsClearly) {
  MqttOptions options;
  options.port = testing::free_port();
  options.topic = "t";
  options.open_timeout = 500ms;
  auto channel = mqtt_channel(options);
  testing::expect_open_fails(*channel, "mqtt://127.0.0.1:");
}

TEST(MqttChannel, LogsInWithUserAndPasswordAndSaysWhyWhenRefused) {
  MosquittoBroker broker({.user = "member", .password = "s3cret"});
  auto options = on(broker);
  options.username = "member";
  options.password = "s3cret";
  ChannelProbe probe;
  auto channel = mqtt_channel(options);
  probe.open(*channel);
  channel->send("logged in");
  EXPECT_TRUE(probe.wait_for_payload("logged in", 5s));

  options.password = "wrong";
  // Shorter than libmosquitto's reconnect delay: open gives up while no connection exists, and
  // closing must still stop the client's thread (it used to hang, reconnecting for ever).
  options.open_timeout = 300ms;
  auto refused = mqtt_channel(options);
  testing::expect_open_fails(*refused, "refused");
}

TEST(MqttChannel, ABrokerRestartIsReportedAndSurvived) {
  MosquittoBroker broker;
  ChannelProbe probe;
  auto channel = mqtt_channel(on(broker));
  probe.open(*channel);
  ASSERT_TRUE(probe.wait_for_status("up", 1, 1s));
  broker.stop();
  ASSERT_TRUE(probe.wait_for_status("down", 1, 5s));
  EXPECT_THROW(channel->send("while down"), std::runtime_error);
  broker.start();
  ASSERT_TRUE(probe.wait_for_status("up", 2, 10s));
  channel->send("after");
  EXPECT_TRUE(probe.wait_for_payload("after", 5s));
}

TEST(MqttChannel, MembersIgnoreOtherApplicationsOnTheirTopic) {
  MosquittoBroker broker;
  Member::Options options;
  options.config = Config{.cycle = 1.0, .gap = 0.2};
  Member a("a", mqtt_channel(on(broker)), options);
  Member b("b", mqtt_channel(on(broker)), options);
  a.set_value(1);
  b.set_value(2);
  a.start();
  b.start();
  auto stranger = mqtt_channel(on(broker));
  stranger->open([](std::string_view) {}, {});
  for (int i = 0; i < 50 && !(a.holder() && a.holder() == b.holder()); ++i) {
    stranger->send("{\"json\": \"not msgpack\"}");
    stranger->send(std::string("\x81\xa1t\xa4ping", 8));  // a map missing its fields
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(a.holder());
  EXPECT_EQ(a.holder(), b.holder());
}

}  // namespace
}  // namespace compactor::beacon
