// SPDX-License-Identifier: Apache-2.0
#include <compactor/clock.hpp>  // first: the header compiles on its own

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, RunsCallbacksInTimeOrderEachAtItsTime) {
  ManualClock clock;
  const auto start = clock.now();
  std::vector<std::pair<int, Clock::duration>> ran;
  auto record = [&](int n) { return [&, n] { ran.emplace_back(n, clock.now() - start); }; };
  clock.schedule_after(3s, record(3));
  clock.schedule_after(1s, record(1));
  clock.schedule_after(1s, record(2));  // same time: scheduling order
  clock.schedule_after(1s, [&] { clock.schedule_after(500ms, record(4)); });

  EXPECT_EQ(clock.advance(999ms), 0u);
  EXPECT_TRUE(ran.empty());
  EXPECT_EQ(clock.advance(10s), 5u);
  const std::vector<std::pair<int, Clock::duration>> expected = {
      {1, 1s}, {2, 1s}, {4, 1500ms}, {3, 3s}};
  EXPECT_EQ(ran, expected);
  EXPECT_EQ(clock.now() - start, 10999ms);
  EXPECT_FALSE(clock.next_due());
}

TEST(ManualClock, SettleRunsWhatIsDueNowAndWhatThatSchedulesForNow) {
  ManualClock clock;
  int chain = 0;
  std::function<void()> step = [&] {
    if (++chain < 5) clock.schedule(clock.now(), step);
  };
  clock.schedule(clock.now(), step);
  clock.schedule_after(1ms, [] { FAIL() << "not due yet"; });
  EXPECT_EQ(clock.settle(), 5u);
  EXPECT_EQ(chain, 5);
  EXPECT_EQ(clock.next_due(), clock.now() + 1ms);
}

TEST(ManualClock, CancelledCallbacksNeverRun) {
  ManualClock clock;
  bool ran = false;
  const auto id = clock.schedule_after(1s, [&] { ran = true; });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  clock.advance(2s);
  EXPECT_FALSE(ran);
  const auto done = clock.schedule_after(1s, [] {});
  clock.advance(1s);
  EXPECT_FALSE(clock.cancel(done)) << "already ran";
}

TEST(ManualClock, AThrowingCallbackIsLoggedAndTheRestRun) {
  ManualClock clock;
  bool later = false;
  clock.schedule_after(1s, [] { throw std::runtime_error("boom"); });
  clock.schedule_after(2s, [&] { later = true; });
  EXPECT_EQ(clock.advance(3s), 2u);
  EXPECT_TRUE(later);
}

TEST(SystemClock, RunsCallbacksOnItsThreadAndCancelWaitsForARunningOne) {
  auto& clock = Clock::system();
  std::promise<std::thread::id> fired;
  clock.schedule_after(1ms, [&] { fired.set_value(std::this_thread::get_id()); });
  auto future = fired.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(future.get() != std::this_thread::get_id());

  // A callback that runs until cancel() was called: cancel() must return after it finished.
  std::atomic<bool> started = false, cancelling = false, finished = false;
  const auto id = clock.schedule(clock.now(), [&] {
    started = true;
    while (!cancelling) std::this_thread::yield();
    finished = true;
  });
  for (int i = 0; i < 5'000'000 && !started; ++i) std::this_thread::yield();
  ASSERT_TRUE(started);
  cancelling = true;
  EXPECT_FALSE(clock.cancel(id));
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace compactor
