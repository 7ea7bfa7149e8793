// SPDX-License-Identifier: Apache-2.0
#pragma once
// Waits on a condition that another thread makes true, with a bound: the one way tests wait.

#include <chrono>
#include <functional>
#include <thread>

namespace compactor::testing {

// Polls `done` until it holds (true) or `timeout` passed (false, after a last look).
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace compactor::testing
