// SPDX-License-Identifier: Apache-2.0
#include "runtime/context_registry.hpp"

namespace compactor::runtime {

ContextRegistry& ContextRegistry::instance() {
  static ContextRegistry registry;
  return registry;
}

ContextRegistry::Pin::Pin(Entry& entry) : context(entry.context), users(&entry.users) {
  users->fetch_add(1, std::memory_order_acquire);
}

ContextRegistry::Pin::~Pin() {
  if (users != nullptr && users->fetch_sub(1, std::memory_order_release) == 1) {
    users->notify_all();
  }
}

ContextRegistry::Pin ContextRegistry::pin(const Address& address) {
  std::lock_guard lock(mutex_);
  const auto it = contexts_.find(address);
  if (it == contexts_.end() || it->second.leaving) return {};
  return Pin(it->second);
}

std::vector<Address> ContextRegistry::addresses() {
  std::lock_guard lock(mutex_);
  std::vector<Address> all;
  all.reserve(contexts_.size());
  for (const auto& [address, entry] : contexts_) all.push_back(address);
  return all;
}

void ContextRegistry::add(const Address& address, ContextCore& context) {
  auto& self = instance();
  std::lock_guard lock(self.mutex_);
  auto& entry = self.contexts_[address];
  entry.context = &context;
  entry.leaving = false;
  self.note_sole();
}

void ContextRegistry::note_sole() {
  sole_.store(contexts_.size() == 1 ? contexts_.begin()->second.context : nullptr,
              std::memory_order_release);
}

void ContextRegistry::remove(const Address& address, const ContextCore& context) {
  auto& self = instance();
  std::atomic<int>* users = nullptr;
  {
    std::lock_guard lock(self.mutex_);
    const auto it = self.contexts_.find(address);
    if (it == self.contexts_.end() || it->second.context != &context) return;
    it->second.leaving = true;
    users = &it->second.users;
    self.sole_.store(nullptr, std::memory_order_release);  // no longer usable, not yet erased
  }
  // Those already inside with() finish first: the context must outlive them. Its processes
  // have terminated, so none of them waits for room any more.
  for (int n = users->load(std::memory_order_acquire); n != 0;
       n = users->load(std::memory_order_acquire)) {
    users->wait(n, std::memory_order_acquire);
  }
  std::lock_guard lock(self.mutex_);
  const auto it = self.contexts_.find(address);
  if (it != self.contexts_.end() && it->second.context == &context) self.contexts_.erase(it);
  self.note_sole();
}

}  // namespace compactor::runtime
