// SPDX-License-Identifier: Apache-2.0
// A deterministic context: processes run on the test's thread, one batch per step, in the order
// they became runnable.

#include <compactor/context.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace compactor {
namespace {

// Plays ping-pong with its partner `rounds` times and records each handler run, with its thread.
class Player : public Process {
 public:
  Player(std::string id, std::vector<std::string>& log, int rounds)
      : Process(std::move(id)), log_(log), rounds_(rounds) {}

  void initialize() override {
    log_.push_back(self().id + " initialize");
    install("ball", [this](const PID& from, std::string_view body) {
      log_.push_back(self().id + " " + std::string(body));
      threads.push_back(std::this_thread::get_id());
      const int hit = std::stoi(std::string(body));
      if (hit < rounds_) send(from, "ball", std::to_string(hit + 1));
    });
  }

  std::vector<std::thread::id> threads;

 private:
  std::vector<std::string>& log_;
  const int rounds_;
};

ContextOptions deterministic() {
  ContextOptions options;
  options.deterministic = true;
  return options;
}

// Two players spawned on a deterministic context, nothing run yet.
struct Table {
  explicit Table(int rounds) : ping("ping", log, rounds), pong("pong", log, rounds) {
    context.spawn(ping);
    context.spawn(pong);
  }
  void serve() { context.send(pong.self(), ping.self(), "ball", "1"); }

  std::vector<std::string> log;
  Player ping;
  Player pong;
  Context context{deterministic()};
};

TEST(Deterministic, NothingRunsUntilTheTestSteps) {
  Table table(4);
  auto& context = table.context;
  EXPECT_TRUE(table.log.empty());  // initialize waits for a step, too
  ASSERT_TRUE(context.run_once());
  EXPECT_EQ(table.log, std::vector<std::string>{"ping initialize"});
  ASSERT_TRUE(context.run_once());
  table.serve();
  EXPECT_EQ(table.log.size(), 2U);
  EXPECT_EQ(context.run(), 4U);  // ping 1, pong 2, ping 3, pong 4: one step each
  EXPECT_FALSE(context.run_once());
  const std::vector<std::string> expected{"ping initialize", "pong initialize", "ping 1",
                                          "pong 2",          "ping 3",          "pong 4"};
  EXPECT_EQ(table.log, expected);
  for (const auto id : table.ping.threads) EXPECT_EQ(id, std::this_thread::get_id());
  for (const auto id : table.pong.threads) EXPECT_EQ(id, std::this_thread::get_id());
}

TEST(Deterministic, RunStopsAfterMaxStepsForProcessesThatNeverRest) {
  Table table(1'000'000);
  table.context.run();
  table.serve();
  EXPECT_EQ(table.context.run(10), 10U);
  EXPECT_EQ(table.log.back(), "pong 10");
}

TEST(Deterministic, SettleWaitAndShutdownRunWhatIsRunnable) {
  Table table(3);
  table.serve();
  EXPECT_TRUE(table.context.settle());
  EXPECT_EQ(table.log.back(), "ping 3");
  table.context.terminate(table.ping.self());
  EXPECT_TRUE(table.context.wait(table.ping.self(), std::chrono::seconds(5)));
  table.context.shutdown();  // pong terminates on this thread
}

TEST(Deterministic, SettleGivesUpOnProcessesThatNeverRest) {
  Table table(1'000'000'000);
  table.serve();
  EXPECT_FALSE(table.context.settle(std::chrono::milliseconds(200)));
  // Destruction still ends: each player terminates after what its mailbox held.
}

TEST(Deterministic, SteppingANormalContextIsAnError) {
  Context context;
  EXPECT_THROW(context.run_once(), std::logic_error);
}

}  // namespace
}  // namespace compactor
