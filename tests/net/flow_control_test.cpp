// SPDX-License-Identifier: Apache-2.0
// Flow control: a process that cannot keep up slows its remote senders down through TCP instead
// of letting its mailbox grow, and nothing is lost or reordered.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::wait_until;

// Handles "m" only once opened; records the bodies in order.
class GatedSink : public Process {
 public:
  GatedSink() : Process("sink") {}

  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

  bool wait_count(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return bodies_.size() >= count; });
  }

  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 protected:
  void initialize() override {
    install("m", [this](const PID&, std::string_view body) {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return open_; });
      bodies_.emplace_back(body);
      changed_.notify_all();
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  std::vector<std::string> bodies_;
};

// The events queued for `id`, as /metrics/snapshot reports them.
std::size_t queued_events(std::uint16_t port, const std::string& id) {
  RawClient client("127.0.0.1", port);
  client.write("GET /metrics/snapshot HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string answer = client.read_until_close(10s);
  std::smatch match;
  const std::regex events("\"compactor/processes/" + id + "/mailbox_depth\":(\\d+)");
  if (!std::regex_search(answer, match, events)) throw std::runtime_error(answer);
  return std::stoul(match[1]);
}

TEST(FlowControl, AStuckReceiverStopsReadingAndLosesNothing) {
  constexpr std::size_t kMark = 100;
  constexpr int kCount = 20000;
  GatedSink sink;
  Context context({.mailbox_high_water_messages = kMark});
  context.spawn(sink);
  std::thread sender([port = context.address().port] {
    RawClient client("127.0.0.1", port);
    std::string batch;
    for (int i = 0; i < kCount; ++i) {
      const std::string body = std::to_string(i);
      batch += "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    client.write(batch);  // blocks while the context does not read
    client.shutdown_write();
    client.read_until_close(60s);
  });
  // The sink is stuck in its first handler: the connection must pause.
  ASSERT_TRUE(wait_until([&] { return context.stats().reads_paused > 0; }, 10s));
  // Over the mark by at most what one read (64 KiB, ~90 bytes a message) carried.
  EXPECT_LT(queued_events(context.address().port, "sink"), kMark + 1000);
  sink.open();
  ASSERT_TRUE(sink.wait_count(kCount, 60s)) << sink.bodies().size();
  sender.join();
  const auto bodies = sink.bodies();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(bodies[i], std::to_string(i));
  EXPECT_EQ(context.stats().messages_dropped, 0u);
}

// Sends `total` messages of 64 KiB to `peer`, one per handler (a "tick" to itself drives it).
class Streamer : public Process {
 public:
  Streamer(PID peer, int total) : Process("streamer"), peer_(std::move(peer)), total_(total) {}
  int sent() const { return sent_.load(); }

 protected:
  void initialize() override {
    install("tick", [this](const PID&, std::string_view) {
      send(peer_, "m", std::string(64 * 1024, static_cast<char>('a' + sent_ % 26)));
      if (++sent_ < total_) send(self(), "tick");
    });
    send(self(), "tick");
  }

 private:
  const PID peer_;
  const int total_;
  std::atomic<int> sent_{0};
};

// A peer that does not read: the sending process is held once 1 MiB is queued for it, instead
// of queueing all 64 MiB; a thread that is not a process waits and then fails clearly. When the
// peer reads, everything arrives, in order.
TEST(FlowControl, ASenderIsHeldWhileItsPeerDoesNotRead) {
  constexpr int kCount = 1000;  // 64 MiB
  testing::RawListener listener;
  const PID peer("pong", {"127.0.0.1", listener.port()});
  Streamer streamer(peer, kCount);
  Context context({.peer_high_water_bytes = 1 << 20, .send_timeout = 200ms});
  context.spawn(streamer);
  auto connection = listener.accept(10s);
  ASSERT_TRUE(connection);
  // Early holds end as soon as the batch's flush writes into the still empty socket buffers; once
  // those are full, a sender from outside waits for send_timeout and fails.
  bool threw = false;
  int outside = 0;
  for (int i = 0; i < 300 && !threw; ++i) {
    try {
      context.send(streamer.self(), peer, "m", "from outside");
      ++outside;
      std::this_thread::sleep_for(20ms);
    } catch (const std::runtime_error& error) {
      threw = true;
      EXPECT_NE(std::string(error.what()).find("send_timeout 200 ms"), std::string::npos);
    }
  }
  ASSERT_TRUE(threw);
  EXPECT_GT(context.stats().senders_held, 0u);
  const int sent_when_held = streamer.sent();
  EXPECT_LT(sent_when_held, 300) << "held: socket buffers plus twice the mark, not 64 MiB";

  // Read everything: every message arrives, the streamer's in order.
  std::size_t seen = 0, seen_outside = 0;
  std::string buffer;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (seen < kCount && std::chrono::steady_clock::now() < deadline) {
    buffer += connection->read_some(1s);
    // Each message: headers, one chunk "<hex size>\r\n<body>\r\n", then "0\r\n\r\n".
    for (std::size_t at; (at = buffer.find("\r\n\r\n")) != std::string::npos;) {
      const std::size_t size_end = buffer.find("\r\n", at + 4);
      if (size_end == std::string::npos) break;
      const std::size_t size = std::stoul(buffer.substr(at + 4, size_end - at - 4), nullptr, 16);
      const std::size_t body = size_end + 2;
      const std::size_t end = body + size + 7;
      if (buffer.size() < end) break;
      if (size == 64 * 1024) {
        ASSERT_EQ(buffer[body], static_cast<char>('a' + seen % 26)) << "message " << seen;
        ++seen;
      } else {
        ++seen_outside;
      }
      buffer.erase(0, end);
    }
  }
  EXPECT_EQ(seen, static_cast<std::size_t>(kCount));
  EXPECT_EQ(seen_outside, static_cast<std::size_t>(outside));
  std::cout << "sent when a sender from outside failed: " << sent_when_held << " x 64 KiB\n";
  EXPECT_EQ(context.stats().messages_dropped, 1u) << "only the one that timed out";
}

// The bodies `sink` got are the streamer's, in order (each one 'a' + its index % 26).
void expect_streamed_in_order(GatedSink& sink, int count) {
  const auto bodies = sink.bodies();
  ASSERT_EQ(bodies.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(bodies[static_cast<std::size_t>(i)][0], static_cast<char>('a' + i % 26)) << i;
  }
}

// Sends `sink` its first message and waits until its handler holds it (gated), so that what is
// sent next stays queued.
void occupy(Context& context, GatedSink& sink) {
  context.send(sink.self(), sink.self(), "m", "first");
  EXPECT_TRUE(wait_until([&] { return queued_events(context.address().port, "sink") == 0; }, 10s));
}

// mailbox_limit with hold_sender: a local process streaming into a stuck receiver is held once
// its mailbox holds the limit, and runs on when the receiver takes its queue; nothing is lost.
TEST(MailboxLimit, ALocalSenderIsHeldWhileTheMailboxIsFull) {
  constexpr std::size_t kLimit = 50;
  constexpr int kCount = 500;
  GatedSink sink;
  std::optional<Streamer> streamer;  // before the context, which must go first
  Context context({.mailbox_limit = kLimit});
  context.spawn(sink);
  context.spawn(streamer.emplace(sink.self(), kCount));
  ASSERT_TRUE(wait_until([&] { return context.stats().senders_held > 0; }, 10s));
  for (int i = 0; i < 10; ++i) {  // it stays held: a bound, sampled, not a speed
    EXPECT_LE(queued_events(context.address().port, "sink"), kLimit);
    // Queued, plus the batch the receiver took before it got stuck, plus one.
    EXPECT_LE(streamer->sent(), 2 * static_cast<int>(kLimit) + 1);
    std::this_thread::sleep_for(20ms);
  }
  sink.open();
  ASSERT_TRUE(sink.wait_count(kCount, 30s));
  expect_streamed_in_order(sink, kCount);
  EXPECT_EQ(context.stats().messages_dropped, 0u);
}

// A hold lasts send_timeout at most, so processes full of each other's messages cannot hold each
// other for ever: a streamer into a receiver that never takes its queue still sends everything.
TEST(MailboxLimit, AHoldEndsAfterTheSendTimeout) {
  constexpr int kCount = 30;
  GatedSink sink;
  std::optional<Streamer> streamer;
  Context context({.send_timeout = 50ms, .mailbox_limit = 5});
  context.spawn(sink);
  context.spawn(streamer.emplace(sink.self(), kCount));
  EXPECT_TRUE(wait_until([&] { return streamer->sent() == kCount; }, 20s))
      << "while the receiver is still stuck";
  EXPECT_GE(context.stats().senders_held, 20u);
  sink.open();
  ASSERT_TRUE(sink.wait_count(kCount, 10s));
  expect_streamed_in_order(sink, kCount);
}

// A thread that is not a process waits for room, and after send_timeout send() throws.
TEST(MailboxLimit, AThreadWaitsForRoomThenFailsClearly) {
  GatedSink sink;
  Context context({.send_timeout = 200ms, .mailbox_limit = 10});
  context.spawn(sink);
  occupy(context, sink);
  for (int i = 0; i < 10; ++i) context.send(sink.self(), sink.self(), "m", std::to_string(i));
  try {
    context.send(sink.self(), sink.self(), "m", "one too many");
    FAIL() << "sent to a full mailbox";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("send_timeout 200 ms"), std::string::npos)
        << error.what();
  }
  std::thread opener([&] {
    std::this_thread::sleep_for(50ms);
    sink.open();
  });
  context.send(sink.self(), sink.self(), "m", "after");  // waits until the sink takes its queue
  opener.join();
  ASSERT_TRUE(sink.wait_count(12, 10s));
  EXPECT_EQ(sink.bodies().back(), "after");
  EXPECT_EQ(context.stats().messages_dropped, 1u) << "the one that timed out";
}

// A thread held for room in another context's mailbox holds no lock that others need: making,
// spawning on and sending through unrelated contexts meanwhile takes no longer than usual.
TEST(MailboxLimit, AHeldSenderDoesNotStallOtherContexts) {
  GatedSink sink;
  Context held({.send_timeout = 3000ms, .mailbox_limit = 1});
  held.spawn(sink);
  occupy(held, sink);
  held.send(sink.self(), sink.self(), "m", "fills the mailbox");
  Context from;
  std::atomic<bool> waiting{false};
  std::thread sender([&] {
    waiting = true;
    from.send(PID("outsider", from.address()), sink.self(), "m", "waits for room");
  });
  while (!waiting) std::this_thread::yield();
  std::this_thread::sleep_for(100ms);  // the sender is inside send(), waiting for room

  const auto start = std::chrono::steady_clock::now();
  {
    testing::Recorder receiver("receiver");  // before its context, which must go first
    Context other;
    other.spawn(receiver);
    from.send(PID("outsider", from.address()), receiver.self(), "m", "unrelated");
    EXPECT_TRUE(receiver.wait_messages(1, 2s));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1000ms) << "an unrelated context waited for the held sender";
  sink.open();
  sender.join();
  ASSERT_TRUE(sink.wait_count(3, 10s));
}

// mailbox_limit with drop_newest: what does not fit is dropped and counted; the sender goes on.
TEST(MailboxLimit, DropNewestDropsWhatDoesNotFitAndCountsIt) {
  GatedSink sink;
  Context context(
      {.mailbox_limit = 10, .mailbox_overflow = ContextOptions::MailboxOverflow::drop_newest});
  context.spawn(sink);
  occupy(context, sink);
  for (int i = 0; i < 100; ++i) context.send(sink.self(), sink.self(), "m", std::to_string(i));
  EXPECT_EQ(context.stats().mailbox_overflows, 90u);
  EXPECT_EQ(context.stats().messages_dropped, 90u);
  sink.open();
  ASSERT_TRUE(sink.wait_count(11, 10s));
  const auto bodies = sink.bodies();
  EXPECT_EQ(bodies.front(), "first");
  EXPECT_EQ(bodies.back(), "9") << "the oldest kept, the newest dropped";
}

}  // namespace
}  // namespace compactor
