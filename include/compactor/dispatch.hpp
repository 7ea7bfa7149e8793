// SPDX-License-Identifier: Apache-2.0
#pragma once
// Typed calls into a process of this OS process, as libprocess's dispatch: the method runs on
// the process, like a message handler, and its result comes back as a Future.

#include <compactor/export.hpp>
#include <compactor/future.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>

#include <functional>
#include <string>
#include <tuple>
#include <type_traits>

namespace compactor {

namespace detail {

/// Queues `call` on the local process `pid` (in any context of this OS process); false if there
/// is no such process.
COMPACTOR_API bool deliver_call(const PID& pid, std::function<void(Process&)> call);

template <class R>
struct DispatchResult {
  using type = R;
};
template <>
struct DispatchResult<void> {
  using type = Nothing;
};
template <class U>
struct DispatchResult<Future<U>> {
  using type = U;
};

}  // namespace detail

/// Calls `(process.*method)(args...)` on the process `pid`, which must be a T. The future is
/// ready with the result (Nothing for void; a returned Future is followed), or failed if there is
/// no such local process, it is not a T, it terminates first, or the method throws.
template <class T, class R, class... Params, class... Args>
Future<typename detail::DispatchResult<R>::type> dispatch(const PID& pid, R (T::*method)(Params...),
                                                          Args&&... args) {
  using Value = typename detail::DispatchResult<R>::type;
  Promise<Value> promise;
  // Fails the promise if the call is destroyed unrun (the process terminated first); a no-op
  // once the call completed it.
  struct FailIfUnrun {
    explicit FailIfUnrun(Promise<Value> p) : promise(std::move(p)) {}
    ~FailIfUnrun() { promise.fail("dispatch: the process terminated before the call ran"); }
    Promise<Value> promise;
  };
  auto call = [promise, guard = std::make_shared<FailIfUnrun>(promise), method, pid,
               arguments = std::make_tuple(std::decay_t<Args>(std::forward<Args>(args))...)](
                  Process& process) mutable {
    auto* target = dynamic_cast<T*>(&process);
    if (target == nullptr) {
      promise.fail("dispatch: process " + pid.to_string() + " is not of the method's class");
      return;
    }
    try {
      auto invoke = [&](auto&... unpacked) { return (target->*method)(unpacked...); };
      if constexpr (std::is_void_v<R>) {
        std::apply(invoke, arguments);
        promise.set_value(Nothing{});
      } else if constexpr (std::is_same_v<R, Future<Value>>) {
        promise.associate(std::apply(invoke, arguments));
      } else {
        promise.set_value(std::apply(invoke, arguments));
      }
    } catch (const std::exception& error) {
      promise.fail(error.what());
    }
  };
  if (!detail::deliver_call(pid, std::move(call))) {
    promise.fail("dispatch: no local process " + pid.to_string());
  }
  return promise.future();
}

}  // namespace compactor
