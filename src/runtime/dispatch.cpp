// SPDX-License-Identifier: Apache-2.0
#include <compactor/dispatch.hpp>

#include "runtime/context_core.hpp"
#include "runtime/context_registry.hpp"

namespace compactor::detail {

bool deliver_call(const PID& pid, std::function<void(Process&)> call) {
  bool delivered = false;
  runtime::ContextRegistry::with(pid.address, [&](runtime::ContextCore& context) {
    delivered = context.deliver_call(pid.id, std::move(call));
  });
  return delivered;
}

}  // namespace compactor::detail
