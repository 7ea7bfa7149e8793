// SPDX-License-Identifier: Apache-2.0
#include <compactor/clock.hpp>

#include "core/logging.hpp"
#include "core/timer_queue.hpp"

#include <atomic>
#include <exception>

namespace compactor {
namespace {

// Runs a callback; an exception escaping it is logged, not allowed to kill the clock's thread.
void run_callback(const Clock::Callback& callback) {
  try {
    callback();
  } catch (const std::exception& error) {
    core::log().error("timer callback threw: {}", error.what());
  } catch (...) {
    core::log().error("timer callback threw a non-exception");
  }
}

class SystemClock final : public Clock {
 public:
  SystemClock() : thread_([this] { run(); }) {}
  ~SystemClock() override {
    queue_.stop();
    thread_.join();
  }

  time_point now() const override { return std::chrono::steady_clock::now(); }
  TimerId schedule(time_point when, Callback callback) override {
    return queue_.add(when, std::move(callback));
  }
  bool cancel(TimerId id) override { return queue_.cancel(id); }

 private:
  void run() {
    while (auto due = queue_.wait_due()) {
      run_callback(due->callback);
      queue_.finished();
    }
  }

  core::TimerQueue queue_;
  std::thread thread_;
};

}  // namespace

Clock& Clock::system() {
  static SystemClock clock;
  return clock;
}

class ManualClock::Queue : public core::TimerQueue {
 public:
  std::atomic<time_point::rep> now{
      std::chrono::duration_cast<duration>(std::chrono::hours(1000)).count()};
};

ManualClock::ManualClock() : queue_(std::make_unique<Queue>()) {}
ManualClock::~ManualClock() = default;

ManualClock::time_point ManualClock::now() const {
  return time_point(duration(queue_->now.load()));
}

ManualClock::TimerId ManualClock::schedule(time_point when, Callback callback) {
  return queue_->add(when, std::move(callback));
}

bool ManualClock::cancel(TimerId id) { return queue_->cancel(id); }

std::size_t ManualClock::advance(duration by) { return advance_to(now() + by); }

std::size_t ManualClock::advance_to(time_point until) {
  std::size_t ran = 0;
  while (auto due = queue_->pop_due(until)) {
    if (due->when > now()) queue_->now = due->when.time_since_epoch().count();
    run_callback(due->callback);
    queue_->finished();
    ++ran;
  }
  if (until > now()) queue_->now = until.time_since_epoch().count();
  return ran;
}

std::size_t ManualClock::settle() { return advance_to(now()); }

std::optional<ManualClock::time_point> ManualClock::next_due() const { return queue_->next_due(); }

}  // namespace compactor
