// SPDX-License-Identifier: Apache-2.0
#include "runtime/deferred_flush.hpp"

#include <vector>

namespace compactor::runtime {
namespace {

struct BatchState {
  bool active = false;
  std::vector<std::shared_ptr<DeferredFlush>> pending;
};
thread_local BatchState tls_batch;

}  // namespace

bool defer_flush(std::shared_ptr<DeferredFlush> flush) {
  if (!tls_batch.active) return false;
  tls_batch.pending.push_back(std::move(flush));
  return true;
}

void begin_batch() { tls_batch.active = true; }

void end_batch() {
  tls_batch.active = false;
  // A flush may not defer again (the batch is over), so this loop sees each entry once.
  for (auto& flush : tls_batch.pending) flush->flush();
  tls_batch.pending.clear();
}

}  // namespace compactor::runtime
