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

TEST(Deterministic, NothingRunsUntilTheTestSteps) {
  std::vector<std::string> log;
  Player ping("ping", log, 4);
  Player pong("pong", log, 4);
  Context context(deterministic());
  context.spawn(ping);
  context.spawn(pong);
  EXPECT_TRUE(log.empty());  // initialize waits for a step, too
  ASSERT_TRUE(context.run_once());
  EXPECT_EQ(log, std::vector<std::string>{"ping initialize"});
  ASSERT_TRUE(context.run_once());
  context.send(pong.self(), ping.self(), "ball", "1");
  EXPECT_EQ(log.size(), 2U);
  EXPECT_EQ(context.run(), 4U);  // ping 1, pong 2, ping 3, pong 4: one step each
  EXPECT_FALSE(context.run_once());
  const std::vector<std::string> expected{"ping initialize", "pong initialize", "ping 1",
                                          "pong 2",          "ping 3",          "pong 4"};
  EXPECT_EQ(log, expected);
  for (const auto id : ping.threads) EXPECT_EQ(id, std::this_thread::get_id());
  for (const auto id : pong.threads) EXPECT_EQ(id, std::this_thread::get_id());
}

TEST(Deterministic, RunStopsAfterMaxStepsForProcessesThatNeverRest) {
  std::vector<std::string> log;
  Player ping("ping", log, 1'000'000);
  Player pong("pong", log, 1'000'000);
  Context context(deterministic());
  context.spawn(ping);
  context.spawn(pong);
  context.run();
  context.send(pong.self(), ping.self(), "ball", "1");
  EXPECT_EQ(context.run(10), 10U);
  EXPECT_EQ(log.back(), "pong 10");
}

TEST(Deterministic, SettleWaitAndShutdownRunWhatIsRunnable) {
  std::vector<std::string> log;
  Player ping("ping", log, 3);
  Player pong("pong", log, 3);
  Context context(deterministic());
  context.spawn(ping);
  context.spawn(pong);
  context.send(pong.self(), ping.self(), "ball", "1");
  EXPECT_TRUE(context.settle());
  EXPECT_EQ(log.back(), "ping 3");
  context.terminate(ping.self());
  EXPECT_TRUE(context.wait(ping.self(), std::chrono::seconds(5)));
  context.shutdown();  // pong terminates on this thread
}

TEST(Deterministic, SteppingANormalContextIsAnError) {
  Context context;
  EXPECT_THROW(context.run_once(), std::logic_error);
}

}  // namespace
}  // namespace compactor
