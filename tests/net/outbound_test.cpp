// SPDX-License-Identifier: Apache-2.0
// What a context sends: exact bytes to a raw sink, graceful close, links and exited.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"
#include "wire/message_encoder.hpp"

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(Outbound, SendsWhatLibprocessSendsAndClosesGracefullyWhenIdle) {
  testing::RawListener listener;
  testing::Recorder sender("sender");
  Context context({.idle_connection_timeout = 100ms});
  context.spawn(sender);
  const PID sink("pong", {"127.0.0.1", listener.port()});
  sender.send(sink, "hello", "hi there");
  auto connection = listener.accept(10s);
  ASSERT_TRUE(connection);
  bool closed = false;
  const std::string received = connection->read_until_close(10s, &closed);
  EXPECT_TRUE(closed) << "an idle unlinked connection is shut down by the sender";
  std::string expected;
  const std::string from = sender.self().to_string();
  const std::string host = sink.address.to_string();
  wire::encode_message(expected, {from, "pong", host, "hello", "hi there"});
  EXPECT_EQ(received, expected);
  EXPECT_EQ(context.stats().connections_failed, 0u);
}

TEST(Outbound, RemoteLinkPutsNoBytesOnTheWireAndStaysOpen) {
  testing::RawListener listener;
  testing::Recorder linker("linker");
  Context context({.idle_connection_timeout = 50ms});
  context.spawn(linker);
  const PID remote("pong", {"127.0.0.1", listener.port()});
  linker.link(remote);
  auto connection = listener.accept(10s);
  ASSERT_TRUE(connection);
  bool closed = true;
  EXPECT_EQ(connection->read_until_close(300ms, &closed), "");
  EXPECT_FALSE(closed) << "a linked connection is persistent";
  connection->reset();  // the peer dies
  ASSERT_TRUE(linker.wait_exited(1));
  EXPECT_EQ(linker.exited_pids()[0], remote);
}

TEST(Outbound, LinkToAClosedPortFiresExited) {
  testing::RefusingPort refusing;
  const std::uint16_t port = refusing.port();
  testing::Recorder linker("linker");
  Context context;
  context.spawn(linker);
  const PID remote("pong", {"127.0.0.1", port});
  linker.link(remote);
  ASSERT_TRUE(linker.wait_exited(1, 10s));
  EXPECT_EQ(linker.exited_pids()[0], remote);
  EXPECT_GE(context.stats().connections_failed, 1u);
}

TEST(Outbound, MessagesToAClosedPortAreCountedAsDropped) {
  testing::RefusingPort refusing;
  const std::uint16_t port = refusing.port();
  Process sender("sender");
  Context context;
  context.spawn(sender);
  sender.send(PID("pong", {"127.0.0.1", port}), "m", "x");
  context.shutdown();
  EXPECT_EQ(context.stats().messages_dropped, 1u);
}

TEST(Outbound, ShutdownWritesWhatIsQueuedFirst) {
  testing::RawListener listener;
  Process sender("sender");
  Context context({.idle_connection_timeout = 60000ms});
  context.spawn(sender);
  const PID sink("pong", {"127.0.0.1", listener.port()});
  for (int i = 0; i < 1000; ++i) sender.send(sink, "m", std::string(100, 'y'));
  std::string received;
  std::thread reader([&] {
    auto connection = listener.accept(10s);
    if (connection) received = connection->read_until_close(10s);
  });
  context.shutdown();  // waits for the sink's FIN (bounded by shutdown_timeout)
  reader.join();
  std::size_t count = 0;
  for (auto at = received.find("POST /pong/m"); at != std::string::npos;
       at = received.find("POST /pong/m", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1000u);
}

// A peer that accepts and never reads: once the socket buffers are full, no write makes progress,
// and after write_timeout the connection fails, the linker is told, and what was queued is
// counted as unsent.
TEST(Outbound, AWriteWithoutProgressFailsTheConnection) {
  testing::RawListener listener;
  testing::Recorder linker("linker");
  Context context({.write_timeout = 300ms});
  context.spawn(linker);
  const PID stuck("pong", {"127.0.0.1", listener.port()});
  linker.link(stuck);
  auto connection = listener.accept(10s);  // accepted, never read
  ASSERT_TRUE(connection);
  const std::string mebibyte(1 << 20, 'z');
  for (int i = 0; i < 32; ++i) context.send(linker.self(), stuck, "m", mebibyte);
  ASSERT_TRUE(linker.wait_exited(1, 10s));
  EXPECT_EQ(linker.exited_pids()[0], stuck);
  EXPECT_GT(context.stats().messages_unsent, 0u);
  EXPECT_GE(context.stats().connections_failed, 1u);
}

}  // namespace
}  // namespace compactor
