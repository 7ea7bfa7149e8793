// SPDX-License-Identifier: Apache-2.0
#include <compactor/protobuf.hpp>  // first: the header compiles on its own

#include <compactor/context.hpp>

#include "support/recorder.hpp"
#include "test_messages.pb.h"

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::Recorder;

// Answers each Ping with a Ping one higher, counts Inventory items.
class Echo : public ProtobufProcess {
 public:
  Echo() : ProtobufProcess("echo") {}
  using ProtobufProcess::reply;

 protected:
  void initialize() override {
    install(&Echo::ping);
    install<test::Inventory>([this](const PID&, const test::Inventory& inventory) {
      test::Ping done;
      done.set_sequence(inventory.items_size());
      reply(done);
    });
  }

  void ping(const PID&, const test::Ping& ping) {
    test::Ping answer;
    answer.set_sequence(ping.sequence() + 1);
    reply(answer);
  }
};

test::Ping parse_ping(const std::string& body) {
  test::Ping ping;
  EXPECT_TRUE(ping.ParseFromString(body));
  return ping;
}

TEST(ProtobufProcess, MessagesAreNamedByTypeAndRepliedToTheSender) {
  Echo echo;
  Recorder client("client");
  Context context;
  context.spawn(echo);
  context.spawn(client);
  test::Ping ping;
  ping.set_sequence(41);
  // On the wire: the full type name and the serialized bytes, nothing else.
  client.send(echo.self(), "compactor.test.Ping", ping.SerializeAsString());
  ASSERT_TRUE(client.wait_messages(1));
  EXPECT_EQ(client.messages()[0].name, "compactor.test.Ping");
  EXPECT_EQ(parse_ping(client.messages()[0].body).sequence(), 42);
  EXPECT_EQ(client.messages()[0].from, echo.self());
}

TEST(ProtobufProcess, AMalformedBodyIsCountedAndDroppedAndTheProcessGoesOn) {
  Echo echo;
  Recorder client("client");
  Context context;
  context.spawn(echo);
  context.spawn(client);
  client.send(echo.self(), "compactor.test.Ping", "\xff\xff\xff not protobuf");
  client.send(echo.self(), "compactor.test.Ping", "");  // parses, but lacks `sequence`
  test::Ping ping;
  ping.set_sequence(1);
  client.send(echo.self(), "compactor.test.Ping", ping.SerializeAsString());
  ASSERT_TRUE(client.wait_messages(1));
  EXPECT_EQ(parse_ping(client.messages()[0].body).sequence(), 2);
  EXPECT_EQ(context.stats().messages_malformed, 2u);
}

TEST(ProtobufProcess, AThousandSubMessagesArriveWhole) {
  Echo echo;
  Recorder client("client");
  Context context;
  context.spawn(echo);
  context.spawn(client);
  test::Inventory inventory;
  for (int i = 0; i < 1000; ++i) {
    auto* item = inventory.add_items();
    item->set_name("item" + std::to_string(i));
    item->set_count(i);
  }
  client.send(echo.self(), "compactor.test.Inventory", inventory.SerializeAsString());
  ASSERT_TRUE(client.wait_messages(1));
  EXPECT_EQ(parse_ping(client.messages()[0].body).sequence(), 1000);
}

TEST(ProtobufProcess, ReplyOutsideAHandlerIsAnError) {
  Echo echo;
  Context context;
  context.spawn(echo);
  EXPECT_THROW(echo.reply(test::Ping()), std::logic_error);
}

}  // namespace
}  // namespace compactor
