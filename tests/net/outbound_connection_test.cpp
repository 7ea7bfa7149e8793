// SPDX-License-Identifier: Apache-2.0
// net::OutboundConnection, on loopback: what a context sends (exact bytes to a raw sink,
// graceful close, links and exited).

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"
#include "wire/message_encoder.hpp"

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(OutboundConnection, SendsWhatLibprocessSendsAndClosesGracefullyWhenIdle) {
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

TEST(OutboundConnection, RemoteLinkPutsNoBytesOnTheWireAndStaysOpen) {
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

TEST(OutboundConnection, LinkToAClosedPortFiresExited) {
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

// An ask does not wait for its timeout when the connection to its target cannot be made, or
// breaks while the ask waits: it ends with PeerExited, as a link's exited() would fire.
TEST(OutboundConnection, AnAskEndsWithPeerExitedWhenItsConnectionCannotBeMadeOrBreaks) {
  testing::RefusingPort refusing;
  testing::RawListener listener;
  testing::Recorder asker("asker");
  Context context;
  context.spawn(asker);
  auto refused = asker.ask(PID("pong", {"127.0.0.1", refusing.port()}), "ping", "", 60s);
  ASSERT_TRUE(refused.await(10s));
  EXPECT_THROW(refused.get(), PeerExited);
  EXPECT_TRUE(refused.failure().starts_with("ask: pong@127.0.0.1:")) << refused.failure();

  auto broken = asker.ask(PID("pong", {"127.0.0.1", listener.port()}), "ping", "", 60s);
  auto connection = listener.accept(10s);
  ASSERT_TRUE(connection);
  EXPECT_FALSE(connection->read_some(10s).empty());  // the request came
  EXPECT_TRUE(broken.is_pending());
  connection->reset();
  ASSERT_TRUE(broken.await(10s));
  EXPECT_THROW(broken.get(), PeerExited);
  EXPECT_EQ(context.stats().late_replies, 0U);
}

TEST(OutboundConnection, MessagesToAClosedPortAreCountedAsDropped) {
  testing::RefusingPort refusing;
  const std::uint16_t port = refusing.port();
  Process sender("sender");
  Context context;
  context.spawn(sender);
  sender.send(PID("pong", {"127.0.0.1", port}), "m", "x");
  context.shutdown();
  EXPECT_EQ(context.stats().messages_dropped, 1u);
}

TEST(OutboundConnection, ShutdownWritesWhatIsQueuedFirst) {
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
TEST(OutboundConnection, AWriteWithoutProgressFailsTheConnection) {
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
