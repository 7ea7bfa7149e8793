// SPDX-License-Identifier: Apache-2.0
#include "runtime/deferred_flush.hpp"

#include <vector>

namespace compactor::runtime {
namespace {

struct BatchState {
  // Batches nest when a process waits for another and this thread runs it meanwhile.
  unsigned depth = 0;
  std::vector<std::shared_ptr<DeferredFlush>> pending;
};
thread_local BatchState tls_batch;

}  // namespace

bool defer_flush(std::shared_ptr<DeferredFlush> flush) {
  if (tls_batch.depth == 0) return false;
  tls_batch.pending.push_back(std::move(flush));
  return true;
}

void begin_batch() { ++tls_batch.depth; }

void end_batch() {
  // Flushed with the innermost batch too: what the outer one deferred goes out a little early.
  // A flush does not defer again (no batch is active meanwhile), so the loop sees each entry once.
  const unsigned depth = tls_batch.depth;
  tls_batch.depth = 0;
  for (auto& flush : tls_batch.pending) flush->flush();
  tls_batch.pending.clear();
  tls_batch.depth = depth - 1;
}

}  // namespace compactor::runtime
