// SPDX-License-Identifier: Apache-2.0
#include <compactor/process.hpp>  // first: the header compiles on its own

#include <compactor/context.hpp>

#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace compactor {
namespace {

using testing::Recorder;
using namespace std::chrono_literals;

class Pong : public Process {
 public:
  Pong() : Process("pong") {}
  void initialize() override { install("ping", &Pong::ping); }
  void ping(const PID& from, std::string_view body) { send(from, "pong", body); }
};

TEST(Process, LocalPingPong) {
  Context context;
  const PID pong = context.spawn(std::make_unique<Pong>());
  EXPECT_EQ(pong.to_string(), "pong@127.0.0.1:" + std::to_string(context.address().port));
  Recorder client("client");
  context.spawn(client);
  client.send(pong, "ping", "hello");
  ASSERT_TRUE(client.wait_messages(1));
  EXPECT_EQ(client.messages()[0].name, "pong");
  EXPECT_EQ(client.messages()[0].body, "hello");
  EXPECT_EQ(client.messages()[0].from, pong);
  // In one context nothing touches a socket.
  EXPECT_EQ(context.stats().messages_sent_remote, 0u);
  EXPECT_EQ(context.stats().connections_opened, 0u);
  context.terminate(client.self());
  EXPECT_TRUE(context.wait(client.self(), 10s));
}

TEST(Process, MessagesFromOneSenderArriveInOrder) {
  Recorder receiver("receiver");
  Process sender("sender");
  Context context;
  context.spawn(receiver);
  context.spawn(sender);
  constexpr int kCount = 20000;
  for (int i = 0; i < kCount; ++i) sender.send(receiver.self(), "n", std::to_string(i));
  ASSERT_TRUE(receiver.wait_messages(kCount));
  const auto messages = receiver.messages();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(messages[i].body, std::to_string(i));
  context.terminate(receiver.self());
  context.wait(receiver.self());
}

// Counts handlers running at once; the runtime promises never more than one per process.
class Exclusive : public Process {
 public:
  Exclusive() : Process("exclusive") {}
  void initialize() override { install("tick", &Exclusive::tick); }
  void tick(const PID&, std::string_view) {
    if (running_.fetch_add(1) != 0) overlapped_ = true;
    ++count_;  // unsynchronized on purpose: TSan flags it if handlers ever overlap
    running_.fetch_sub(1);
  }
  std::atomic<int> running_{0};
  std::atomic<bool> overlapped_{false};
  int count_ = 0;
};

TEST(Process, HandlersNeverRunConcurrently) {
  Exclusive target;
  Context context({.workers = 4});
  context.spawn(target);
  constexpr int kThreads = 4, kPerThread = 5000;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      const PID from("sender" + std::to_string(t), context.address());
      for (int i = 0; i < kPerThread; ++i) context.send(from, target.self(), "tick");
    });
  }
  for (auto& s : senders) s.join();
  context.terminate(target.self());
  ASSERT_TRUE(context.wait(target.self(), 20s));
  EXPECT_FALSE(target.overlapped_);
  EXPECT_EQ(target.count_, kThreads * kPerThread);
}

TEST(Process, LinkToMissingLocalProcessFiresAtOnce) {
  Recorder linker("linker");
  Context context;
  context.spawn(linker);
  const PID ghost("ghost", context.address());
  linker.link(ghost);
  ASSERT_TRUE(linker.wait_exited(1));
  EXPECT_EQ(linker.exited_pids()[0], ghost);
}

TEST(Process, TerminatingProcessNotifiesItsLinkers) {
  Recorder a("a"), b("b"), late("late");
  Context context;
  context.spawn(a);
  context.spawn(b);
  Process target("target");
  const PID pid = context.spawn(target);
  a.link(pid);
  b.link(pid);
  context.terminate(pid);
  ASSERT_TRUE(context.wait(pid, 10s));
  ASSERT_TRUE(a.wait_exited(1));
  ASSERT_TRUE(b.wait_exited(1));
  EXPECT_EQ(a.exited_pids()[0], pid);
  // Linking after termination fires at once too.
  context.spawn(late);
  late.link(pid);
  EXPECT_TRUE(late.wait_exited(1));
}

class Lifecycle : public Process {
 public:
  explicit Lifecycle(std::vector<std::string>& log) : Process("lifecycle"), log_(log) {}
  void initialize() override {
    log_.push_back("initialize");
    install("m", [this](const PID&, std::string_view body) { log_.push_back(std::string(body)); });
  }
  void finalize() override { log_.push_back("finalize"); }
  std::vector<std::string>& log_;
};

TEST(Process, InitializeFirstFinalizeLast) {
  std::vector<std::string> log;
  Lifecycle process(log);
  Context context;
  const PID pid = context.spawn(process);
  context.send(PID(), pid, "m", "one");
  context.send(PID(), pid, "m", "two");
  context.terminate(pid);
  ASSERT_TRUE(context.wait(pid, 10s));
  EXPECT_EQ(log, (std::vector<std::string>{"initialize", "one", "two", "finalize"}));
}

// Counts messages that reached it before initialize() ran.
class Early : public Process {
 public:
  Early() : Process("early") {}
  void initialize() override { initialized_ = true; }
  void unhandled(const PID&, std::string_view, std::string_view) override {
    if (!initialized_) ++before_initialize_;
  }
  bool initialized_ = false;  // the process's own state
  std::atomic<int> before_initialize_{0};
};

TEST(Process, NothingSentAtTheMomentOfSpawnRunsBeforeInitialize) {
  Context context;
  const PID target("early", context.address());
  for (int round = 0; round < 200; ++round) {
    Early early;
    std::atomic<bool> sending{false}, stop{false};
    // Another thread sends while the process appears in the table.
    std::thread sender([&] {
      sending = true;
      while (!stop.load()) context.send(PID(), target, "m");
    });
    while (!sending.load()) std::this_thread::yield();
    const PID pid = context.spawn(early);
    stop = true;
    sender.join();
    context.terminate(pid);
    ASSERT_TRUE(context.wait(pid, 10s));
    ASSERT_EQ(early.before_initialize_, 0) << "round " << round;
  }
}

class Thrower : public Process {
 public:
  Thrower() : Process("thrower") {}
  void initialize() override {
    install("boom", [](const PID&, std::string_view) { throw std::runtime_error("boom"); });
    install("ok", [this](const PID&, std::string_view) { ++ok_; });
  }
  std::atomic<int> ok_{0};
};

TEST(Process, AThrowingHandlerIsLoggedAndTheProcessGoesOn) {
  Thrower thrower;
  Context context;
  const PID pid = context.spawn(thrower);
  context.send(PID(), pid, "boom");
  context.send(PID(), pid, "ok");
  context.terminate(pid);
  ASSERT_TRUE(context.wait(pid, 10s));
  EXPECT_EQ(thrower.ok_, 1);
}

class ThrowsInFinalize : public Process {
 public:
  ThrowsInFinalize() : Process("throws-in-finalize") {}
  void finalize() override { throw 42; }  // not a std::exception
};

TEST(Process, ANonStandardExceptionFromFinalizeStillTerminatesTheProcess) {
  Recorder linker("linker");
  ThrowsInFinalize process;
  Context context;
  const PID pid = context.spawn(process);
  context.spawn(linker);
  linker.link(pid);
  context.terminate(pid);
  ASSERT_TRUE(context.wait(pid, 10s));
  ASSERT_TRUE(linker.wait_exited(1));
  EXPECT_EQ(linker.exited_pids()[0], pid);
}

TEST(Process, SendBeforeSpawnIsAnError) {
  Process lonely("lonely");
  EXPECT_THROW(lonely.send(PID::parse("x@127.0.0.1:1"), "m"), std::logic_error);
}

TEST(Process, InvalidIdsAreRejected) {
  EXPECT_THROW(Process(""), std::invalid_argument);
  EXPECT_THROW(Process("a@b"), std::invalid_argument);
  EXPECT_THROW(Process("a b"), std::invalid_argument);
}

}  // namespace
}  // namespace compactor
