// SPDX-License-Identifier: Apache-2.0
// Coroutines on processes: where their steps run, what stays valid across a co_await, what a
// child task gives back, sleeping on the context's clock, and what termination does to them.

#include "support/captured_log.hpp"
#include "support/wait.hpp"

#include <compactor/context.hpp>
#include <compactor/dispatch.hpp>
#include <compactor/task.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;

ContextOptions deterministic(Clock* clock = nullptr) {
  ContextOptions options;
  options.deterministic = true;
  options.clock = clock;
  return options;
}

// Counts its destructions: a local of a coroutine shows when its frame goes.
struct Tracked {
  explicit Tracked(std::atomic<int>& destroyed) : destroyed(destroyed) {}
  ~Tracked() { ++destroyed; }
  std::atomic<int>& destroyed;
};

// A coroutine handler per message; each waits for the answer it is given.
class Asker : public Process {
 public:
  Asker() : Process("asker") {
    install("ask", [this](const PID& from, std::string_view body) -> Task<> {
      Promise<std::string> answer;
      answers.push_back(answer);
      const Tracked local(destroyed);
      const std::string got = co_await answer.future();
      log.push_back(from.id + ":" + std::string(body) + "=" + got);  // both still valid
    });
    install("other", [this](const PID&, std::string_view body) {
      log.push_back("other " + std::string(body));
    });
  }
  std::vector<Promise<std::string>> answers;
  std::vector<std::string> log;
  std::atomic<int> destroyed{0};
};

TEST(Task, AStepResumesThroughTheMailboxAndOtherMessagesRunMeanwhile) {
  Context context(deterministic());
  Asker asker;
  context.spawn(asker);
  context.send(PID("client", context.address()), asker.self(), "ask", "question");
  context.run(100);
  ASSERT_EQ(asker.answers.size(), 1U) << "a coroutine handler starts at once";
  context.send(PID("client", context.address()), asker.self(), "other", "meanwhile");
  context.run(100);
  EXPECT_EQ(asker.log, std::vector<std::string>{"other meanwhile"});

  asker.answers[0].set_value("42");  // from this thread, outside the process
  EXPECT_EQ(asker.log.size(), 1U) << "never resumed on the thread that completed the future";
  context.run(100);
  EXPECT_EQ(asker.log, (std::vector<std::string>{"other meanwhile", "client:question=42"}));
  EXPECT_EQ(asker.destroyed, 1);
  context.terminate(asker.self());
  context.run(100);
}

// Runs a chain of tasks: a child's value, a child's exception, a failed future.
class Chain : public Process {
 public:
  Chain() : Process("chain") {}
  std::vector<std::string> log;
  Promise<int> input;

 protected:
  void initialize() override { launch(run()); }

 private:
  Task<int> twice() { co_return 2 * co_await input.future(); }
  Task<> fail() {
    co_await input.future();
    throw std::runtime_error("child failed");
  }
  Task<> run() {
    log.push_back("twice " + std::to_string(co_await twice()));
    try {
      co_await fail();
    } catch (const std::runtime_error& error) {
      log.push_back(std::string("caught ") + error.what());
    }
    try {
      co_await Future<int>::failed("no such thing");
    } catch (const FutureFailed& error) {
      log.push_back(std::string("failed ") + error.what());
    }
  }
};

TEST(Task, ChildTasksGiveTheirValueOrTheirExceptionToTheAwaiter) {
  Context context(deterministic());
  Chain chain;
  context.spawn(chain);
  context.run(100);
  EXPECT_TRUE(chain.log.empty());
  chain.input.set_value(21);
  context.run(100);
  EXPECT_EQ(chain.log,
            (std::vector<std::string>{"twice 42", "caught child failed", "failed no such thing"}));
  context.terminate(chain.self());
  context.run(100);
}

// Awaits the future it is given, in as many tasks as it is told to launch.
class Waiter : public Process {
 public:
  Waiter(std::string id, Future<int> future) : Process(std::move(id)), future_(std::move(future)) {}
  void launch_waiting(int tasks) {
    for (int i = 0; i < tasks; ++i) launch(wait(i));
  }
  std::vector<std::string> log;

 protected:
  void initialize() override { launch_waiting(2); }

 private:
  Task<> wait(int task) {
    log.push_back(std::to_string(task) + " got " + std::to_string(co_await future_));
  }
  Future<int> future_;
};

TEST(Task, EveryTaskAwaitingOneFutureResumesOnItsOwnProcessAndCallbacksRunToo) {
  Context context(deterministic());
  Promise<int> promise;
  Waiter first("first", promise.future()), second("second", promise.future());
  context.spawn(first);
  context.spawn(second);
  std::vector<int> called_back;
  promise.future().on_ready([&](int value) { called_back.push_back(value); });
  context.run(100);
  EXPECT_TRUE(first.log.empty());

  promise.set_value(7);  // four tasks on two processes: the state keeps the first one's step
  EXPECT_TRUE(first.log.empty() && second.log.empty()) << "resumed through the mailboxes only";
  EXPECT_EQ(called_back, std::vector<int>{7});
  context.run(100);
  EXPECT_EQ(first.log, (std::vector<std::string>{"0 got 7", "1 got 7"}));
  EXPECT_EQ(second.log, (std::vector<std::string>{"0 got 7", "1 got 7"}));

  // A future complete already: a task goes on at once, in the step that awaits it.
  const auto launched = dispatch(first.self(), &Waiter::launch_waiting, 1);
  context.run(100);
  ASSERT_TRUE(launched.is_ready());
  EXPECT_EQ(first.log, (std::vector<std::string>{"0 got 7", "1 got 7", "0 got 7"}));
  context.terminate(first.self());
  context.terminate(second.self());
  context.run(100);
}

class Sleeper : public Process {
 public:
  Sleeper() : Process("sleeper") {}
  std::vector<std::string> log;

 protected:
  void initialize() override { launch(wake_up_thrice()); }

 private:
  // A member function, not a lambda that captures: the lambda would be gone after launch().
  Task<> wake_up_thrice() {
    for (int i = 0; i < 3; ++i) {
      co_await after(1s);
      log.push_back("woke " + std::to_string(i));
    }
  }
};

TEST(Task, AfterSleepsOnTheContextsClock) {
  ManualClock clock;
  Context context(deterministic(&clock));
  Sleeper sleeper;
  context.spawn(sleeper);
  context.run(100);
  EXPECT_TRUE(sleeper.log.empty());
  clock.advance(999ms);
  context.settle();
  EXPECT_TRUE(sleeper.log.empty());
  clock.advance(1ms);
  context.settle();
  EXPECT_EQ(sleeper.log, std::vector<std::string>{"woke 0"});
  for (int i = 0; i < 2; ++i) {  // each sleep starts when the step before it ran
    clock.advance(1s);
    context.settle();
  }
  EXPECT_EQ(sleeper.log, (std::vector<std::string>{"woke 0", "woke 1", "woke 2"}));
  context.terminate(sleeper.self());
  context.run(100);
}

TEST(Task, TerminationDestroysEveryWaitingTaskAndNothingResumesAfter) {
  constexpr int kTasks = 10000;
  Context context(deterministic());
  Asker asker;
  context.spawn(asker);
  for (int i = 0; i < kTasks; ++i) {
    context.send(PID("client", context.address()), asker.self(), "ask", std::to_string(i));
  }
  context.run(100000);
  ASSERT_EQ(asker.answers.size(), static_cast<std::size_t>(kTasks));
  EXPECT_EQ(asker.destroyed, 0);
  context.terminate(asker.self());
  context.run(100);
  ASSERT_TRUE(context.wait(asker.self(), 5s));
  EXPECT_EQ(asker.destroyed, kTasks) << "their frames, and the locals in them, are gone";
  for (auto& answer : asker.answers) answer.set_value("late");
  context.run(100);
  EXPECT_TRUE(asker.log.empty());
}

class Thrower : public Process {
 public:
  Thrower() : Process("thrower") {}

 protected:
  void initialize() override {
    launch([]() -> Task<> {
      co_await Future<Nothing>::ready({});
      throw std::runtime_error("boom");
    }());
  }
};

TEST(Task, AnExceptionThatEscapesATaskIsLoggedLikeAHandlers) {
  testing::CapturedLog log;
  Context context(deterministic());
  Thrower thrower;
  context.spawn(thrower);
  context.run(100);
  EXPECT_EQ(log.count("thrower@" + context.address().to_string() + ": task threw: boom"), 1U);
  context.terminate(thrower.self());
  context.run(100);
}

TEST(Task, LaunchingFromOutsideTheProcessIsAnError) {
  Context context(deterministic());
  Asker asker;
  context.spawn(asker);
  EXPECT_THROW(asker.launch([]() -> Task<> { co_return; }()), std::logic_error);
  context.terminate(asker.self());
  context.run(100);
}

// On worker threads: a process's handlers and its tasks' steps never overlap, whichever thread
// completes what the tasks wait for (run under TSan by CI).
class Counter : public Process {
 public:
  Counter() : Process("counter") {
    install("wait", [this](const PID&, std::string_view) -> Task<> {
      Promise<Nothing> done;
      {
        std::lock_guard lock(mutex);
        waiting.push_back(done);
      }
      enter();
      co_await done.future();
      enter();
      ++finished;
    });
    install("poke", [this](const PID&, std::string_view) { enter(); });
  }
  void enter() {
    EXPECT_FALSE(inside.exchange(true)) << "two steps of one process at once";
    std::this_thread::yield();
    inside = false;
    ++steps;
  }
  std::mutex mutex;
  std::vector<Promise<Nothing>> waiting;
  std::atomic<bool> inside{false};
  std::atomic<int> steps{0};
  std::atomic<int> finished{0};
};

TEST(Task, StepsAndHandlersOfAProcessNeverRunAtOnce) {
  Context context(ContextOptions{.ip = "127.0.0.1", .port = 0, .workers = 2});
  Counter counter;
  context.spawn(counter);
  constexpr int kWaits = 200;
  for (int i = 0; i < kWaits; ++i) context.send(counter.self(), counter.self(), "wait", "");
  ASSERT_TRUE(testing::wait_until([&] {
    std::lock_guard lock(counter.mutex);
    return counter.waiting.size() == kWaits;
  }));
  std::thread completer([&] {
    std::lock_guard lock(counter.mutex);
    for (auto& done : counter.waiting) done.set_value({});
  });
  for (int i = 0; i < kWaits; ++i) context.send(counter.self(), counter.self(), "poke", "");
  completer.join();
  EXPECT_TRUE(testing::wait_until([&] { return counter.finished == kWaits; }));
  EXPECT_TRUE(testing::wait_until([&] { return counter.steps == 3 * kWaits; }));
  context.terminate(counter.self());
  context.wait(counter.self());
}

}  // namespace
}  // namespace compactor
