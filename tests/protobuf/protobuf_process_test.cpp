// SPDX-License-Identifier: Apache-2.0
#include <compactor/protobuf.hpp>  // first: the header compiles on its own

#include <compactor/context.hpp>

#include "support/recorder.hpp"
#include "test_messages.pb.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

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

// A coroutine service: asks `next` twice for the following sequence number, then replies to
// whoever sent the Ping, after both co_awaits. An Inventory asks `next` for a Ping and records
// why that failed.
class Relay : public ProtobufProcess {
 public:
  Relay(std::string id, PID next) : ProtobufProcess(std::move(id)), next_(std::move(next)) {}
  std::vector<std::string> failures;

 protected:
  void initialize() override {
    install(&Relay::relay);
    install<test::Inventory>([this](const PID&, const test::Inventory&) -> Task<> {
      test::Ping ping;
      ping.set_sequence(0);
      try {
        co_await ask<test::Ping>(next_, ping, 5s);
      } catch (const AskTimeout& timeout) {
        failures.push_back(std::string("timeout: ") + timeout.what());
      } catch (const FutureFailed& failed) {
        failures.push_back(std::string("failed: ") + failed.what());
      }
    });
  }

  Task<> relay(const PID&, const test::Ping& ping) {
    test::Ping first = co_await ask<test::Ping>(next_, ping, 5s);
    test::Ping second = co_await ask<test::Ping>(next_, first, 5s);
    second.set_note("relayed");
    reply(second);  // to the sender of the Ping that launched this coroutine
  }

 private:
  PID next_;
};

// Answers a Ping with an Inventory: the wrong type for an ask<Ping>.
class WrongAnswer : public ProtobufProcess {
 public:
  WrongAnswer() : ProtobufProcess("wrong") {}

 protected:
  void initialize() override {
    install<test::Ping>([this](const PID&, const test::Ping&) { reply(test::Inventory()); });
  }
};

TEST(ProtobufProcess, ACoroutineHandlerAsksTypedAndRepliesToItsSenderAfterCoAwait) {
  Echo echo;
  std::optional<Relay> relay;  // made once the context's address is known
  Recorder client("client");
  Context context;
  context.spawn(echo);
  relay.emplace("relay", echo.self());
  context.spawn(*relay);
  context.spawn(client);
  test::Ping ping;
  ping.set_sequence(1);
  client.send(relay->self(), "compactor.test.Ping", ping.SerializeAsString());
  ASSERT_TRUE(client.wait_messages(1));
  const auto answer = parse_ping(client.messages()[0].body);
  EXPECT_EQ(answer.sequence(), 3);
  EXPECT_EQ(answer.note(), "relayed");
  EXPECT_EQ(client.messages()[0].from, relay->self());
}

TEST(ProtobufProcess, ATypedAskFailsTypedOnTimeoutAndOnAnotherMessage) {
  WrongAnswer wrong;
  Process mute("mute");
  std::optional<Relay> to_wrong;
  std::optional<Relay> to_mute;
  ManualClock clock;
  Context context{ContextOptions{.deterministic = true, .clock = &clock}};
  context.spawn(wrong);
  context.spawn(mute);
  to_wrong.emplace("to_wrong", wrong.self());
  to_mute.emplace("to_mute", mute.self());
  context.spawn(*to_wrong);
  context.spawn(*to_mute);
  const PID test("test", context.address());
  for (const auto& relay : {to_wrong->self(), to_mute->self()}) {
    context.send(test, relay, "compactor.test.Inventory", "");
  }
  context.run(1000);
  ASSERT_EQ(to_wrong->failures.size(), 1U);
  EXPECT_EQ(to_wrong->failures[0], "failed: ask: " + wrong.self().to_string() +
                                       " answered 'compactor.test.Inventory' (0 bytes), not a "
                                       "compactor.test.Ping");
  EXPECT_TRUE(to_mute->failures.empty());
  clock.advance(5s);
  context.settle();
  ASSERT_EQ(to_mute->failures.size(), 1U);
  EXPECT_TRUE(to_mute->failures[0].starts_with("timeout: ask: no reply from mute@"))
      << to_mute->failures[0];
  for (const auto& pid : {wrong.self(), mute.self(), to_wrong->self(), to_mute->self()}) {
    context.terminate(pid);
  }
  context.run(1000);
}

}  // namespace
}  // namespace compactor
