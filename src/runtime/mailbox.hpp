#pragma once
// A process's queue of events: many producers, one consumer at a time.

#include "runtime/event.hpp"
#include "runtime/spin_lock.hpp"

#include <mutex>
#include <vector>

namespace compactor::runtime {

// push() may be called from any thread. take_all() is called only by the worker running the
// process, which swaps the whole queue out so that producers and the consumer contend once per
// batch, not once per event.
class Mailbox {
 public:
  void push(Event&& event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }

  // Moves every queued event into `batch`, which must be empty; keeps batch's old capacity.
  void take_all(std::vector<Event>& batch) {
    std::lock_guard lock(mutex_);
    batch.swap(events_);
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return events_.empty();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  mutable SpinLock mutex_;
  std::vector<Event> events_;
};

}  // namespace compactor::runtime
