// SPDX-License-Identifier: Apache-2.0
#pragma once
// The runtime of one context: its processes, its scheduler, and where each message goes.

#include "runtime/event.hpp"
#include "runtime/peer_log.hpp"
#include "runtime/process_table.hpp"
#include "runtime/replies.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/stats.hpp"
#include "runtime/transport.hpp"

#include <compactor/context.hpp>
#include <compactor/http.hpp>
#include <compactor/metrics.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>

namespace compactor::runtime {

// @note Thread-safe. The public Context, the processes, the workers and the network threads all
// call into it.
class ContextCore {
 public:
  explicit ContextCore(ContextOptions options);
  ~ContextCore();

  ContextCore(const ContextCore&) = delete;
  ContextCore& operator=(const ContextCore&) = delete;

  // Completes start-up once the network listens on `bound`: fixes the advertised address and
  // makes this context reachable in memory from the others of this OS process.
  void start(const Address& bound, std::unique_ptr<RemoteTransport> transport);

  const Address& address() const { return address_; }
  const ContextOptions& options() const { return options_; }
  Clock& clock() const { return options_.clock ? *options_.clock : Clock::system(); }
  Scheduler& scheduler() { return scheduler_; }
  StatsCounters& counters() { return counters_; }
  metrics::Registry& metrics() { return metrics_; }
  // Where every line a remote peer can cause is written, rate-limited.
  PeerLog& peer_log() { return peer_log_; }
  // Traffic by peer, for the metrics (PeerSeries).
  std::vector<core::PeerTraffic> traffic() const {
    return transport_ ? transport_->traffic() : std::vector<core::PeerTraffic>{};
  }
  // Every open connection (/__status__).
  std::vector<core::ConnectionStats> connections() const {
    return transport_ ? transport_->connections() : std::vector<core::ConnectionStats>{};
  }

  // The context's own endpoints (/metrics, /__processes__, ...): the composition root installs
  // their lookup (src/ops) before the network starts, and the network asks it for each path, so
  // that the network needs nothing of ops.
  using BuiltinEndpoint = void (*)(ContextCore& core, const http::Request& request,
                                   http::Responder respond);
  using BuiltinEndpoints = BuiltinEndpoint (*)(std::string_view path);
  void set_builtin_endpoints(BuiltinEndpoints lookup) { builtin_endpoints_ = lookup; }
  // The endpoint at `path`, or null.
  BuiltinEndpoint builtin_endpoint(std::string_view path) const {
    return builtin_endpoints_ ? builtin_endpoints_(path) : nullptr;
  }

  // True if `address` names this context (its advertised or bound address).
  bool is_local(const Address& address) const;

  PID spawn(Process& process, std::unique_ptr<Process> owned);
  void terminate(const PID& pid);
  bool wait(const PID& pid, std::optional<std::chrono::milliseconds> timeout);

  // Routes a message: a local mailbox, another context of this OS process, or the network.
  void send(const PID& from, const PID& to, std::string_view name, std::string_view body);

  // Links `linker` (a process of this context) to `target`, wherever it is.
  void link(const PID& linker, const PID& target);
  // See Context::connection_security.
  std::optional<std::string> connection_security(const Address& peer) const {
    return transport_ ? transport_->connection_security(peer) : std::nullopt;
  }

  // Puts a message into the mailbox of the local process `receiver`. Returns false (and counts a
  // drop) if there is no such process.
  // `congested`, if given, is set to the receiver when its mailbox is now over its high-water
  // mark (the network then pauses the connection until ProcessRecord::pause_reader resumes it).
  bool deliver_message(std::string_view receiver, const PID& from, std::string&& name,
                       std::string&& body, std::shared_ptr<ProcessRecord>* congested = nullptr);

  // See Process::ask.
  Future<Message> ask(const PID& to, std::string_view name, std::string_view body,
                      Clock::duration timeout);
  // The asks in flight to `pid` end with PeerExited: it terminated (in any context of this OS
  // process, so each one is told).
  void fail_asks_to(const PID& pid) { replies_->peer_exited(pid, "it terminated"); }
  // The connection to the context at `address` broke or could not be made (`reason`): the asks
  // in flight to it end with PeerExited.
  void connection_failed(const Address& address, std::string_view reason) {
    replies_->peer_exited(address, reason);
  }

  // Queues a typed call (dispatch) on the local process `receiver`; false if there is none.
  bool deliver_call(std::string_view receiver, std::function<void(Process&)> call);

  // Hands an HTTP request to the local process `receiver`'s routes; false if there is none.
  // `congested` as for deliver.
  bool deliver_http(std::string_view receiver, http::Request request, http::Responder respond,
                    std::shared_ptr<ProcessRecord>* congested = nullptr);

  // Sees every event before it enters a mailbox of this context; returns false to drop it. For
  // test helpers (compactor::testing::MessageWatch); null removes it.
  using Inspector = std::function<bool(const PID& to, const Event& event)>;
  void set_inspector(Inspector inspector);
  bool inspecting() const { return inspecting_.load(std::memory_order_relaxed); }
  // True to keep `event` for `to`. Costs one relaxed load when no inspector is set.
  bool inspect(const PID& to, const Event& event) {
    if (!inspecting()) return true;
    std::shared_lock lock(inspector_mutex_);
    return !inspector_ || inspector_(to, event);
  }

  // Every live process of this context.
  std::vector<std::shared_ptr<ProcessRecord>> processes() const { return table_.all(); }

  // Tells `linker` that `pid` exited (why, if known), if the linker lives in this OS process.
  void deliver_exited(const PID& linker, const PID& pid,
                      const ExitReason& reason = {ExitReason::Kind::lost});

  // A local process is terminating: its metrics (Process::add_metric) leave the registry.
  void withdraw_metrics(const Process& process);
  // A local process terminated: it is no longer found by id.
  void forget(const ProcessRecord& record);

  // Counts messages dropped somewhere in this context, and why.
  void count_dropped(DropReason reason, std::size_t n = 1) {
    StatsCounters::add(counters_.messages_dropped, n);
    StatsCounters::add(counters_.dropped_by_reason[static_cast<std::size_t>(reason)], n);
  }
  // Counts messages for a remote context that were dropped before being written.
  void count_unsent(std::size_t n) {
    count_dropped(DropReason::unsent, n);
    StatsCounters::add(counters_.messages_unsent, n);
  }

  // Terminates every process, closes the network gracefully and stops the workers. Idempotent.
  void shutdown();

 private:
  void link_local(const PID& linker, const PID& target);
  // The sender of an ask's request, __req_res__(N) of this context: made a PID only for a
  // request that stays in memory; on the wire its text is written on the stack (no allocation).
  struct AskSender {
    std::uint64_t number;
  };
  static const PID& sender_pid(const PID& from) { return from; }
  PID sender_pid(AskSender from) const;
  // The part of send_if for a remote receiver: `from`'s text, made without an allocation where
  // it can be.
  void send_remote(const PID& from, const PID& to, std::string_view name, std::string_view body);
  void send_remote(AskSender from, const PID& to, std::string_view name, std::string_view body);
  // As send(); with `only_to_running`, sends nothing and returns false when `to` is a process of
  // this OS process that does not run (an ask's target: the ask fails at once). `from` is a
  // const PID& or an AskSender.
  template <class From>
  bool send_if(From&& from, const PID& to, std::string_view name, std::string_view body,
               bool only_to_running);
  // A message for an ask's id completes that ask (true) or is a late reply, counted and dropped
  // (false); none for a message to anyone else. Asked first: no process has such an id.
  std::optional<bool> answer_ask(std::string_view receiver, Event& message);
  // As deliver, for a message from a local sender (a process or thread of this OS process):
  // under the mailbox_limit and its overflow policy (see ContextOptions). Built in the
  // receiver's mailbox from its parts when nothing needs to see it whole first.
  template <class From>
  bool deliver_from_sender(std::string_view receiver, From&& from, std::string_view name,
                           std::string_view body);
  bool admit_from_sender(std::string_view receiver, Event&& message);
  // deliver_message's and deliver_from_sender's way: the message is built in the receiver's
  // mailbox from its parts (MessageEvent's constructor arguments), whole only where something
  // must see it first (the table of asks, an inspector, a drop's log line).
  template <class... Parts>
  bool deliver(std::string_view receiver, std::shared_ptr<ProcessRecord>* congested,
               Parts&&... parts);
  // Counts and logs a message that finds no receiver; false.
  bool drop_for_unknown(std::string_view receiver, Event& message);
  bool drop_for_terminated(std::string_view receiver);

  // The local process `id`, or null; `holder` keeps it alive when it came from the table rather
  // than from the sending process's cache.
  ProcessRecord* find_receiver(std::string_view id, std::shared_ptr<ProcessRecord>& holder);

  ContextOptions options_;
  Address bound_;
  Address address_;
  std::string at_address_;  // "@" and address_ as text: the tail of its processes' PID texts
  bool bound_to_any_ = false;
  StatsCounters counters_;
  metrics::Registry metrics_;
  PeerLog peer_log_{clock()};
  std::shared_ptr<Replies> replies_ =
      std::make_shared<Replies>(clock(), options_.max_asks_in_flight);  // timers hold it weakly
  std::atomic<bool> inspecting_{false};
  BuiltinEndpoints builtin_endpoints_ = nullptr;
  std::shared_mutex inspector_mutex_;
  Inspector inspector_;
  ProcessTable table_;
  Scheduler scheduler_;
  std::unique_ptr<RemoteTransport> transport_;
  std::atomic<bool> stopping_{false};
  std::mutex shutdown_mutex_;
  bool shut_down_ = false;
};

}  // namespace compactor::runtime
