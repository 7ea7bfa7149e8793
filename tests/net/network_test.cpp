// SPDX-License-Identifier: Apache-2.0
// net::Network: the listener it binds, and the outbound connections it keeps by address (one per
// address at a time, a new one once the old one closed).

#include <compactor/context.hpp>

#include "net/network.hpp"
#include "runtime/context_core.hpp"
#include "support/raw_client.hpp"
#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <system_error>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(Network, BindsAFreePortOrSaysWhichAddressIsTaken) {
  runtime::ContextCore first({});
  net::Network listening(first);
  const Address bound = listening.bound_address();
  EXPECT_EQ(bound.ip, "127.0.0.1");
  EXPECT_NE(bound.port, 0) << "port 0 asks for a free one, and the real one is reported";

  runtime::ContextCore second({.port = bound.port});
  try {
    net::Network taken(second);
    ADD_FAILURE() << "bound a port that is listened on";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot listen on " + bound.to_string()),
              std::string::npos)
        << error.what();
  }
}

// Where the bodies `prefix`0, `prefix`1, ... are in `bytes`: in increasing order.
bool in_order(const std::string& bytes, const std::string& prefix, int count) {
  std::size_t at = 0;
  for (int i = 0; i < count; ++i) {
    at = bytes.find(prefix + std::to_string(i) + ".", at);
    if (at == std::string::npos) return false;
  }
  return true;
}

TEST(Network, OneConnectionPerAddressCarriesEveryProcessesMessagesInOrder) {
  testing::RawListener listener;
  testing::Recorder a("a"), b("b");
  Context context({.idle_connection_timeout = 200ms});
  context.spawn(a);
  context.spawn(b);
  const PID sink("sink", {"127.0.0.1", listener.port()});
  constexpr int kEach = 50;
  for (int i = 0; i < kEach; ++i) {
    a.send(sink, "m", "a" + std::to_string(i) + ".");
    b.send(sink, "m", "b" + std::to_string(i) + ".");
  }
  auto connection = listener.accept(10s);
  ASSERT_TRUE(connection);
  bool closed = false;
  const std::string bytes = connection->read_until_close(10s, &closed);
  EXPECT_TRUE(closed) << "closed once idle";
  EXPECT_TRUE(in_order(bytes, "a", kEach));
  EXPECT_TRUE(in_order(bytes, "b", kEach));
  EXPECT_FALSE(listener.accept(300ms)) << "one connection carried them all";
  EXPECT_EQ(context.stats().connections_opened, 1u);
}

TEST(Network, AMessageAfterAnIdleCloseGoesOnANewConnection) {
  testing::RawListener listener;
  testing::Recorder sender("sender");
  Context context({.idle_connection_timeout = 50ms});
  context.spawn(sender);
  const PID sink("sink", {"127.0.0.1", listener.port()});
  sender.send(sink, "m", "one");
  auto first = listener.accept(10s);
  ASSERT_TRUE(first);
  bool closed = false;
  EXPECT_NE(first->read_until_close(10s, &closed).find("one"), std::string::npos);
  ASSERT_TRUE(closed);
  sender.send(sink, "m", "two");
  auto second = listener.accept(10s);
  ASSERT_TRUE(second);
  EXPECT_NE(second->read_until_close(10s, &closed).find("two"), std::string::npos);
  EXPECT_EQ(context.stats().connections_opened, 2u);
  EXPECT_EQ(context.stats().connections_failed, 0u);
}

}  // namespace
}  // namespace compactor
