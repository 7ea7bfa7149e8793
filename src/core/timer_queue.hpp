// SPDX-License-Identifier: Apache-2.0
#pragma once
// The scheduled callbacks of a Clock: a min-heap by due time, with cancellation and a record of
// the callback running now, so that cancel() can wait for it to finish.

#include <compactor/clock.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

namespace compactor::core {

class TimerQueue {
 public:
  using time_point = Clock::time_point;

  struct Due {
    time_point when;
    Clock::TimerId id;
    Clock::Callback callback;
  };

  Clock::TimerId add(time_point when, Clock::Callback callback);
  bool cancel(Clock::TimerId id);
  std::optional<time_point> next_due() const;

  // The earliest callback due at or before `limit`, marked as running on this thread; the caller
  // runs it, then calls finished().
  std::optional<Due> pop_due(time_point limit);
  // Waits, by the steady clock, for a callback to fall due, and pops it as pop_due() does;
  // nullopt once stop() was called.
  std::optional<Due> wait_due();
  void finished();
  void stop();

 private:
  struct Entry {
    time_point when;
    Clock::TimerId id;  // ids grow, so equal times keep scheduling order
    bool operator>(const Entry& other) const {
      return when != other.when ? when > other.when : id > other.id;
    }
  };

  // Drops cancelled entries from the top of the heap (not a visible change, hence const).
  void skip_cancelled() const;
  Due take_top();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable callback_done_;
  mutable std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::unordered_map<Clock::TimerId, Clock::Callback> callbacks_;  // the live ones
  Clock::TimerId next_id_ = 1;
  Clock::TimerId running_ = 0;
  std::thread::id running_on_;
  bool stopped_ = false;
};

}  // namespace compactor::core
