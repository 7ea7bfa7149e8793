// SPDX-License-Identifier: Apache-2.0
#include <compactor/process.hpp>

#include "core/logging.hpp"
#include "runtime/context_core.hpp"
#include "runtime/http_guard.hpp"
#include "runtime/process_record.hpp"
#include "runtime/stats.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

namespace compactor {
namespace {

void check_id(const std::string& id) {
  if (id.empty()) throw std::invalid_argument("a process id must not be empty");
  for (const char c : id) {
    if (c == '@' || c == '/' || static_cast<unsigned char>(c) <= 0x20) {
      throw std::invalid_argument("process id '" + id +
                                  "' must not contain '@', '/', spaces or control characters");
    }
  }
}

runtime::ContextCore& spawned_context(runtime::ContextCore* context, const std::string& id) {
  if (context == nullptr) throw std::logic_error("process '" + id + "' is not spawned");
  return *context;
}

}  // namespace

class Process::SenderScope {
 public:
  SenderScope(Process& process, const PID* sender)
      : process_(process), saved_(std::exchange(process.sender_, sender)) {}
  ~SenderScope() { process_.sender_ = saved_; }
  SenderScope(const SenderScope&) = delete;
  SenderScope& operator=(const SenderScope&) = delete;

 private:
  Process& process_;
  const PID* saved_;
};

Process::Process(std::string id) : id_(std::move(id)) { check_id(id_); }

Process::~Process() {
  if (running_.load(std::memory_order_acquire)) {
    core::log().critical("process {} destroyed while running: terminate it and wait first",
                         self_.to_string());
    std::terminate();
  }
}

void Process::send(const PID& to, std::string_view name, std::string_view body) const {
  spawned_context(context_, id_).send(self_, to, name, body);
}

void Process::malformed(const PID& from, std::string_view name, std::size_t size,
                        std::string_view why) {
  if (context_ == nullptr) {
    core::log().warn("process {}: dropped a {}-byte {} from {}: {}", self_.to_string(), size, name,
                     from.to_string(), why);
    return;
  }
  runtime::StatsCounters::add(context_->counters().messages_malformed);
  context_->peer_log().warn(runtime::PeerEvent::malformed_body, from.address.ip,
                            "process {}: dropped a {}-byte {} from {}: {}", self_.to_string(), size,
                            name, from.to_string(), why);
}

Future<Message> Process::ask(const PID& to, std::string_view name, std::string_view body,
                             Clock::duration timeout) {
  return spawned_context(context_, id_).ask(to, name, body, timeout);
}

void Process::link(const PID& pid) { spawned_context(context_, id_).link(self_, pid); }

void Process::terminate() { spawned_context(context_, id_).terminate(self_); }

Process::TimerId Process::delay(Clock::duration after, std::function<void()> callback) {
  return add_timer(after, Clock::duration::zero(), std::move(callback));
}

Process::TimerId Process::every(Clock::duration period, std::function<void()> callback) {
  if (period <= Clock::duration::zero()) throw std::invalid_argument("every(): period must be > 0");
  return add_timer(period, period, std::move(callback));
}

Process::TimerId Process::add_timer(Clock::duration first, Clock::duration period,
                                    std::function<void()> callback) {
  const auto* record = runtime::ProcessRecord::current();
  if (record == nullptr || record->pid() != self_) {
    throw std::logic_error("process " + id_ +
                           ": timers are set from its own initialize() or handlers");
  }
  const TimerId id = next_timer_++;
  auto& timer = timers_[id];
  timer.period = period;
  timer.callback = std::move(callback);
  arm(id, timer, first);
  return id;
}

void Process::arm(TimerId id, Timer& timer, Clock::duration after) {
  // The clock's thread only queues an event; the callback runs here, on the process.
  std::weak_ptr<runtime::ProcessRecord> record =
      runtime::ProcessRecord::current()->weak_from_this();
  timer.clock_timer = spawned_context(context_, id_).clock().schedule_after(after, [record, id] {
    if (auto alive = record.lock()) alive->enqueue(runtime::TimerEvent{id});
  });
}

void Process::fire(TimerId id) {
  const auto found = timers_.find(id);
  if (found == timers_.end()) return;  // cancelled after it fell due
  auto callback = found->second.callback;
  if (found->second.period > Clock::duration::zero()) {
    arm(id, found->second, found->second.period);
  } else {
    timers_.erase(found);
  }
  callback();
}

bool Process::cancel(TimerId timer) {
  const auto found = timers_.find(timer);
  if (found == timers_.end()) return false;
  spawned_context(context_, id_).clock().cancel(found->second.clock_timer);
  timers_.erase(found);
  return true;
}

void Process::cancel_all_timers() {
  if (context_ == nullptr) return;
  for (const auto& [id, timer] : timers_) context_->clock().cancel(timer.clock_timer);
  timers_.clear();
}

void Process::launch(Task<> task) { start_task(std::move(task), true); }

void Process::launch_keeping_sender(Task<> task) { start_task(std::move(task), false); }

void Process::start_task(Task<> task, bool copy_sender) {
  const auto* record = runtime::ProcessRecord::current();
  if (record == nullptr || record->pid() != self_) {
    throw std::logic_error("process " + id_ +
                           ": tasks are launched from its own initialize() or handlers");
  }
  auto frame = task.release();
  if (!frame) return;
  frame.promise().root = frame.address();
  LaunchedTask launched{frame, nullptr};
  if (copy_sender && sender_ != nullptr) {
    launched.sender = std::make_unique<const PID>(*sender_);
    frame.promise().sender = launched.sender.get();
  }
  tasks_.emplace(frame.address(), std::move(launched));
  resume_task(frame, frame.address());
}

Future<Nothing> Process::after(Clock::duration duration) {
  Promise<Nothing> promise;
  delay(duration, [promise] { promise.set_value({}); });
  return promise.future();
}

void Process::resume_task(std::coroutine_handle<> step, void* root) {
  const auto running = tasks_.find(root);
  if (running == tasks_.end()) return;  // ended with its process
  // Alive while the step runs: the task is erased only below (a process ends its tasks between
  // events, never inside a step), so one look-up serves the step.
  const auto frame = running->second.frame;
  {
    // A step resumed from the mailbox has none current: it takes its task's. A task's first step
    // runs inside launch() and keeps the one there, until it has its own.
    const PID* const kept = frame.promise().sender;
    const SenderScope scope(*this, kept != nullptr ? kept : sender_);
    const runtime::TaskStepScope in_step(true);
    step.resume();
  }
  if (!frame.done()) return;
  tasks_.erase(root);
  // Counted before the frame goes: destroying it may answer (a route's 500), and whoever gets
  // that answer may read the count.
  if (auto error = frame.promise().error) {
    if (auto* record = runtime::ProcessRecord::current(); record != nullptr) {
      record->escaped("task", std::move(error));
    } else {
      runtime::report_escaped(*context_, self_.to_string(), "task", std::move(error));
    }
  }
  frame.destroy();
}

void Process::end_tasks() {
  auto ending = std::move(tasks_);
  tasks_.clear();
  for (auto& [root, task] : ending) task.frame.destroy();
}

namespace detail {

AwaitingStep awaiting_step(std::coroutine_handle<> step, void* root) {
  auto* record = runtime::ProcessRecord::current();
  if (record == nullptr) {
    throw std::logic_error("a Task waits only on a process: launch it from one");
  }
  const auto queue = [](const AwaitingStep& waiting) {
    // The reply its process is handling: the step runs in that event (ReplyEvent).
    if (auto* running = runtime::ProcessRecord::current();
        running != nullptr && running->keep_reply_step(waiting)) {
      return;
    }
    const auto alive = std::static_pointer_cast<runtime::ProcessRecord>(waiting.process.lock());
    if (!alive) return;
    alive->enqueue(runtime::CallEvent{[step = waiting.step, root = waiting.root](Process& process) {
      process.resume_task(step, root);
    }});
  };
  return {record->weak_from_this(), step, root, queue};
}

}  // namespace detail

void Process::exited(const PID& pid) {
  core::log().debug("process {}: linked process {} exited", self_.to_string(), pid.to_string());
}

void Process::unhandled(const PID& from, std::string_view name, std::string_view) {
  if (context_ == nullptr) return;
  context_->peer_log().warn(runtime::PeerEvent::unhandled_message, from.address.ip,
                            "process {}: no handler for message '{}' from {}; dropping it",
                            self_.to_string(), name, from.to_string());
}

void Process::add_metric(const metrics::Metric& metric) {
  if (running_.load(std::memory_order_acquire)) context_->metrics().add(metric);
  metrics_.push_back(metric);
}

void Process::route(std::string path, http::Route handler) {
  route(std::move(path), std::move(handler), RouteOptions{});
}

void Process::route(std::string path, std::string realm, http::Route handler) {
  route(std::move(path), std::move(handler), RouteOptions{.realm = std::move(realm)});
}

void Process::route(std::string path, http::Route handler, RouteOptions options) {
  if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  std::lock_guard lock(routes_mutex_);
  routes_.insert_or_assign(std::move(path), RouteEntry{std::move(handler), std::move(options.realm),
                                                       std::move(options.help)});
}

std::optional<std::string> Process::route_help(std::string_view path) const {
  std::lock_guard lock(routes_mutex_);
  const auto found = routes_.find(std::string(path));
  if (found == routes_.end()) return std::nullopt;
  return found->second.help;
}

std::vector<std::string> Process::routes() const {
  std::lock_guard lock(routes_mutex_);
  std::vector<std::string> paths;
  for (const auto& [path, route] : routes_) paths.push_back(path);
  return paths;
}

void Process::serve(const http::Request& request, http::Responder respond) {
  // The longest route that is the path itself or a whole-segment prefix of it.
  RouteEntry found;
  {
    std::lock_guard lock(routes_mutex_);
    std::size_t best = 0;
    for (const auto& [path, route] : routes_) {
      const bool matches = path == "/" || request.path == path ||
                           (request.path.starts_with(path) && request.path[path.size()] == '/');
      if (matches && path.size() >= best) {
        best = path.size();
        found = route;
      }
    }
  }
  if (!found.handler) {
    respond(runtime::not_found(*context_));
    return;
  }
  if (found.realm.empty()) {
    found.handler(request, std::move(respond));
    return;
  }
  http::Request authenticated = request;
  if (auto refusal = runtime::authenticate(*context_, found.realm, authenticated)) {
    respond(std::move(*refusal));
    return;
  }
  found.handler(authenticated, std::move(respond));
}

void Process::install(std::string name, Handler handler) {
  handlers_.insert_or_assign(std::move(name), std::move(handler));
}

void Process::dispatch(const PID& from, std::string_view name, std::string_view body) {
  if (last_handler_ == nullptr || last_handler_->first != name) {
    const auto it = handlers_.find(name);
    if (it == handlers_.end()) {
      unhandled(from, name, body);
      return;
    }
    last_handler_ = &*it;
  }
  const SenderScope scope(*this, &from);
  last_handler_->second(from, body);
}

}  // namespace compactor
