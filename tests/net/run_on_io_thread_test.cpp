// SPDX-License-Identifier: Apache-2.0
// ContextOptions::run_on_io_thread: a remote message's handlers run on the I/O thread that read
// it when its process is idle, one thread per process all the same, in order; a blocking get()
// there is an error, not a stalled context; a handler that holds it long is counted.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/wait.hpp"
#include "wire/message_encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;

// Records, for each "m" it handles, the body and whether it ran on the I/O thread. Its plain
// members are written by whichever thread runs it: a race (TSan) if two ever ran it at once.
class Witness : public Process {
 public:
  Witness() : Process("witness") {}

  void initialize() override {
    install("m", [this](const PID&, std::string_view body) {
      if (running_.fetch_add(1) != 0) overlapped_ = true;
      bodies_.emplace_back(body);
      on_io_thread_.push_back(detail::running_on_io_thread());
      if (body == "slow") std::this_thread::sleep_for(30ms);
      if (body == "block") {
        try {
          // Never answered: on a worker it would wait for its timeout.
          ask(self(), "never-answered", "", 300ms).get();
        } catch (const std::logic_error&) {
          get_refused_.push_back(true);
        } catch (const AskTimeout&) {
          get_refused_.push_back(false);
        }
      }
      running_.fetch_sub(1);
      if (body.starts_with("r")) remote_handled_.fetch_add(1, std::memory_order_release);
      handled_.fetch_add(1, std::memory_order_release);
    });
  }

  std::size_t handled() const { return handled_.load(std::memory_order_acquire); }
  int remote_handled() const { return remote_handled_.load(std::memory_order_acquire); }
  // Read once handled() says the handlers are done.
  const std::vector<std::string>& bodies() const { return bodies_; }
  const std::vector<bool>& on_io_thread() const { return on_io_thread_; }
  std::size_t ran_on_io_thread() const {
    return static_cast<std::size_t>(std::count(on_io_thread_.begin(), on_io_thread_.end(), true));
  }
  bool overlapped() const { return overlapped_; }
  const std::vector<bool>& get_refused() const { return get_refused_; }

 private:
  std::atomic<int> running_{0};
  std::atomic<std::size_t> handled_{0};
  std::atomic<int> remote_handled_{0};  // of them, bodies "r..."
  std::atomic<bool> overlapped_{false};
  std::vector<std::string> bodies_;
  std::vector<bool> on_io_thread_;
  std::vector<bool> get_refused_;  // for each "block": whether get() threw at once
};

// Libprocess messages "m" with these bodies, for the witness of `context`.
std::string messages(const Context& context, const std::vector<std::string>& bodies) {
  const std::string host = context.address().to_string();
  std::string bytes;
  for (const auto& body : bodies) {
    wire::encode_message(bytes, {"client@127.0.0.1:1", "witness", host, "m", body});
  }
  return bytes;
}

// A peer that sends `bytes` and takes the context's answers (202s) until it closes.
class Peer {
 public:
  explicit Peer(const Context& context)
      : client_("127.0.0.1", context.address().port), reader_([this] {
          bool closed = false;
          while (!closed && (!client_.read_some(100ms, 65536, &closed).empty() || !done_)) {
          }
        }) {}
  ~Peer() {
    done_ = true;
    reader_.join();
  }
  void send(const std::string& bytes) { client_.write(bytes); }

 private:
  testing::RawClient client_;
  std::atomic<bool> done_{false};
  std::thread reader_;
};

TEST(RunOnIoThread, ARemoteMessageIsHandledOnTheThreadThatReadItOnlyWhenAskedFor) {
  for (const bool run_on_io_thread : {false, true}) {
    Witness witness;
    Context context({.run_on_io_thread = run_on_io_thread});
    context.spawn(witness);
    Peer peer(context);
    constexpr std::size_t kRemote = 5;
    for (std::size_t i = 0; i < kRemote; ++i) {  // one at a time: the process is mostly idle
      peer.send(messages(context, {"remote" + std::to_string(i)}));
      ASSERT_TRUE(testing::wait_until([&] { return witness.handled() == i + 1; }));
    }
    witness.send(witness.self(), "m", "local");  // local messages always go to a worker
    ASSERT_TRUE(testing::wait_until([&] { return witness.handled() == kRemote + 1; }));
    const auto& where = witness.on_io_thread();
    if (run_on_io_thread) {
      // One that came while its process was still finishing the one before went to a worker.
      EXPECT_NE(std::count(where.begin(), where.end() - 1, true), 0);
    } else {
      EXPECT_EQ(std::count(where.begin(), where.end(), true), 0);
    }
    EXPECT_FALSE(where.back());
  }
}

// Without it, the messages one read brings an idle process reach it as one batch: the worker is
// woken once the read is parsed, not at the first message (one wake-up, one write of answers).
TEST(RunOnIoThread, WithoutItTheMessagesOfAReadReachAnIdleProcessAsOneBatch) {
  class FirstSees : public Process {
   public:
    FirstSees() : Process("witness") {}
    void initialize() override {
      install("m", [this](const PID&, std::string_view) {
        if (handled_.fetch_add(1) == 0)
          received_at_first_ = context_->stats().messages_received_remote;
      });
    }
    const Context* context_ = nullptr;
    std::atomic<int> handled_{0};
    std::atomic<std::uint64_t> received_at_first_{0};
  };
  FirstSees witness;
  Context context;
  witness.context_ = &context;
  context.spawn(witness);
  Peer peer(context);
  constexpr int kMessages = 20;  // 4 KiB in one write: one read on loopback
  peer.send(messages(context, std::vector<std::string>(kMessages, "x")));
  ASSERT_TRUE(testing::wait_until([&] { return witness.handled_ == kMessages; }));
  EXPECT_EQ(witness.received_at_first_, static_cast<std::uint64_t>(kMessages));
}

TEST(RunOnIoThread, OneThreadRunsAProcessAtATimeAndItsMessagesStayInOrder) {
  Witness witness;
  Context context({.run_on_io_thread = true});
  context.spawn(witness);
  constexpr int kRemote = 300;
  constexpr int kLocal = 300;
  std::vector<std::string> remote;
  for (int i = 0; i < kRemote; ++i) remote.push_back("r" + std::to_string(i));
  {
    Peer peer(context);
    // Reads of 1 to 7 messages, most of them while the process is idle, some while a local
    // sender keeps it busy (or while the I/O thread runs it): both threads run it in turn.
    std::thread local([&] {
      for (int i = 0; i < kLocal; ++i) {
        witness.send(witness.self(), "m", "l" + std::to_string(i));
        std::this_thread::sleep_for(100us);
      }
    });
    for (int i = 0; i < kRemote;) {
      const int n = std::min(kRemote - i, 1 + i % 7);
      peer.send(
          messages(context, std::vector<std::string>(remote.begin() + i, remote.begin() + i + n)));
      i += n;
      ASSERT_TRUE(testing::wait_until([&] { return witness.remote_handled() == i; }));
    }
    local.join();
    ASSERT_TRUE(testing::wait_until([&] { return witness.handled() == kRemote + kLocal; }));
  }
  EXPECT_FALSE(witness.overlapped());
  EXPECT_NE(std::count(witness.on_io_thread().begin(), witness.on_io_thread().end(), true), 0);
  std::vector<std::string> remote_seen, local_seen;
  for (const auto& body : witness.bodies())
    (body[0] == 'r' ? remote_seen : local_seen).push_back(body);
  EXPECT_EQ(remote_seen, remote) << "in the order they were read";
  ASSERT_EQ(local_seen.size(), static_cast<std::size_t>(kLocal));
  for (int i = 0; i < kLocal; ++i) EXPECT_EQ(local_seen[i], "l" + std::to_string(i));
}

// Sends "m" with `body`, one at a time, until one ran on the I/O thread (one that finds its
// process still busy goes to a worker), at most 20; returns how many were handled.
std::size_t send_until_one_ran_there(const Context& context, Peer& peer, const Witness& witness,
                                     const std::string& body) {
  std::size_t sent = 0;
  while (sent < 20 && witness.ran_on_io_thread() == 0) {
    peer.send(messages(context, {body}));
    ++sent;
    if (!testing::wait_until([&] { return witness.handled() == sent; }, 5s)) break;
  }
  EXPECT_NE(witness.ran_on_io_thread(), 0U) << "none of " << sent << " ran on the I/O thread";
  return witness.handled();
}

TEST(RunOnIoThread, BlockingOnAFutureThereIsAnErrorNotAStalledContext) {
  Witness witness;
  Context context({.run_on_io_thread = true});
  context.spawn(witness);
  Peer peer(context);
  const std::size_t sent = send_until_one_ran_there(context, peer, witness, "block");
  EXPECT_EQ(witness.get_refused(), witness.on_io_thread())
      << "get() threw at once there, and only there";
  peer.send(messages(context, {"after"}));  // the connection is served on
  EXPECT_TRUE(testing::wait_until([&] { return witness.handled() == sent + 1; }));
}

TEST(RunOnIoThread, AHandlerThatHoldsTheIoThreadIsCounted) {
  Witness witness;
  Context context({.run_on_io_thread = true});
  context.spawn(witness);
  Peer peer(context);
  send_until_one_ran_there(context, peer, witness, "slow");
  // Each 30 ms handler run there, and only those (counted as the I/O thread takes it back).
  EXPECT_TRUE(testing::wait_until(
      [&] { return context.stats().io_thread_stalls == witness.ran_on_io_thread(); }));
  EXPECT_EQ(context.stats().io_thread_stalls, witness.ran_on_io_thread());
}

}  // namespace
}  // namespace compactor
