// SPDX-License-Identifier: Apache-2.0
#include <compactor/testing.hpp>  // first: the header compiles on its own

#include "support/recorder.hpp"

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::Recorder;

class Pong : public Process {
 public:
  Pong() : Process("pong") {}
  void initialize() override {
    install("ping", [this](const PID& from, std::string_view body) { send(from, "pong", body); });
  }
};

TEST(MessageWatch, ExpectsDropsAndSeesExits) {
  Pong pong;
  Recorder client("client");
  Context context;
  context.spawn(pong);
  context.spawn(client);
  testing::MessageWatch watch(context);

  // Expect: a future of the message, which is still delivered.
  auto answer = watch.expect("pong", client.self());
  client.send(pong.self(), "ping", "one");
  ASSERT_TRUE(answer.await(5s));
  EXPECT_EQ(answer.get().from, pong.self());
  EXPECT_EQ(answer.get().body, "one");
  ASSERT_TRUE(client.wait_messages(1));

  // Drop: the ping never reaches pong, so no pong comes back.
  auto dropped = watch.drop("ping");
  client.send(pong.self(), "ping", "two");
  ASSERT_TRUE(dropped.await(5s));
  EXPECT_EQ(dropped.get().body, "two");
  EXPECT_EQ(watch.dropped(), 1u);
  EXPECT_FALSE(client.wait_messages(2, 100ms));

  // Exited: the linker is told.
  auto exited = watch.expect_exited(client.self(), pong.self());
  client.link(pong.self());
  context.terminate(pong.self());
  EXPECT_TRUE(exited.await(5s));
  EXPECT_TRUE(exited.is_ready());
}

TEST(MessageWatch, PendingExpectationsFailWhenTheWatchEnds) {
  Recorder client("client");
  Context context;
  context.spawn(client);
  std::optional<Future<testing::Message>> never;
  {
    testing::MessageWatch watch(context);
    never = watch.expect("nothing");
  }
  EXPECT_TRUE(never->is_failed());
}

}  // namespace
}  // namespace compactor
