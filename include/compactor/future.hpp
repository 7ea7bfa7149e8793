// SPDX-License-Identifier: Apache-2.0
#pragma once
// A value that arrives later, as libprocess's Future: ready with a value or failed with a
// reason, observed by callbacks (then, on_ready, on_failed) or by waiting.

#include <compactor/export.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace compactor {

/// The value of a future that only says "done" (libprocess's Nothing).
struct Nothing {
  friend bool operator==(Nothing, Nothing) = default;  ///< Always equal.
};

/// What get() throws for a failed future.
class COMPACTOR_API FutureFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
class Future;

namespace detail {

template <class T>
struct FutureAwaiter;  // task.hpp

// A task's step waiting for a future (co_await, task.hpp), kept in the future's state as it is:
// without the allocation of a std::function. `queue` queues it on its process's mailbox, from
// whichever thread completes the future; nothing if the process terminated meanwhile (it
// destroyed the task then).
struct AwaitingStep {
  std::weak_ptr<void> process;         // its runtime::ProcessRecord
  std::coroutine_handle<> step;        // the coroutine waiting
  void* root;                          // the frame of the task it is a part of
  void (*queue)(const AwaitingStep&);  // defined by the runtime
};

// True on a thread while it runs a step of a Task (the runtime sets it): Future::get() there
// throws instead of blocking the step's process, which the reply to its own ask must reach.
COMPACTOR_API bool& running_task_step();

// True on an I/O thread while it runs a process's handlers (ContextOptions::run_on_io_thread):
// Future::get() there throws instead of blocking the thread that reads the replies.
COMPACTOR_API bool& running_on_io_thread();

template <class T>
struct FutureState : std::enable_shared_from_this<FutureState<T>> {
  /// Provided, so that make_shared's value-initialization does not zero the whole state first
  /// (a `rep stos` of ~400 bytes per future: 30 % of an ask's bookkeeping): each member
  /// initializes itself.
  FutureState() {}  // NOLINT(modernize-use-equals-default)

  std::mutex mutex;
  std::condition_variable completed;
  std::optional<T> value;
  std::optional<std::string> failure;
  std::exception_ptr error;  ///< a typed failure (Promise::fail(E)), thrown as it is by get()
  /// Queued on completion before the callbacks run: the first co_await (mostly the only one).
  std::optional<AwaitingStep> awaiting;
  /// Run once, on completion, in the order they came: the first without a vector.
  std::function<void()> first_callback;
  std::vector<std::function<void()>> more_callbacks;

  bool complete_locked() const { return value.has_value() || failure.has_value(); }

  /// Completes with `set`'s effect unless complete already; runs the callbacks outside the lock.
  template <class Set>
  bool complete(Set&& set) {
    std::optional<AwaitingStep> step;
    std::function<void()> first;
    std::vector<std::function<void()>> more;
    // Alive until its callbacks ran, even if one of them drops the last holder.
    const auto alive = this->shared_from_this();
    {
      std::lock_guard lock(mutex);
      if (complete_locked()) return false;
      set(*this);
      step.swap(awaiting);
      first.swap(first_callback);
      more.swap(more_callbacks);
    }
    completed.notify_all();
    if (step) step->queue(*step);
    if (first) first();
    for (auto& callback : more) callback();
    return true;
  }

  /// Queues `step` on completion; false, and nothing queued, if complete already.
  bool resume_when_complete(AwaitingStep step) {
    std::lock_guard lock(mutex);
    if (complete_locked()) return false;
    if (!awaiting) {
      awaiting.emplace(std::move(step));
    } else {  // a second task awaits a copy of this future
      add_callback_locked([step = std::move(step)] { step.queue(step); });
    }
    return true;
  }

  /// Runs `callback` on completion: now, on this thread, if complete already.
  void when_complete(std::function<void()> callback) {
    {
      std::lock_guard lock(mutex);
      if (!complete_locked()) {
        add_callback_locked(std::move(callback));
        return;
      }
    }
    callback();
  }

  void add_callback_locked(std::function<void()> callback) {
    if (!first_callback) {
      first_callback = std::move(callback);
    } else {
      more_callbacks.push_back(std::move(callback));
    }
  }
};

template <class T>
struct Unwrap {
  using type = T;
};
template <class T>
struct Unwrap<Future<T>> {
  using type = T;
};

}  // namespace detail

/// The producing side: completes its future once; later completions are ignored.
template <class T>
class Promise {
 public:
  /// A promise whose future is pending.
  Promise() : state_(std::make_shared<detail::FutureState<T>>()) {}

  /// The future this promise completes (every call returns a copy of the same one).
  Future<T> future() const { return Future<T>(state_); }

  /// Makes the future ready with `value`, or failed with `reason`; false if it was complete.
  ///@{
  bool set_value(const T& value) const {
    return state_->complete([&](auto& s) { s.value.emplace(value); });
  }
  bool set_value(T&& value) const {  // moved once, into the state
    return state_->complete([&](auto& s) { s.value.emplace(std::move(value)); });
  }
  bool fail(std::string reason) const {
    return state_->complete([&](auto& s) { s.failure.emplace(std::move(reason)); });
  }
  /// Fails the future with `error`, a FutureFailed or a subclass of it (AskTimeout, PeerExited),
  /// which get() and co_await throw as it is; failure() is its what(). False if it was complete.
  template <class E>
  requires std::is_base_of_v<FutureFailed, E>
  bool fail(E error) const {
    return state_->complete([&](auto& s) {
      s.failure.emplace(error.what());
      s.error = std::make_exception_ptr(std::move(error));
    });
  }
  ///@}
  /// Completes like `other` when it completes (a typed failure stays typed).
  void associate(const Future<T>& other) const {
    auto self = *this;
    other.on_ready([self](const T& value) { self.set_value(value); });
    other.when_failed([self](const auto& failed) { self.fail_as(failed); });
  }

 private:
  template <class>
  friend class Future;

  // Fails like `failed`, a failed future's state: its reason, and its error if it was typed.
  template <class U>
  bool fail_as(const detail::FutureState<U>& failed) const {
    return state_->complete([&](auto& s) {
      s.failure = failed.failure;
      s.error = failed.error;
    });
  }
  // Fails with what `f` threw: a FutureFailed (or a subclass) as it is, anything else by its
  // what() as a FutureFailed.
  void fail_with_current_exception() const {
    try {
      throw;
    } catch (const FutureFailed& error) {
      state_->complete([&](auto& s) {
        s.failure.emplace(error.what());
        s.error = std::current_exception();
      });
    } catch (const std::exception& error) {
      fail(error.what());
    } catch (...) {
      fail("a non-standard exception");
    }
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

/// @note Copies share one state. Callbacks run on the thread that completes the future (or at
/// once, on the caller's, if it is complete); they must not block.
template <class T>
class Future {
 public:
  using value_type = T;  ///< The type of the value.

  /// A future that is ready at once.
  static Future ready(T value) {
    Promise<T> promise;
    promise.set_value(std::move(value));
    return promise.future();
  }
  /// A future that is failed at once, with `reason`.
  static Future failed(std::string reason) {
    Promise<T> promise;
    promise.fail(std::move(reason));
    return promise.future();
  }

  /// Not complete yet; ready with a value; failed with a reason.
  ///@{
  bool is_pending() const {
    std::lock_guard lock(state_->mutex);
    return !state_->complete_locked();
  }
  bool is_ready() const {
    std::lock_guard lock(state_->mutex);
    return state_->value.has_value();
  }
  bool is_failed() const {
    std::lock_guard lock(state_->mutex);
    return state_->failure.has_value();
  }
  ///@}

  /// Waits at most `timeout` for completion; true if complete.
  template <class Rep, class Period>
  bool await(std::chrono::duration<Rep, Period> timeout) const {
    std::unique_lock lock(state_->mutex);
    return state_->completed.wait_for(lock, timeout, [&] { return state_->complete_locked(); });
  }

  /// Waits for completion; the value, or FutureFailed with the reason. Inside a Task, a pending
  /// future throws std::logic_error instead: waiting would block the task's process, which the
  /// reply to the task's own ask has to reach (co_await it).
  const T& get() const {
    std::unique_lock lock(state_->mutex);
    if (!state_->complete_locked() && detail::running_task_step()) {
      throw std::logic_error(
          "Future::get() on a pending future inside a Task would block its process: co_await it");
    }
    if (!state_->complete_locked() && detail::running_on_io_thread()) {
      throw std::logic_error(
          "Future::get() on a pending future in a handler run on the I/O thread "
          "(run_on_io_thread) would block the context's connections");
    }
    state_->completed.wait(lock, [&] { return state_->complete_locked(); });
    if (state_->error) std::rethrow_exception(state_->error);
    if (state_->failure) throw FutureFailed(*state_->failure);
    return *state_->value;
  }

  /// The reason of a failed future ("" otherwise).
  std::string failure() const {
    std::lock_guard lock(state_->mutex);
    return state_->failure.value_or("");
  }

  // The callbacks below hold the state by a plain pointer: they run only while a holder of the
  // state completes it (or registers them, when it is complete already), and a callback held by
  // its own state would keep a future that is never completed alive for ever.
  /// Runs `callback` with the value if the future becomes (or is) ready.
  const Future& on_ready(std::function<void(const T&)> callback) const {
    const auto* state = state_.get();
    state_->when_complete([state, callback = std::move(callback)] {
      if (state->value) callback(*state->value);
    });
    return *this;
  }

  /// Runs `callback` with the reason if the future fails (or has failed).
  const Future& on_failed(std::function<void(const std::string&)> callback) const {
    const auto* state = state_.get();
    state_->when_complete([state, callback = std::move(callback)] {
      if (state->failure) callback(*state->failure);
    });
    return *this;
  }

  /// Runs on completion, ready or failed.
  const Future& on_any(std::function<void(const Future&)> callback) const {
    auto* state = state_.get();
    state_->when_complete(
        [state, callback = std::move(callback)] { callback(Future(state->shared_from_this())); });
    return *this;
  }

  /// The future of `f(value)`: f returns a U or a `Future<U>`; a failure (or an exception thrown
  /// by f) passes through as the new future's failure, a typed one (AskTimeout, ...) as it is.
  template <class F>
  auto then(F f) const {
    using Result = std::invoke_result_t<F, const T&>;
    using U = typename detail::Unwrap<Result>::type;
    Promise<U> promise;
    on_ready([promise, f = std::move(f)](const T& value) mutable {
      try {
        if constexpr (std::is_same_v<Result, Future<U>>) {
          promise.associate(f(value));
        } else {
          promise.set_value(f(value));
        }
      } catch (...) {
        promise.fail_with_current_exception();
      }
    });
    when_failed([promise](const auto& failed) { promise.fail_as(failed); });
    return promise.future();
  }

 private:
  template <class>
  friend class Promise;
  friend struct detail::FutureAwaiter<T>;  // waits with one callback, no wrapper

  // Runs `callback` with the state if the future fails (or has failed).
  template <class F>
  void when_failed(F callback) const {
    const auto* state = state_.get();
    state_->when_complete([state, callback = std::move(callback)] {
      if (state->failure) callback(*state);
    });
  }

  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::FutureState<T>> state_;
};

/// Ready with every value, in order, once all are ready; failed as soon as one fails.
template <class T>
Future<std::vector<T>> collect(const std::vector<Future<T>>& futures) {
  if (futures.empty()) return Future<std::vector<T>>::ready({});
  struct Gather {
    std::mutex mutex;
    std::vector<std::optional<T>> values;
    std::size_t left;
    Promise<std::vector<T>> promise;
  };
  auto gather = std::make_shared<Gather>();
  gather->values.resize(futures.size());
  gather->left = futures.size();
  for (std::size_t i = 0; i < futures.size(); ++i) {
    futures[i].on_ready([gather, i](const T& value) {
      std::vector<T> all;
      {
        std::lock_guard lock(gather->mutex);
        gather->values[i] = value;
        if (--gather->left != 0) return;
        for (auto& v : gather->values) all.push_back(std::move(*v));
      }
      gather->promise.set_value(std::move(all));
    });
    futures[i].on_failed([gather](const std::string& reason) { gather->promise.fail(reason); });
  }
  return gather->promise.future();
}

/// Ready, with the futures themselves, once every one is complete, ready or failed.
template <class T>
Future<std::vector<Future<T>>> await_all(std::vector<Future<T>> futures) {
  Promise<std::vector<Future<T>>> promise;
  auto left = std::make_shared<std::atomic<std::size_t>>(futures.size());
  if (futures.empty()) promise.set_value({});
  for (const auto& future : futures) {
    future.on_any([promise, left, futures](const Future<T>&) {
      if (left->fetch_sub(1) == 1) promise.set_value(futures);
    });
  }
  return promise.future();
}

}  // namespace compactor
