// SPDX-License-Identifier: Apache-2.0
#pragma once
// Back-pressure on senders: what a sending process waits for when its messages pile up in front
// of a slow peer. Like Erlang suspending a process on a busy distribution port, the process is
// not blocked inside send(); it is held after its current handler and runs again once relieved.

#include <functional>
#include <memory>

namespace compactor::runtime {

// Something sends can congest, such as an outbound connection over its high-water mark.
class Congestion {
 public:
  virtual ~Congestion() = default;
  // Calls `relieved` once the congestion is over: later from another thread, or at once on this
  // one if it is over already. Called exactly once, also when the congested thing fails.
  virtual void when_relieved(std::function<void()> relieved) = 0;
};

// Holds the process running on this thread after its current handler until `congestion` is
// relieved; its remaining events wait in its mailbox, in order. False if this thread is not
// running a process (the caller must wait some other way).
bool hold_current_process(std::shared_ptr<Congestion> congestion);

// True if this thread is running a process's handler.
bool running_a_process();

}  // namespace compactor::runtime
