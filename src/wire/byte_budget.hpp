// SPDX-License-Identifier: Apache-2.0
#pragma once
// A bound on bytes buffered at once by all the connections of a context (request bodies being
// decoded, answers not yet taken by their readers), so that many connections each holding a
// little cannot add up to unbounded memory.

#include "util/cache_line.hpp"

#include <atomic>
#include <cstddef>

namespace compactor::wire {

// @note Thread-safe: connections on any thread share one.
class ByteBudget {
 public:
  explicit ByteBudget(std::size_t limit) : limit_(limit) {}

  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  // Takes `bytes` from the budget; false (and nothing taken) if that would exceed the limit.
  bool take(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }

  // Takes `bytes` that are held already, over the limit or not (an answer that was made).
  void charge(std::size_t bytes) { used_.fetch_add(bytes, std::memory_order_relaxed); }

  // Gives back bytes taken or charged earlier.
  void give(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }
  bool over() const { return used() > limit_; }

 private:
  const std::size_t limit_;
  // Taken and given for every request: on a line of its own, apart from what other threads
  // write as often (the budget is a member of a larger object).
  alignas(util::kCacheLine) std::atomic<std::size_t> used_{0};
};

}  // namespace compactor::wire
