// SPDX-License-Identifier: Apache-2.0
#include "runtime/process_record.hpp"

#include "core/logging.hpp"
#include "runtime/context_core.hpp"
#include "runtime/context_registry.hpp"

#include <fmt/format.h>

#include <exception>
#include <future>
#include <stdexcept>

namespace compactor::runtime {
namespace {

thread_local ProcessRecord* tls_current = nullptr;

// The process this thread runs, for ProcessRecord::current and for the log lines' place.
void set_current(ProcessRecord* record) {
  tls_current = record;
  core::set_running_process(record != nullptr ? &record->pid_text() : nullptr);
}

// A receiver's full mailbox (mailbox_limit, hold_sender) as what holds its local senders:
// relieved when it takes its queue, or after send_timeout at the latest, so that processes full
// of each other's messages cannot hold each other for ever.
class MailboxRoom final : public Congestion {
 public:
  explicit MailboxRoom(std::shared_ptr<ProcessRecord> receiver) : receiver_(std::move(receiver)) {}

  void when_relieved(std::function<void()> relieved) override {
    struct Once {
      std::function<void()> relieved;
      std::atomic<bool> done{false};
      Clock::TimerId timer = 0;
      bool fire() {
        if (done.exchange(true)) return false;
        relieved();
        return true;
      }
    };
    auto once = std::make_shared<Once>();
    once->relieved = std::move(relieved);
    const auto timeout = receiver_->context().options().send_timeout;
    Clock& clock = receiver_->context().clock();
    once->timer = clock.schedule_after(timeout, [once, receiver = receiver_->pid_text(), timeout] {
      if (once->fire()) {
        core::log().warn(
            "a process held by the full mailbox of {} goes on after send_timeout {} ms", receiver,
            timeout.count());
      }
    });
    // The timer's id is set before this callback can run (when_room orders them).
    receiver_->when_room([once, &clock] {
      if (once->fire()) clock.cancel(once->timer);
    });
  }

 private:
  std::shared_ptr<ProcessRecord> receiver_;
};

}  // namespace

ProcessRecord* ProcessRecord::current() { return tls_current; }

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& escaped) {
    return escaped.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

void report_escaped(ContextCore& context, const std::string& pid_text, std::string_view where,
                    std::exception_ptr error) {
  StatsCounters::add(context.counters().handler_exceptions);
  core::log().error("process {}: {} threw: {}", pid_text, where, describe(std::move(error)));
}

bool hold_current_process(std::shared_ptr<Congestion> congestion) {
  if (tls_current == nullptr) return false;
  tls_current->hold(std::move(congestion));
  return true;
}

bool running_a_process() { return tls_current != nullptr; }

void ProcessRecord::hold(std::shared_ptr<Congestion> congestion) {
  if (!held_by_) held_by_ = std::move(congestion);  // the first is enough: it re-holds if need be
}

ProcessRecord::ProcessRecord(Process& process, std::unique_ptr<Process> owned, ContextCore& context)
    : process_(process),
      owned_(std::move(owned)),
      context_(context),
      pid_(process.self()),
      pid_text_(process.self().to_string()),
      mailbox_(HighWaterMark{context.options().mailbox_high_water_messages,
                             context.options().mailbox_high_water_bytes},
               context.options().mailbox_limit),
      accounting_(context.options().runtime_metrics) {}

ProcessRecord::~ProcessRecord() = default;

bool ProcessRecord::enqueue(Event&& event, bool* congested) {
  if (terminated()) return false;
  if (!context_.inspect(pid_, event)) return true;  // a test dropped it on purpose
  return emplace(congested, std::move(event));
}

bool ProcessRecord::inspected() const { return context_.inspecting(); }

void ProcessRecord::ran_on_io_thread(std::chrono::steady_clock::duration took) {
  if (took < kIoThreadStall) return;
  StatsCounters::add(context_.counters().io_thread_stalls);
  context_.peer_log().warn(
      PeerEvent::io_thread_stall, pid_text_,
      "handlers of {} ran {} ms on an I/O thread (run_on_io_thread): its connections waited",
      pid_text_, std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
}

ProcessRecord::Admission ProcessRecord::admit(Event&& message) {
  const auto& options = context_.options();
  const bool bounded = options.mailbox_limit != 0 && current() != this;  // never for itself
  const bool hold = options.mailbox_overflow == ContextOptions::MailboxOverflow::hold_sender;
  if (bounded && mailbox_.full()) {
    if (!hold) return Admission::full;
    if (!running_a_process()) wait_for_room(options.send_timeout);
  }
  if (!enqueue(std::move(message))) return Admission::terminated;
  if (bounded && hold && mailbox_.full()) {
    hold_current_process(std::make_shared<MailboxRoom>(shared_from_this()));
  }
  return Admission::queued;
}

void ProcessRecord::wait_for_room(std::chrono::milliseconds timeout) {
  auto room = std::make_shared<std::promise<void>>();
  auto future = room->get_future();
  when_room([room] { room->set_value(); });
  if (future.wait_for(timeout) == std::future_status::ready) return;
  context_.count_dropped(DropReason::mailbox_full);
  throw std::runtime_error(fmt::format(
      "message to {} not sent: its mailbox has held {} events or more for send_timeout {} ms",
      pid_text_, context_.options().mailbox_limit, timeout.count()));
}

void ProcessRecord::pause_reader(std::function<void()> resume) {
  call_when_taken(std::move(resume), &Mailbox::over_high_water);
}

void ProcessRecord::when_room(std::function<void()> relieved) {
  call_when_taken(std::move(relieved), &Mailbox::full);
}

void ProcessRecord::call_when_taken(std::function<void()> callback,
                                    bool (Mailbox::*waiting_for)() const) {
  {
    std::lock_guard lock(waiters_mutex_);
    waiters_.push_back({std::move(callback), waiting_for});
    has_waiters_.store(true);
  }
  // Registered first, checked second: if the worker took the events in between, it either saw
  // the registration or left the mailbox below the mark, which this check sees.
  if (!(mailbox_.*waiting_for)() || terminated()) resume_waiters();
}

void ProcessRecord::resume_waiters() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(waiters_mutex_);
    const bool all = terminated();
    std::erase_if(waiters_, [&](Waiter& waiter) {
      if (!all && (mailbox_.*waiter.waiting_for)()) return false;
      ready.push_back(std::move(waiter.callback));
      return true;
    });
    has_waiters_.store(!waiters_.empty());
  }
  for (auto& resume : ready) resume();
}

void ProcessRecord::queue_initialize() { mailbox_.push(InitializeEvent{}); }

void ProcessRecord::schedule() {
  if (!scheduled_.exchange(true, std::memory_order_acq_rel)) {
    context_.scheduler().schedule(shared_from_this());
  }
}

void ProcessRecord::account(std::size_t handled, std::chrono::steady_clock::time_point started) {
  if (!accounting_) return;
  const auto busy = std::chrono::steady_clock::now() - started;
  // One writer at a time (the running worker): a load and a store, no read-modify-write.
  handled_.store(handled_.load(std::memory_order_relaxed) + handled, std::memory_order_relaxed);
  busy_ns_.store(busy_ns_.load(std::memory_order_relaxed) +
                     static_cast<std::uint64_t>(
                         std::chrono::duration_cast<std::chrono::nanoseconds>(busy).count()),
                 std::memory_order_relaxed);
}

std::size_t ProcessRecord::linker_count() {
  std::lock_guard lock(state_mutex_);
  return linkers_.size();
}

void ProcessRecord::run() {
  // Another process's batch, when a process waits for one that it terminated (Supervisor on a
  // deterministic context): it is current again afterwards.
  ProcessRecord* const outer = current();
  set_current(this);
  // Not a step of the outer process's task while this batch runs (restored on the way out).
  const TaskStepScope outer_step(false);
  const auto started =
      accounting_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  std::size_t bytes_in_hand = mailbox_.take_all(batch_);
  const bool large = batch_.size() >= Mailbox::kLargeBatch;  // counted in hand, see Mailbox
  if (has_waiters_.load()) resume_waiters();
  std::size_t handled = 0;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (terminated()) {
      drop_remaining(i);
      break;
    }
    ++handled;
    bytes_in_hand -= Mailbox::size_of(batch_[i]);
    handle(batch_[i]);
    if (large && has_waiters_.load(std::memory_order_relaxed)) {
      // Paused readers read on as soon as what is queued and in hand is under the mark: a
      // remote sender makes progress all along a long batch.
      mailbox_.in_hand(batch_.size() - i - 1, bytes_in_hand);
      resume_waiters();
    }
    if (held_by_) {
      // Held by a congested peer: the rest waits in the mailbox, in order, and the process stays
      // "scheduled" (nobody else schedules it) until the congestion is relieved.
      mailbox_.put_back(batch_, i + 1);
      batch_.clear();
      set_current(outer);
      const auto congestion = std::move(held_by_);
      held_by_.reset();
      account(i + 1, started);
      StatsCounters::add(context_.counters().senders_held);
      // May run the callback at once, and another worker may then run this process: nothing of
      // it is touched after this call.
      congestion->when_relieved(
          [self = shared_from_this()] { self->context_.scheduler().schedule_anywhere(self); });
      return;
    }
  }
  batch_.clear();
  account(handled, started);
  if (large) {
    mailbox_.in_hand(0, 0);
    if (has_waiters_.load()) resume_waiters();
  }
  set_current(outer);
  scheduled_.store(false, std::memory_order_release);
  if (!mailbox_.empty()) schedule();
}

void ProcessRecord::handle(Event& event) {
  try {
    if (auto* message = std::get_if<MessageEvent>(&event)) {
      process_.dispatch(message->from, message->name, message->body);
    } else if (auto* exited = std::get_if<ExitedEvent>(&event)) {
      process_.exit_reason_ = std::move(exited->reason);
      process_.exited(exited->pid);
      process_.exit_reason_ = {};
    } else if (auto* call = std::get_if<CallEvent>(&event)) {
      call->call(process_);
    } else if (auto* reply = std::get_if<ReplyEvent>(&event)) {
      complete_reply(*reply);
    } else if (auto* http = std::get_if<HttpEvent>(&event)) {
      process_.serve(*http->request, std::move(http->respond));
    } else if (auto* timer = std::get_if<TimerEvent>(&event)) {
      process_.fire(timer->timer);
    } else if (std::holds_alternative<InitializeEvent>(event)) {
      process_.initialize();
    } else {
      terminate_now();
    }
  } catch (...) {
    escaped("handler", std::current_exception());
  }
  if (failure_ && !terminated()) terminate_now();
}

void ProcessRecord::complete_reply(ReplyEvent& reply) {
  std::exception_ptr thrown;  // by a callback of the future: the kept step runs all the same
  keeping_reply_step_ = true;
  try {
    reply.complete();
  } catch (...) {
    thrown = std::current_exception();
  }
  keeping_reply_step_ = false;
  if (auto kept = std::exchange(reply_step_, std::nullopt)) {
    process_.resume_task(kept->step, kept->root);
  }
  if (thrown) std::rethrow_exception(thrown);
}

void ProcessRecord::escaped(std::string_view where, std::exception_ptr error) {
  const auto policy = process_.on_exception_.value_or(context_.options().on_exception);
  if (policy == OnException::terminate && !failure_) {
    failure_ = ExitReason{ExitReason::Kind::failed, describe(error)};
  }
  report_escaped(context_, pid_text_, where, std::move(error));
}

void ProcessRecord::terminate_now() {
  terminated_.store(true, std::memory_order_release);
  try {
    process_.finalize();
  } catch (...) {
    report_escaped(context_, pid_text_, "finalize", std::current_exception());
  }
  process_.end_tasks();  // their destructors run here, on the process
  // After this no timer callback of the process runs, so the context may go.
  process_.cancel_all_timers();
  last_receiver_.reset();
  std::vector<PID> linkers;
  {
    std::lock_guard lock(state_mutex_);
    linkers.swap(linkers_);
  }
  const ExitReason reason = failure_.value_or(ExitReason{ExitReason::Kind::terminated});
  for (const auto& linker : linkers) context_.deliver_exited(linker, pid_, reason);
  ContextRegistry::for_each([this](ContextCore& context) { context.fail_asks_to(pid_); });
  resume_waiters();                     // what they send now is dropped, not held
  context_.withdraw_metrics(process_);  // while the process still exists (an owned one goes next)
  process_.running_.store(false, std::memory_order_release);
  owned_.reset();
  {
    // Together, so that wait() either finds the record and waits for finished_, or does not
    // find it because it has finished.
    std::lock_guard lock(state_mutex_);
    finished_ = true;
    context_.forget(*this);
  }
  // From here on process_ may be destroyed by its owner, whom wait() releases.
  terminated_signal_.notify_all();
}

void ProcessRecord::drop_remaining(std::size_t from_index) {
  std::size_t dropped = 0;
  for (std::size_t i = from_index; i < batch_.size(); ++i) {
    if (std::holds_alternative<MessageEvent>(batch_[i])) ++dropped;
  }
  if (dropped > 0) {
    context_.count_dropped(DropReason::terminated, dropped);
    core::log().debug("process {} terminated: dropped {} queued message(s)", pid_text_, dropped);
  }
}

bool ProcessRecord::add_linker(const PID& linker) {
  std::lock_guard lock(state_mutex_);
  if (terminated()) return false;
  linkers_.push_back(linker);
  return true;
}

bool ProcessRecord::wait(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lock(state_mutex_);
  if (!timeout) {
    terminated_signal_.wait(lock, [this] { return finished_; });
    return true;
  }
  return terminated_signal_.wait_for(lock, *timeout, [this] { return finished_; });
}

}  // namespace compactor::runtime
