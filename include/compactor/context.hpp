// SPDX-License-Identifier: Apache-2.0
#pragma once
// A context: one listening ip:port plus the threads that run its processes.

#include <compactor/clock.hpp>
#include <compactor/context_options.hpp>
#include <compactor/context_stats.hpp>
#include <compactor/export.hpp>
#include <compactor/metrics.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace compactor {

namespace testing {
class MessageWatch;
}

/// Listens on one address and runs processes. Many contexts may live in one OS process, each with
/// its own port; messages between them never touch a socket.
///
/// All member functions are thread-safe. Destruction terminates every process, waits for them,
/// writes what is still queued and closes connections gracefully.
class COMPACTOR_API Context {
 public:
  /// Starts listening and the worker threads. Throws std::system_error if the address cannot be
  /// bound, std::invalid_argument for invalid options.
  explicit Context(ContextOptions options = {});
  ~Context();

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// The default context, created on first use from ContextOptions::from_environment().
  static Context& global();

  /// The address that goes into this context's PIDs.
  const Address& address() const;

  /// The options in force (with the bound port filled in).
  const ContextOptions& options() const;

  /// Runs `process` here; the caller keeps ownership and must keep it alive until it terminated
  /// (see wait). Throws std::invalid_argument if the id is taken or the process was spawned before.
  ///
  /// initialize() runs on a worker after spawn returns, but before anything else reaches the
  /// process: messages and HTTP requests that arrive in the meantime wait behind it, so the
  /// handlers and routes it installs answer from the first message on (libprocess answers 404
  /// until its initialize has run). Listings that read the process from outside (/help,
  /// /__processes__) show it as it is at that moment; settle() waits until initialize has run.
  PID spawn(Process& process);

  /// Runs `process` here; the context owns it and deletes it after it terminated.
  PID spawn(std::unique_ptr<Process> process);

  /// Asks the local process `pid` to terminate after what is already in its mailbox.
  void terminate(const PID& pid);

  /// Blocks until the local process `pid` terminated (true) or the timeout passed (false).
  /// Called from a process of this context (a Supervisor stopping a child), its thread runs the
  /// other runnable processes meanwhile, so one worker is enough. Do not call it on the calling
  /// process itself.
  bool wait(const PID& pid, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Sends a message from outside any process; the receiver sees `from` as the sender. Waits
  /// while the remote peer's queue is over its high-water mark, and throws std::runtime_error
  /// after send_timeout (see Process::send).
  void send(const PID& from, const PID& to, std::string_view name, std::string_view body = {});

  /// For tests, like libprocess's Clock::settle: runs what is due on a ManualClock and waits
  /// until every process of this context is idle, repeatedly, until nothing is runnable. False if
  /// that did not happen within `timeout` (a process that keeps itself busy).
  bool settle(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// With ContextOptions::deterministic: runs the next runnable process's batch of events on
  /// this thread. False if no process was runnable. Throws std::logic_error otherwise.
  bool run_once();
  /// With ContextOptions::deterministic: runs processes until none is runnable, or `max_steps`
  /// batches ran (two processes that keep answering each other never stop by themselves).
  /// Returns the number of batches run.
  std::size_t run(std::size_t max_steps = std::numeric_limits<std::size_t>::max());

  /// A snapshot of the counters.
  ContextStats stats() const;
  /// The metrics of this context: register your own (or with Process::add_metric); its snapshot
  /// also holds the context's own, under "compactor/" and "system/" (docs/operating.md).
  metrics::Registry& metrics();

  /// How the open connection to the remote context at `peer` is protected: "TLSv1.2 AES128-SHA"
  /// (protocol and cipher) or "plaintext"; nothing while none is open.
  std::optional<std::string> connection_security(const Address& peer) const;

  /// Terminates every process and closes connections gracefully; the destructor calls it.
  void shutdown();

 private:
  friend class testing::MessageWatch;
  // An event about to enter a mailbox, as testing::MessageWatch sees it: a message (name set) or
  // an exited(pid) (exited set).
  struct MailboxEntry {
    const PID& to;
    const PID* from = nullptr;
    std::string_view name{};
    std::string_view body{};
    const PID* exited = nullptr;
  };
  // Sees every message and exited before it enters a mailbox of this context; false drops it.
  // One at a time; null removes it.
  void inspect_mailboxes(std::function<bool(const MailboxEntry&)> inspector);

  std::unique_ptr<runtime::ContextCore> core_;
};

/// Spawns on the global context.
COMPACTOR_API PID spawn(std::unique_ptr<Process> process);
COMPACTOR_API PID spawn(Process& process);
COMPACTOR_API void terminate(const PID& pid);
COMPACTOR_API bool wait(const PID& pid,
                        std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace compactor
