// SPDX-License-Identifier: Apache-2.0
// Process timers (delay, every, cancel) on a ManualClock: time moves only when the test says.

#include <compactor/context.hpp>
#include <compactor/process.hpp>

#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <string>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::Recorder;

// Sets timers when told to, and reports each firing to `report_to`.
class Ticker : public Process {
 public:
  explicit Ticker(const Process& report_to) : Process("ticker"), report_to_(report_to) {}

 protected:
  void initialize() override {
    install("once", [this](const PID&, std::string_view) {
      delay(5s, [this] { send(report_to_.self(), "fired", "once"); });
      send(report_to_.self(), "armed");
    });
    install("every", [this](const PID&, std::string_view) {
      periodic_ = every(1s, [this] { send(report_to_.self(), "fired", std::to_string(++ticks_)); });
      send(report_to_.self(), "armed");
    });
    install("cancel", [this](const PID&, std::string_view) {
      send(report_to_.self(), "cancelled", cancel(periodic_) ? "yes" : "no");
    });
  }

 private:
  const Process& report_to_;
  TimerId periodic_ = 0;
  int ticks_ = 0;
};

// A ticker and its recorder on a context whose clock the test moves.
class ProcessTimers : public ::testing::Test {
 protected:
  ProcessTimers() {
    context.spawn(recorder);
    context.spawn(ticker);
  }

  ManualClock clock;
  Recorder recorder{"recorder"};
  Ticker ticker{recorder};
  Context context{{.clock = &clock}};  // last: destroyed first, with the processes still alive
};

TEST_F(ProcessTimers, ADelayFiresOnceWhenItsTimeHasCome) {
  recorder.send(ticker.self(), "once");
  // settle(): like libprocess's Clock::settle, until nothing is runnable; no waiting on guesses.
  ASSERT_TRUE(context.settle());
  EXPECT_EQ(recorder.messages().size(), 1u);  // "armed"

  clock.advance(4999ms);
  ASSERT_TRUE(context.settle());
  EXPECT_EQ(recorder.messages().size(), 1u) << "not before its time";
  clock.advance(1ms);
  ASSERT_TRUE(context.settle());
  ASSERT_EQ(recorder.messages().size(), 2u);
  EXPECT_EQ(recorder.messages()[1].body, "once");
  clock.advance(1h);
  ASSERT_TRUE(context.settle());
  EXPECT_EQ(recorder.messages().size(), 2u) << "once only";
}

TEST_F(ProcessTimers, APeriodicTimerFiresEveryPeriodUntilCancelled) {
  recorder.send(ticker.self(), "every");
  ASSERT_TRUE(recorder.wait_messages(1));
  for (std::size_t tick = 1; tick <= 5; ++tick) {
    clock.advance(1s);  // the callback re-arms before it reports, so the next period has begun
    ASSERT_TRUE(recorder.wait_messages(1 + tick)) << tick;
    EXPECT_EQ(recorder.messages()[tick].body, std::to_string(tick));
  }
  recorder.send(ticker.self(), "cancel");
  ASSERT_TRUE(recorder.wait_messages(7));
  EXPECT_EQ(recorder.messages()[6].body, "yes");
  clock.advance(1h);
  EXPECT_FALSE(recorder.wait_messages(8, 50ms));
}

TEST_F(ProcessTimers, TerminationCancelsTimersAndOtherThreadsCannotSetThem) {
  EXPECT_THROW(ticker.delay(1s, [] {}), std::logic_error);
  recorder.send(ticker.self(), "once");
  ASSERT_TRUE(recorder.wait_messages(1));
  context.terminate(ticker.self());
  ASSERT_TRUE(context.wait(ticker.self(), 10s));
  EXPECT_FALSE(clock.next_due()) << "its timer left the clock";
  clock.advance(1h);
  EXPECT_FALSE(recorder.wait_messages(2, 50ms));
}

}  // namespace
}  // namespace compactor
