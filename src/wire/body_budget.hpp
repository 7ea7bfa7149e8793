// SPDX-License-Identifier: Apache-2.0
#pragma once
// A bound on request body bytes buffered at once by all the decoders of a context, so that many
// connections each sending most of a large body cannot add up to unbounded memory.

#include <atomic>
#include <cstddef>

namespace compactor::wire {

// @note Thread-safe: decoders of connections on any thread share one.
class BodyBudget {
 public:
  explicit BodyBudget(std::size_t limit) : limit_(limit) {}

  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes `bytes` from the budget; false (and nothing taken) if that would exceed the limit.
  bool take(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }

  // Gives back bytes taken earlier.
  void give(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

}  // namespace compactor::wire
