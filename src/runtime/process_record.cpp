#include "runtime/process_record.hpp"

#include "runtime/context_core.hpp"
#include "runtime/logging.hpp"

#include <exception>

namespace compactor::runtime {
namespace {

thread_local ProcessRecord* tls_current = nullptr;

}  // namespace

ProcessRecord* ProcessRecord::current() { return tls_current; }

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
                             context.options().mailbox_high_water_bytes}) {}

ProcessRecord::~ProcessRecord() = default;

bool ProcessRecord::enqueue(Event&& event, bool* congested) {
  if (terminated()) return false;
  if (!context_.inspect(pid_, event)) return true;  // a test dropped it on purpose
  const bool over = mailbox_.push(std::move(event));
  if (congested != nullptr) *congested = over;
  schedule();
  return true;
}

void ProcessRecord::pause_reader(std::function<void()> resume) {
  {
    std::lock_guard lock(readers_mutex_);
    paused_readers_.push_back(std::move(resume));
    readers_paused_.store(true);
  }
  // Registered first, checked second: if the worker took the events in between, it either saw
  // the registration or left the mailbox under the mark, which this check sees.
  if (!mailbox_.over_high_water() || terminated()) resume_readers();
}

void ProcessRecord::resume_readers() {
  std::vector<std::function<void()>> readers;
  {
    std::lock_guard lock(readers_mutex_);
    readers.swap(paused_readers_);
    readers_paused_.store(false);
  }
  for (auto& resume : readers) resume();
}

void ProcessRecord::queue_initialize() { mailbox_.push(InitializeEvent{}); }

void ProcessRecord::schedule() {
  if (!scheduled_.exchange(true, std::memory_order_acq_rel)) {
    context_.scheduler().schedule(shared_from_this());
  }
}

void ProcessRecord::run() {
  tls_current = this;
  mailbox_.take_all(batch_);
  if (readers_paused_.load()) resume_readers();
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (terminated()) {
      drop_remaining(i);
      break;
    }
    handle(batch_[i]);
    if (held_by_) {
      // Held by a congested peer: the rest waits in the mailbox, in order, and the process stays
      // "scheduled" (nobody else schedules it) until the congestion is relieved.
      mailbox_.put_back(batch_, i + 1);
      batch_.clear();
      tls_current = nullptr;
      const auto congestion = std::move(held_by_);
      held_by_.reset();
      StatsCounters::add(context_.counters().senders_held);
      // May run the callback at once, and another worker may then run this process: nothing of
      // it is touched after this call.
      congestion->when_relieved(
          [self = shared_from_this()] { self->context_.scheduler().schedule(self); });
      return;
    }
  }
  batch_.clear();
  tls_current = nullptr;
  scheduled_.store(false, std::memory_order_release);
  if (!mailbox_.empty()) schedule();
}

void ProcessRecord::handle(Event& event) {
  try {
    if (auto* message = std::get_if<MessageEvent>(&event)) {
      process_.dispatch(message->from, message->name, message->body);
    } else if (auto* exited = std::get_if<ExitedEvent>(&event)) {
      process_.exited(exited->pid);
    } else if (auto* call = std::get_if<CallEvent>(&event)) {
      call->call(process_);
    } else if (auto* http = std::get_if<HttpEvent>(&event)) {
      process_.serve(*http->request, std::move(http->respond));
    } else if (auto* timer = std::get_if<TimerEvent>(&event)) {
      process_.fire(timer->timer);
    } else if (std::holds_alternative<InitializeEvent>(event)) {
      process_.initialize();
    } else {
      terminate_now();
    }
  } catch (const std::exception& error) {
    log().error("process {}: handler threw: {}", pid_text_, error.what());
  } catch (...) {
    log().error("process {}: handler threw a non-standard exception", pid_text_);
  }
}

void ProcessRecord::terminate_now() {
  terminated_.store(true, std::memory_order_release);
  try {
    process_.finalize();
  } catch (const std::exception& error) {
    log().error("process {}: finalize threw: {}", pid_text_, error.what());
  } catch (...) {
    log().error("process {}: finalize threw a non-standard exception", pid_text_);
  }
  // After this no timer callback of the process runs, so the context may go.
  process_.cancel_all_timers();
  last_receiver_.reset();
  std::vector<PID> linkers;
  {
    std::lock_guard lock(state_mutex_);
    linkers.swap(linkers_);
  }
  for (const auto& linker : linkers) context_.deliver_exited(linker, pid_);
  resume_readers();  // what they send now is dropped, not held
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
    context_.count_dropped(dropped);
    log().debug("process {} terminated: dropped {} queued message(s)", pid_text_, dropped);
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
