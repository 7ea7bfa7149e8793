// SPDX-License-Identifier: Apache-2.0
// What protoc-gen-compactor generates for tests/proto/test_service.proto (service Counter): a
// client whose methods are asks, a service whose methods are coroutines; on the wire, plain
// libprocess protobuf messages from a fresh __req_res__(N) PID.

#include "test_service.compactor.h"  // first: the generated header compiles on its own

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "wire/message_encoder.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace compactor {
namespace {

using namespace std::chrono_literals;

// Next answers after a pause on the process's clock; Count at once.
class Counter : public test::CounterService {
 public:
  Counter() : test::CounterService("counter") {}

  Task<test::Ping> Next(const PID&, const test::Ping& request) override {
    co_await after(1ms);
    test::Ping next;
    next.set_sequence(request.sequence() + 1);
    co_return next;
  }
  Task<test::Ping> Count(const PID&, const test::Inventory& inventory) override {
    test::Ping count;
    count.set_sequence(inventory.items_size());
    co_return count;
  }
};

TEST(GeneratedService, AClientAsksAndTheServiceAnswersWithWhatItsCoroutineReturns) {
  Counter counter;
  Process user("user");
  Context context;
  context.spawn(counter);
  context.spawn(user);
  test::CounterClient client(user, counter.self());
  test::Ping ping;
  ping.set_sequence(41);
  auto next = client.Next(ping, 10s);
  test::Inventory inventory;
  inventory.add_items()->set_name("a");
  inventory.mutable_items(0)->set_count(1);
  auto count = client.Count(inventory, 10s);
  ASSERT_TRUE(next.await(10s) && count.await(10s));
  EXPECT_EQ(next.get().sequence(), 42);
  EXPECT_EQ(count.get().sequence(), 1);
}

// The request on the wire is what libprocess sends for that protobuf message (the encoder is
// checked byte for byte against the libprocess capture in message_encoder_test).
TEST(GeneratedService, TheRequestIsALibprocessProtobufMessageFromAFreshPid) {
  testing::RawListener sink;
  Process user("user");
  Context context;
  context.spawn(user);
  const PID remote("counter", {"127.0.0.1", sink.port()});
  test::CounterClient client(user, remote);
  test::Ping ping;
  ping.set_sequence(7);
  auto next = client.Next(ping, 200ms);
  auto connection = sink.accept(10s);
  ASSERT_TRUE(connection);
  std::string expected;
  wire::encode_message(
      expected, {"__req_res__(1)@" + context.address().to_string(), "counter",
                 remote.address.to_string(), "compactor.test.Ping", ping.SerializeAsString()});
  std::string received;
  for (int i = 0; i < 100 && received.size() < expected.size(); ++i) {
    received += connection->read_some(100ms);
  }
  EXPECT_EQ(received, expected);
  ASSERT_TRUE(next.await(10s));
  EXPECT_THROW(next.get(), AskTimeout) << "the sink never answers";
}

}  // namespace
}  // namespace compactor
