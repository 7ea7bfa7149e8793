// SPDX-License-Identifier: Apache-2.0
#pragma once
// How other threads (a worker, the clock's timer thread) hand work on a connection to the I/O
// thread. A connection must live and die on the I/O thread: one released last by another thread
// would be destroyed there, racing the network's own teardown.

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <memory>
#include <mutex>

namespace compactor::net {

class Handoff {
 public:
  explicit Handoff(asio::io_context& io) : io_(io) {}

  // Runs `work(*target)` on the I/O thread if the target still lives and the handoff is open.
  // The target is taken and posted under the lock, so once close() returned no other thread holds
  // one: what was posted runs, or is destroyed with the I/O context, by its owner.
  template <class Target, class Work>
  void post(const std::weak_ptr<Target>& target, Work work) {
    std::lock_guard lock(mutex_);
    if (!open_) return;
    auto alive = target.lock();
    if (!alive) return;
    asio::post(io_, [alive = std::move(alive), work = std::move(work)]() mutable { work(*alive); });
  }

  // Later posts are dropped: the network is shutting down.
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }

 private:
  asio::io_context& io_;
  std::mutex mutex_;  // held while posting: close() waits for a post under way
  bool open_ = true;
};

}  // namespace compactor::net
