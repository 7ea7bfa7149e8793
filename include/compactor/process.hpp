// SPDX-License-Identifier: Apache-2.0
#pragma once
// An actor: a named process with message handlers, run by a Context one message at a time.

#include <compactor/ask.hpp>
#include <compactor/clock.hpp>
#include <compactor/detail/string_map.hpp>
#include <compactor/exit_reason.hpp>
#include <compactor/export.hpp>
#include <compactor/http.hpp>
#include <compactor/metrics.hpp>
#include <compactor/pid.hpp>
#include <compactor/task.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace compactor {

class Context;
class Supervisor;
namespace runtime {
class ContextCore;
class ProcessRecord;
}  // namespace runtime

/// A message handler that is a coroutine: `(const PID& from, std::string_view body) -> Task<>`.
template <class F>
concept CoroutineHandler = std::is_invocable_r_v<Task<>, F&, const PID&, std::string_view>;

/// An HTTP route's handler that is a coroutine: `(const http::Request&) -> Task<http::Response>`.
template <class F>
concept CoroutineRoute = std::is_invocable_r_v<Task<http::Response>, F&, const http::Request&>;

/// Subclass it, give it an id, install handlers, spawn it on a Context.
///
/// A process's handlers, initialize(), finalize() and exited() never run concurrently with each
/// other: they run on one worker thread at a time, so the process's own state needs no locks.
class COMPACTOR_API Process {
 public:
  /// Handles one message: the sender's PID (empty if the sender sent no valid PID) and the body,
  /// which is valid only during the call.
  using Handler = std::function<void(const PID& from, std::string_view body)>;

  /// `id` must be unique within the context the process is spawned on.
  explicit Process(std::string id);

  /// A spawned process must have terminated before it is destroyed (Context::wait, or destroying
  /// the context first); destroying a running one is a bug, reported and fatal like a joinable
  /// std::thread's, since its handlers could still be running on a worker.
  virtual ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// The process id given at construction.
  const std::string& id() const { return id_; }

  /// This process's PID; empty until it is spawned.
  const PID& self() const { return self_; }

  /// What this process does when an exception escapes its code (see OnException); by default,
  /// its context's ContextOptions::on_exception. Call it before spawn or from the process.
  void on_exception(OnException policy) { on_exception_ = policy; }

  /// Sends a message to `to`, local or remote. Messages from one process to another arrive in the
  /// order they were sent. Callable from any thread once the process is spawned.
  ///
  /// Flow control (ContextOptions::peer_high_water_bytes): when too much is queued for the remote
  /// context of `to`, a process sending from its own handlers is held after that handler until
  /// the queue drains; any other thread waits here, and after send_timeout gets
  /// std::runtime_error (the message is not sent, and counted as dropped).
  void send(const PID& to, std::string_view name, std::string_view body = {}) const;

  /// Sends a request to `to` and gives the first message sent back to the asker: libprocess's
  /// request/response pattern. The request goes out from a fresh PID (`__req_res__(N)@ip:port`
  /// of this context, never reused), so that a libprocess process answering with reply() or
  /// send(from, ...) answers this ask and no other. Fails with AskTimeout after `timeout`; with
  /// PeerExited when the target is known to be gone (a local PID that names no process or whose
  /// process terminates meanwhile, a connection to its context that cannot be made or breaks);
  /// with FutureFailed for an empty PID. A Task co_awaits it; any thread may call it once the
  /// process is spawned.
  Future<Message> ask(const PID& to, std::string_view name, std::string_view body,
                      Clock::duration timeout);

  /// Links to `pid`: exited(pid) runs when it terminates (local) or when the connection to its
  /// context breaks or cannot be made (remote). Linking to a local PID that does not exist calls
  /// exited at once.
  void link(const PID& pid);

  /// Asks this process to terminate after the events already in its mailbox.
  void terminate();

  /// The paths of its HTTP routes (any thread).
  std::vector<std::string> routes() const;
  /// The help text the route at `path` was installed with ("" if none); none if no such route.
  std::optional<std::string> route_help(std::string_view path) const;

  /// Timers on the context's Clock: `callback` runs on this process like a handler (never
  /// concurrently with one), once after `after` (delay) or every `period` (every), until
  /// cancelled or the process terminates. Call them from this process's initialize() or handlers
  /// (std::logic_error otherwise).
  ///@{
  using TimerId = std::uint64_t;
  TimerId delay(Clock::duration after, std::function<void()> callback);
  TimerId every(Clock::duration period, std::function<void()> callback);
  ///@}
  /// True if the timer was pending; its callback does not run (again). From this process only.
  bool cancel(TimerId timer);

  /// Runs `task` on this process: at once, until its first co_await that waits, then step by step
  /// between the process's other events, until it finishes or the process terminates (which
  /// destroys it). An exception it lets escape is logged like a handler's. Call it from this
  /// process's initialize() or handlers (std::logic_error otherwise).
  void launch(Task<> task);

  /// A future ready after `duration` on the context's Clock, for a Task to co_await (a sleep
  /// that lets the process handle other events meanwhile). From this process only, as delay().
  Future<Nothing> after(Clock::duration duration);

 protected:
  /// Runs on the process before any message; install handlers here or in the constructor.
  virtual void initialize() {}

  /// Runs on the process when it terminates, after its last handler.
  virtual void finalize() {}

  /// A linked process terminated, or the connection to its context broke; exit_reason() says
  /// which, as far as it is known.
  virtual void exited(const PID& pid);

  /// A message arrived whose name has no handler. The default logs it once per name.
  virtual void unhandled(const PID& from, std::string_view name, std::string_view body);

  /// A handler could not read the body of a message named `name` from `from`: the message is
  /// dropped, counted (ContextStats::messages_malformed) and logged with `why` (the 1st, 2nd,
  /// 4th, 8th... of the context, so that a peer sending garbage cannot flood the log).
  void malformed(const PID& from, std::string_view name, std::size_t size, std::string_view why);

  /// Installs the handler for messages named `name`, replacing any earlier one. Call it from the
  /// constructor or from the process's own handlers, never from another thread.
  void install(std::string name, Handler handler);

  /// Serves HTTP requests for `/ID/PATH` and below it (`path` "/" takes them all; the longest
  /// matching route wins; no match is 404). The handler runs on the process like a message
  /// handler and answers through its Responder, now or later.
  void route(std::string path, http::Route handler);
  /// As above, for requests that authenticate in `realm` (ContextOptions::http_authenticators):
  /// others are answered 401 without reaching the handler, which finds the principal in the
  /// request.
  void route(std::string path, std::string realm, http::Route handler);
  /// As above, with what /help/ID/PATH says of the route (libprocess's route help) and,
  /// optionally, a realm: route("/stats", handler, {.help = "Counts of requests."}).
  struct RouteOptions {
    std::string help{};   ///< markdown, shown by /help
    std::string realm{};  ///< "": no authentication
  };
  void route(std::string path, http::Route handler, RouteOptions options);  ///< See RouteOptions.
  /// As above, for a coroutine: each request launches it (launch) with a copy of the request,
  /// and the response it returns answers. One that throws, or is destroyed with its process
  /// before it returns, answers 500.
  template <CoroutineRoute Coroutine>
  void route(std::string path, Coroutine coroutine, RouteOptions options) {
    auto launcher = [this, coroutine = std::move(coroutine)](const http::Request& request,
                                                             http::Responder respond) {
      launch(answer_route(coroutine, request, std::move(respond)));
    };
    route(std::move(path), http::Route(std::move(launcher)), std::move(options));
  }
  /// As above, with no help and no realm.
  template <CoroutineRoute Coroutine>
  void route(std::string path, Coroutine coroutine) {
    route(std::move(path), std::move(coroutine), RouteOptions{});
  }

  /// Registers `metric` in its context's metrics (Context::metrics) for as long as this process
  /// runs: from spawn, or at once if it runs already, until it terminates. Call it from the
  /// constructor or the process's own handlers. Throws std::invalid_argument if the name is taken
  /// (at spawn, which then fails, for a metric added before).
  void add_metric(const metrics::Metric& metric);

  /// Installs a member function of the derived class as the handler for `name`.
  template <class Derived>
  void install(std::string name, void (Derived::*method)(const PID&, std::string_view)) {
    auto* self = static_cast<Derived*>(this);
    install(std::move(name), [self, method](const PID& from, std::string_view body) {
      (self->*method)(from, body);
    });
  }

  /// The sender of the message being handled; in a task, of the message whose handler launched
  /// it (also after a co_await). Null elsewhere (initialize(), a timer, a task launched there).
  const PID* current_sender() const { return sender_; }

  /// Inside exited(): why the linked process ended. Elsewhere: a default ExitReason.
  const ExitReason& exit_reason() const { return exit_reason_; }

  /// Installs a coroutine as the handler for `name`: each message launches it (launch), with
  /// `from` and `body` valid until it finishes, not only until its first co_await.
  template <CoroutineHandler Coroutine>
  void install(std::string name, Coroutine coroutine) {
    auto launcher = [this, coroutine = std::move(coroutine)](const PID& from,
                                                             std::string_view body) {
      launch_keeping_sender(run_handler(coroutine, from, std::string(body)));
    };
    install(std::move(name), Handler(std::move(launcher)));
  }

  /// Installs a coroutine member function of the derived class as the handler for `name`.
  template <class Derived>
  void install(std::string name, Task<> (Derived::*method)(const PID&, std::string_view)) {
    auto* self = static_cast<Derived*>(this);
    install(std::move(name), [self, method](const PID& from, std::string_view body) -> Task<> {
      return (self->*method)(from, body);
    });
  }

 private:
  friend class runtime::ContextCore;
  friend class runtime::ProcessRecord;
  friend detail::AwaitingStep detail::awaiting_step(std::coroutine_handle<>, void*);
  friend class ProtobufProcess;  // launch_keeping_sender
  friend class Supervisor;       // spawns its children on its context

  // A coroutine handler's task: it owns a copy of the handler and of what the message brought,
  // so that they outlive the handler's call.
  template <class Coroutine>
  static Task<> run_handler(Coroutine coroutine, PID from, std::string body) {
    co_await detail::RememberSender{&from};
    co_await coroutine(from, std::string_view(body));
  }
  // A coroutine route's task: it owns a copy of the route and of the request, and answers.
  template <class Coroutine>
  static Task<> answer_route(Coroutine coroutine, http::Request request, http::Responder respond) {
    respond(co_await coroutine(request));
  }
  // As launch(), for a task that keeps its sender itself (detail::RememberSender).
  void launch_keeping_sender(Task<> task);
  void start_task(Task<> task, bool copy_sender);
  // Runs a step of the launched task `root` (a coroutine of it that was waiting), and ends the
  // task if that finished it.
  void resume_task(std::coroutine_handle<> step, void* root);
  class SenderScope;  ///< sets current_sender() for a handler or a step, then puts it back
  void end_tasks();   ///< on termination: destroys the tasks still waiting

  void dispatch(const PID& from, std::string_view name, std::string_view body);
  void serve(const http::Request& request, http::Responder respond);

  struct Timer {
    Clock::TimerId clock_timer = 0;
    Clock::duration period{};  ///< zero: once
    std::function<void()> callback;
  };
  TimerId add_timer(Clock::duration first, Clock::duration period, std::function<void()> callback);
  void arm(TimerId id, Timer& timer, Clock::duration after);
  void fire(TimerId id);     ///< a TimerEvent reached the process
  void cancel_all_timers();  ///< on termination

  std::string id_;
  PID self_;
  runtime::ContextCore* context_ = nullptr;
  std::atomic<bool> running_{false};     // spawned and not yet terminated
  detail::StringMap<Handler> handlers_;  // a message name as a string_view finds its handler
  // The handler found last: a process mostly gets the same few messages, and comparing a short
  // name is cheaper than hashing it. Map nodes never move, and handlers are never erased.
  const std::pair<const std::string, Handler>* last_handler_ = nullptr;
  std::unordered_map<TimerId, Timer> timers_;  ///< touched only on the process's thread
  std::vector<metrics::Metric> metrics_;       ///< touched only by spawn and the process
  struct RouteEntry {
    http::Route handler;
    std::string realm;  ///< "" : no authentication
    std::string help;
  };
  mutable std::mutex routes_mutex_;  ///< route() may race with /help's listing
  std::map<std::string, RouteEntry> routes_;
  TimerId next_timer_ = 1;
  // A launched task, and a copy of the sender of the message being handled when it was
  // launched, unless the task keeps it itself.
  struct LaunchedTask {
    std::coroutine_handle<detail::TaskPromise<void>> frame;
    std::unique_ptr<const PID> sender;
  };
  // The launched tasks, by frame: touched only on the process's thread.
  std::unordered_map<void*, LaunchedTask> tasks_;
  const PID* sender_ = nullptr;  // see current_sender()
  ExitReason exit_reason_;       // see exit_reason()
  std::optional<OnException> on_exception_;
};

}  // namespace compactor
