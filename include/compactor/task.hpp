// SPDX-License-Identifier: Apache-2.0
#pragma once
// Coroutines on processes: a conversation written as straight-line code (docs/coroutines.md).
//
//   Task<> query(const PID& from, std::string_view body) {
//     const std::string answer = co_await lookup(body);  // a Future<std::string>
//     co_await after(100ms);                             // the process's clock
//     send(from, "answer", answer);
//   }

#include <compactor/export.hpp>
#include <compactor/future.hpp>
#include <compactor/pid.hpp>

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace compactor {

class Process;

template <class T = void>
class Task;

namespace detail {

// A step of the task launched as `root`, waiting on the process running on this thread
// (std::logic_error if none: a Task runs on a process).
COMPACTOR_API AwaitingStep awaiting_step(std::coroutine_handle<> step, void* root);

// co_await'ed first by a coroutine handler's task: the sender it keeps in its frame is the one
// Process::current_sender() gives while the task runs (a launched task's promise holds it).
struct RememberSender {
  const PID* sender;
};

// What every task's promise has: the task that awaits it, and the launched task it is a part of.
struct TaskPromiseBase {
  std::coroutine_handle<> continuation{};  // the task awaiting this one; none for a launched one
  void* root = nullptr;                    // the launched task's frame (Process::launch)
  const PID* sender = nullptr;             // a launched task's current_sender()
  std::exception_ptr error{};

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
      // Back to the awaiting task at once; a launched task stops here for its process.
      const auto next = done.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }

  // co_await future: the value, or the failure thrown as FutureFailed. A step waiting for it
  // resumes on the process, through its mailbox, never on the thread that completed it.
  template <class T>
  auto await_transform(Future<T> future);
  // co_await task: runs it; its value, or what it threw.
  template <class T>
  auto await_transform(Task<T>&& task);
  // Sets `sender`, without suspending.
  std::suspend_never await_transform(RememberSender remember) noexcept {
    sender = remember.sender;
    return {};
  }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <class U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  Task<void> get_return_object();
  void return_void() {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct FutureAwaiter {
  Future<T> future;
  void* root;
  bool await_ready() const { return !future.is_pending(); }
  bool await_suspend(std::coroutine_handle<> step) {  // false: complete meanwhile, go on
    return future.state_->resume_when_complete(awaiting_step(step, root));
  }
  T await_resume() {
    // Nobody else holds the state (the promise has gone): the value is moved out, not copied.
    if (auto& state = *future.state_; future.state_.use_count() == 1 && state.value) {
      return std::move(*state.value);
    }
    return future.get();
  }
};

template <class T>
struct TaskAwaiter {
  Task<T> task;
  void* root;
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    auto& promise = task.handle_.promise();
    promise.continuation = awaiting;
    promise.root = root;
    return task.handle_;  // starts it now, on this thread: the process's
  }
  T await_resume() { return task.handle_.promise().take(); }
};

template <class T>
auto TaskPromiseBase::await_transform(Future<T> future) {
  return FutureAwaiter<T>{std::move(future), root};
}

template <class T>
auto TaskPromiseBase::await_transform(Task<T>&& task) {
  return TaskAwaiter<T>{std::move(task), root};
}

}  // namespace detail

/// A coroutine that runs on a process: it starts when its process launches it
/// (Process::launch, or a handler that returns a Task) or when another Task co_awaits it, and
/// every step after a co_await resumes on the same process, between its other events. It can
/// co_await a `Future` (the value, or the failure thrown as FutureFailed, or as the subclass it
/// failed with) and another `Task` (its value, or what it threw).
///
/// @note While a task waits, its process handles other messages: its state may change across a
/// co_await. A task is owned by whoever holds it, then by what awaits it or by its process; a
/// process destroys the tasks still waiting when it terminates.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;  ///< For the compiler.

  /// Takes over `other`'s coroutine.
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  /// Destroys this one's coroutine, if any, and takes over `other`'s.
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  /// Destroys the coroutine if this still owns it (it never ran, or it finished).
  ~Task() {
    if (handle_) handle_.destroy();
  }

 private:
  friend struct detail::TaskPromise<T>;
  friend struct detail::TaskAwaiter<T>;
  friend class Process;

  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  // Gives up the frame (Process::launch takes it).
  std::coroutine_handle<promise_type> release() { return std::exchange(handle_, {}); }

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
Task<T> TaskPromise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}

inline Task<void> TaskPromise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

}  // namespace detail
}  // namespace compactor
