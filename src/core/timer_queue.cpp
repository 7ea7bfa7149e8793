// SPDX-License-Identifier: Apache-2.0
#include "core/timer_queue.hpp"

namespace compactor::core {

Clock::TimerId TimerQueue::add(time_point when, Clock::Callback callback) {
  Clock::TimerId id;
  bool earliest;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    callbacks_.emplace(id, std::move(callback));
    earliest = heap_.empty() || when < heap_.top().when;
    heap_.push({when, id});
  }
  if (earliest) changed_.notify_all();
  return id;
}

bool TimerQueue::cancel(Clock::TimerId id) {
  std::unique_lock lock(mutex_);
  if (callbacks_.erase(id) > 0) return true;  // its heap entry is skipped when it surfaces
  if (running_on_ != std::this_thread::get_id()) {
    callback_done_.wait(lock, [&] { return running_ != id; });
  }
  return false;
}

std::optional<TimerQueue::time_point> TimerQueue::next_due() const {
  std::lock_guard lock(mutex_);
  skip_cancelled();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().when;
}

std::optional<TimerQueue::Due> TimerQueue::pop_due(time_point limit) {
  std::lock_guard lock(mutex_);
  skip_cancelled();
  if (heap_.empty() || heap_.top().when > limit) return std::nullopt;
  return take_top();
}

std::optional<TimerQueue::Due> TimerQueue::wait_due() {
  std::unique_lock lock(mutex_);
  for (;;) {
    skip_cancelled();
    if (stopped_) return std::nullopt;
    if (heap_.empty()) {
      changed_.wait(lock);
    } else if (const auto when = heap_.top().when; when > std::chrono::steady_clock::now()) {
      changed_.wait_until(lock, when);
    } else {
      return take_top();
    }
  }
}

void TimerQueue::finished() {
  {
    std::lock_guard lock(mutex_);
    running_ = 0;
    running_on_ = {};
  }
  callback_done_.notify_all();
}

void TimerQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
}

void TimerQueue::skip_cancelled() const {
  while (!heap_.empty() && !callbacks_.contains(heap_.top().id)) heap_.pop();
}

TimerQueue::Due TimerQueue::take_top() {
  const Entry entry = heap_.top();
  heap_.pop();
  auto found = callbacks_.find(entry.id);
  Due due{entry.when, entry.id, std::move(found->second)};
  callbacks_.erase(found);
  running_ = entry.id;
  running_on_ = std::this_thread::get_id();
  return due;
}

}  // namespace compactor::core
