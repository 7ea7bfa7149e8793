// SPDX-License-Identifier: Apache-2.0
#pragma once
// The contexts of this OS process by address, so that a message between two of them is handed
// over in memory instead of through a socket.

#include <compactor/pid.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace compactor::runtime {

class ContextCore;

class ContextRegistry {
 public:
  static void add(const Address& address, ContextCore& context);
  // Unregisters `context`, then waits until no with() call still uses it.
  static void remove(const Address& address, const ContextCore& context);

  // Calls `use(context)` for the context at `address`, which stays registered and alive until
  // `use` returns; false if there is none. No lock is held while `use` runs: it may wait (a
  // sender held for room) without stalling other contexts, and it may call with() again.
  template <class Use>
  static bool with(const Address& address, Use&& use) {
    const Pin pin = instance().pin(address);
    if (!pin) return false;
    use(*pin.context);
    return true;
  }
  // True if `context` is the only context of this OS process: its messages to other addresses
  // all go through sockets, without the look-up (and the lock) of with().
  static bool is_sole(const ContextCore& context) {
    return instance().sole_.load(std::memory_order_acquire) == &context;
  }
  // Calls `use(context)` for every context, as with() does for one.
  template <class Use>
  static void for_each(Use&& use) {
    for (const auto& address : instance().addresses()) with(address, use);
  }

 private:
  struct Entry {
    ContextCore* context = nullptr;
    std::atomic<int> users{0};  // with() calls using it now
    bool leaving = false;       // remove() waits for the users; no new one finds it
  };
  // A context in use by a with() call. Entries stay where they are (map nodes do not move)
  // until remove() saw their users leave.
  struct Pin {
    ContextCore* context = nullptr;
    std::atomic<int>* users = nullptr;
    Pin() = default;
    explicit Pin(Entry& entry);
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    ~Pin();
    explicit operator bool() const { return context != nullptr; }
  };

  static ContextRegistry& instance();
  Pin pin(const Address& address);
  std::vector<Address> addresses();

  // After add() and remove(), under mutex_.
  void note_sole();

  std::mutex mutex_;  // held only to look up, add or remove: never while a context is used
  std::unordered_map<Address, Entry> contexts_;
  // The one context registered, if there is exactly one; else null.
  std::atomic<const ContextCore*> sole_{nullptr};
};

}  // namespace compactor::runtime
