// SPDX-License-Identifier: Apache-2.0
#include "runtime/context_registry.hpp"

namespace compactor::runtime {

ContextRegistry& ContextRegistry::instance() {
  static ContextRegistry registry;
  return registry;
}

void ContextRegistry::add(const Address& address, ContextCore& context) {
  auto& self = instance();
  std::unique_lock lock(self.mutex_);
  self.contexts_[address] = &context;
}

void ContextRegistry::remove(const Address& address, const ContextCore& context) {
  auto& self = instance();
  std::unique_lock lock(self.mutex_);
  const auto it = self.contexts_.find(address);
  if (it != self.contexts_.end() && it->second == &context) self.contexts_.erase(it);
}

}  // namespace compactor::runtime
