// SPDX-License-Identifier: Apache-2.0
#pragma once
// Work that a worker postpones until the process it runs has finished its batch of events: a
// connection that handlers wrote to is flushed once, in one system call, instead of once per
// message.

#include <memory>

namespace compactor::runtime {

class DeferredFlush {
 public:
  virtual ~DeferredFlush() = default;
  // Runs on the worker once the current batch is done.
  virtual void flush() = 0;
};

// If called from a worker running a process, remembers `flush` for the end of the batch and
// returns true; otherwise returns false and the caller flushes now.
bool defer_flush(std::shared_ptr<DeferredFlush> flush);

// Marks the start of a batch on this thread (the scheduler calls it around each run; batches
// nest when a waiting process runs others meanwhile).
void begin_batch();

// Runs and forgets what defer_flush() remembered on this thread.
void end_batch();

}  // namespace compactor::runtime
