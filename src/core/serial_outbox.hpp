// SPDX-License-Identifier: Apache-2.0
#pragma once
// Outputs produced under a lock by any thread, delivered in the order produced, by one thread at
// a time, holding no lock: so that a callback may call back into its producer (what it causes is
// queued behind it) and a slow callback never blocks the producer's state.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace compactor::core {

template <class Batch>
class SerialOutbox {
 public:
  /// Queues `batch` (call it with the producer's lock held, so batches keep the producer's
  /// order); true if the caller must now drain(): no thread is delivering.
  bool queue(Batch batch) {
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(batch));
    if (delivering_on_ != std::thread::id()) return false;  // that thread delivers this too
    delivering_on_ = std::this_thread::get_id();
    return true;
  }

  /// Delivers every queued batch with `deliver`, the producer's lock released, until none is
  /// left. Only after queue() returned true.
  template <class Deliver>
  void drain(Deliver&& deliver) {
    for (;;) {
      Batch next;
      {
        std::lock_guard lock(mutex_);
        if (batches_.empty()) {
          delivering_on_ = {};
          idle_.notify_all();
          return;
        }
        next = std::move(batches_.front());
        batches_.pop_front();
      }
      deliver(next);
    }
  }

  /// Waits until no thread delivers, unless the caller is the one delivering (a callback).
  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] {
      return delivering_on_ == std::thread::id() || delivering_on_ == std::this_thread::get_id();
    });
  }

 private:
  std::mutex mutex_;  // taken after the producer's lock, never before
  std::condition_variable idle_;
  std::deque<Batch> batches_;
  std::thread::id delivering_on_;  // none: idle
};

}  // namespace compactor::core
