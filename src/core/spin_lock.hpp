// SPDX-License-Identifier: Apache-2.0
#pragma once
// A lock for critical sections of a few instructions (a mailbox push or swap), where sleeping in
// the kernel on contention costs far more than waiting for the holder to finish.

#include <atomic>
#include <thread>

namespace compactor::core {

// Tells the CPU this is a spin-wait loop (saves power, frees the sibling hyper-thread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Meets the Lockable requirements, so std::lock_guard works with it.
class SpinLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        // The holder may have been preempted: after a while, let it run.
        if (++spins > 64) {
          std::this_thread::yield();
        } else {
          cpu_relax();
        }
      }
    }
  }

  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }

  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace compactor::core
