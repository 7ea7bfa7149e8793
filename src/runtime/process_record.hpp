// SPDX-License-Identifier: Apache-2.0
#pragma once
// The runtime's side of a spawned process: mailbox, scheduling state, linkers, termination.

#include "runtime/congestion.hpp"
#include "runtime/mailbox.hpp"

#include <compactor/process.hpp>

#include <exception>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace compactor::runtime {

class ContextCore;

// Whether a task's step runs on this thread (detail::running_task_step), for a scope: set by
// Process::resume_task, cleared while another process's batch runs inside it. A step's asks are
// answered through its process's mailbox (ReplyEvent), where the step waits.
class TaskStepScope {
 public:
  explicit TaskStepScope(bool running)
      : was_(std::exchange(detail::running_task_step(), running)) {}
  ~TaskStepScope() { detail::running_task_step() = was_; }
  TaskStepScope(const TaskStepScope&) = delete;
  TaskStepScope& operator=(const TaskStepScope&) = delete;

 private:
  const bool was_;
};

// @note enqueue(), add_linker() and wait() are thread-safe. run() is called by the scheduler only,
// and never on two threads at once: the `scheduled_` flag admits one runner.
class ProcessRecord : public std::enable_shared_from_this<ProcessRecord> {
 public:
  ProcessRecord(Process& process, std::unique_ptr<Process> owned, ContextCore& context);
  ~ProcessRecord();

  const PID& pid() const { return pid_; }
  const Process& process() const { return process_; }
  const std::string& pid_text() const { return pid_text_; }

  // Queues `event` and schedules the process if it was idle. Returns false, dropping the event,
  // once the process has terminated. `congested`, if given, is set to whether the mailbox is now
  // over its high-water mark.
  bool enqueue(Event&& event, bool* congested = nullptr);
  // As enqueue, for an event of type E built in the mailbox itself from E's constructor
  // arguments rather than moved there: a fifth of a local send's instructions. (Built first
  // where an inspector must see it.)
  template <class E, class... Args>
  bool enqueue_in_place(bool* congested, Args&&... args) {
    if (inspected()) {
      return enqueue(Event(std::in_place_type<E>, std::forward<Args>(args)...), congested);
    }
    return emplace(congested, std::in_place_type<E>, std::forward<Args>(args)...);
  }

  // What became of a message from a local sender.
  enum class Admission { queued, full, terminated };
  // Queues a message from a local sender under the context's mailbox_limit and its overflow
  // policy: `full` (not queued, `message` left as it was) with drop_newest; with hold_sender the
  // sending process is held after its handler, and a sending thread that is not a process waits for
  // room here, then throws std::runtime_error after send_timeout.
  Admission admit(Event&& message);

  // Flow control of remote senders: calls `resume` once the process takes its queued events or
  // terminates (on its worker), or at once on this thread if the mailbox is no longer over its
  // mark.
  void pause_reader(std::function<void()> resume);
  // The same for a local sender waiting for a full mailbox (mailbox_limit) to have room.
  void when_room(std::function<void()> relieved);

  // Puts InitializeEvent first in the mailbox without scheduling (before the process is findable).
  void queue_initialize();

  // Schedules the process unless it is scheduled already (spawn, once it is findable).
  void schedule();

  // Runs the events queued now, then reschedules itself if more arrived.
  void run();

  // Registers `linker` to get exited(pid()) on termination; false if it already terminated.
  bool add_linker(const PID& linker);

  // Blocks until the process terminated or the timeout passed.
  bool wait(std::optional<std::chrono::milliseconds> timeout);

  bool terminated() const { return terminated_.load(std::memory_order_acquire); }

  // Events queued and not yet run, and the bytes they hold.
  std::size_t queued() const { return mailbox_.size(); }
  std::size_t queued_bytes() const { return mailbox_.bytes(); }
  // Calls `visit` on each queued event, oldest first, up to `limit` of them, under the mailbox's
  // lock (for /__processes__: `visit` must be quick). Returns how many there are in all.
  std::size_t inspect_queue(std::size_t limit,
                            const std::function<void(const Event&)>& visit) const {
    return mailbox_.inspect(limit, visit);
  }
  // Events handled so far, and the time spent handling them (ContextOptions::runtime_metrics).
  std::uint64_t handled() const { return handled_.load(std::memory_order_relaxed); }
  std::chrono::nanoseconds busy() const {
    return std::chrono::nanoseconds(busy_ns_.load(std::memory_order_relaxed));
  }
  // Processes linked to this one.
  std::size_t linker_count();

  // Nothing queued and not running.
  bool idle() const { return !scheduled_.load(std::memory_order_acquire) && mailbox_.empty(); }

  ContextCore& context() const { return context_; }

  // The process whose events this thread is running, or null.
  static ProcessRecord* current();

  // An exception escaped the process's code (`where`: "handler", "task"): reported, and under
  // OnException::terminate remembered, so that the process terminates after the current event.
  // On the thread running the process.
  void escaped(std::string_view where, std::exception_ptr error);

  // Holds this process after its current handler until `congestion` is relieved (called by
  // hold_current_process on the thread running it).
  void hold(std::shared_ptr<Congestion> congestion);

  // Keeps, once, a step of this process woken by the reply it is handling (a ReplyEvent): it
  // runs in that event, once the future's completion has returned (its promise gone, the step
  // moves the reply out instead of copying it), instead of through one more event. Any other
  // step goes through the mailbox: steps never nest. False if not kept. On the thread running
  // the process; `step.process` is the step's (a record that ended, even if this one took its
  // address, never matches).
  bool keep_reply_step(const detail::AwaitingStep& step) {
    if (!keeping_reply_step_) return false;
    // The same owner as this record's own handle: no atomic operation, and a record that ended
    // keeps its control block while `step` holds it, so no other record can share it.
    if (self_.expired()) self_ = weak_from_this();
    if (step.process.owner_before(self_) || self_.owner_before(step.process)) return false;
    keeping_reply_step_ = false;
    reply_step_ = KeptStep{step.step, step.root};
    return true;
  }
  Process& process() { return process_; }
  // Events waiting in the mailbox (any thread).
  std::size_t queued_events() const { return mailbox_.size(); }
  // A batch run on an I/O thread (run_on_io_thread) that took `took`: from kIoThreadStall on,
  // counted (io_thread_stalls) and logged, rate-limited.
  static constexpr std::chrono::milliseconds kIoThreadStall{10};
  void ran_on_io_thread(std::chrono::steady_clock::duration took);

  // The local process this one sent to last, so that a conversation skips the process table.
  // Touched only by the thread running this process.
  std::shared_ptr<ProcessRecord>& last_receiver() { return last_receiver_; }

 private:
  bool inspected() const;   // an inspector is set (ContextCore::inspect)
  template <class... Args>  // an Event's constructor arguments
  bool emplace(bool* congested, Args&&... args) {
    if (terminated()) {
      Event dropped(std::forward<Args>(args)...);  // as the caller's would be (a reply completes)
      return false;
    }
    const bool over = mailbox_.emplace(std::forward<Args>(args)...);
    if (congested != nullptr) *congested = over;
    schedule();
    return true;
  }
  void handle(Event& event);
  // Completes the reply's future, then runs the step it woke (keep_reply_step).
  void complete_reply(ReplyEvent& reply);
  // Calls `callback` once the process takes its queued events or terminates, or at once if
  // `(mailbox_.*waiting_for)()` is false by now.
  void call_when_taken(std::function<void()> callback, bool (Mailbox::*waiting_for)() const);
  // Calls the waiters whose condition is over (all of them once terminated).
  void resume_waiters();
  void wait_for_room(std::chrono::milliseconds timeout);
  void terminate_now();
  // Counts a batch's events and time when runtime metrics are on.
  void account(std::size_t handled, std::chrono::steady_clock::time_point started);
  void drop_remaining(std::size_t from_index);

  Process& process_;
  std::unique_ptr<Process> owned_;
  ContextCore& context_;
  const PID pid_;
  const std::string pid_text_;

  Mailbox mailbox_;
  bool keeping_reply_step_ = false;  // see keep_reply_step
  struct KeptStep {
    std::coroutine_handle<> step;
    void* root;
  };
  std::optional<KeptStep> reply_step_;
  std::weak_ptr<void> self_;  // this record, for keep_reply_step's comparison; set on first use
  std::atomic<bool> scheduled_{false};
  // Paused readers and held senders, each called once what it waits for is false.
  struct Waiter {
    std::function<void()> callback;
    bool (Mailbox::*waiting_for)() const;
  };
  std::atomic<bool> has_waiters_{false};  // waiters_ is not empty
  std::mutex waiters_mutex_;              // guards waiters_
  std::vector<Waiter> waiters_;
  std::vector<Event> batch_;                      // touched only by the running worker
  std::shared_ptr<Congestion> held_by_;           // touched only by the running worker
  std::shared_ptr<ProcessRecord> last_receiver_;  // touched only by the running worker

  std::atomic<bool> terminated_{false};
  std::optional<ExitReason> failure_;      // touched only by the running worker: see escaped()
  const bool accounting_;                  // ContextOptions::runtime_metrics
  std::atomic<std::uint64_t> handled_{0};  // written by the running worker only
  std::atomic<std::uint64_t> busy_ns_{0};  // written by the running worker only
  std::mutex state_mutex_;
  std::condition_variable terminated_signal_;
  bool finished_ = false;     // guarded by state_mutex_: finalize ran and linkers were told
  std::vector<PID> linkers_;  // guarded by state_mutex_
};

// What an escaped exception says: its what(), or that it is not a std::exception.
std::string describe(std::exception_ptr error);

// Logs and counts (ContextStats::handler_exceptions) an exception that escaped a process's code
// (`where`: "handler", "finalize", "task").
void report_escaped(ContextCore& context, const std::string& pid_text, std::string_view where,
                    std::exception_ptr error);

}  // namespace compactor::runtime
