// SPDX-License-Identifier: Apache-2.0
#pragma once
// The contexts of this OS process by address, so that a message between two of them is handed
// over in memory instead of through a socket.

#include <compactor/pid.hpp>

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace compactor::runtime {

class ContextCore;

class ContextRegistry {
 public:
  static void add(const Address& address, ContextCore& context);
  static void remove(const Address& address, const ContextCore& context);

  // Calls `use(context)` for the context at `address` while it is guaranteed to stay registered;
  // false if there is none. `use` may call with() again on the same thread (link -> exited): the
  // outer call's lock already keeps every context registered, and taking a shared lock twice on
  // one thread is undefined for std::shared_mutex, so the inner call does not lock.
  template <class Use>
  static bool with(const Address& address, Use&& use) {
    auto& self = instance();
    std::shared_lock lock(self.mutex_, std::defer_lock);
    if (lock_depth_ == 0) lock.lock();
    const auto it = self.contexts_.find(address);
    if (it == self.contexts_.end()) return false;
    ++lock_depth_;
    struct Leave {
      ~Leave() { --lock_depth_; }
    } leave;
    use(*it->second);
    return true;
  }

 private:
  static ContextRegistry& instance();

  // How many with() calls this thread is inside.
  static inline thread_local int lock_depth_ = 0;

  std::shared_mutex mutex_;
  std::unordered_map<Address, ContextCore*> contexts_;
};

}  // namespace compactor::runtime
