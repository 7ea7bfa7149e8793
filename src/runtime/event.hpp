// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a process's mailbox holds.

#include <compactor/ask.hpp>
#include <compactor/http.hpp>
#include <compactor/pid.hpp>
#include <compactor/process.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace compactor::runtime {

// A message for one of the process's handlers.
struct MessageEvent {
  // A constructor, not aggregate initialization, so that variants can build it in place with
  // compilers that lack C++20's parenthesized aggregate initialization (clang 14).
  // Each part is built in place from what it is given (a PID, a string or a view): taken by value,
  // each would be moved once more, a tenth of a local send's instructions.
  template <class From, class Name, class Body>
  MessageEvent(From&& from, Name&& name, Body&& body)
      : from(std::forward<From>(from)),
        name(std::forward<Name>(name)),
        body(std::forward<Body>(body)) {}

  PID from;
  std::string name;
  std::string body;
};

// A linked process terminated or its connection broke.
struct ExitedEvent {
  PID pid;
  ExitReason reason;
};

// A timer of the process fell due (it may have been cancelled since).
struct TimerEvent {
  std::uint64_t timer;
};

// An HTTP request for one of the process's routes.
struct HttpEvent {
  std::shared_ptr<const http::Request> request;
  http::Responder respond;
};

// A typed call (dispatch) to run on the process. If the process terminates first, the call is
// dropped unrun, and its promise fails when the call is destroyed.
struct CallEvent {
  std::function<void(Process&)> call;
};

// The reply to an ask that one of the process's tasks opened (Replies): the process completes
// the ask's future, and a step of its own waiting for it runs at once, in this event. Dropped
// unhandled (the process terminated), it completes the future where it is dropped: a holder of a
// copy never waits for ever.
struct ReplyEvent {
  // The reply is taken from the message that brought it, without an intermediate Message.
  ReplyEvent(Promise<Message> promise, MessageEvent&& message)
      : promise(std::move(promise)),
        reply{std::move(message.from), std::move(message.name), std::move(message.body)} {}
  ReplyEvent(ReplyEvent&& other) noexcept
      : promise(std::exchange(other.promise, std::nullopt)), reply(std::move(other.reply)) {}
  ReplyEvent& operator=(ReplyEvent&& other) noexcept {
    if (promise) complete_unhandled();
    promise = std::exchange(other.promise, std::nullopt);
    reply = std::move(other.reply);
    return *this;
  }
  ~ReplyEvent() {
    if (promise) complete_unhandled();
  }

  // Completes the future with the reply, once.
  void complete() {
    if (auto taken = std::exchange(promise, std::nullopt)) taken->set_value(std::move(reply));
  }

  // Completes the future of an event dropped unhandled (its process terminated, or it is
  // overwritten); what a callback of the future throws is logged: nothing can take it here.
  void complete_unhandled() noexcept;

  std::optional<Promise<Message>> promise;  // none once completed or moved from
  Message reply;
};

// Run initialize(); always the first event of a process.
struct InitializeEvent {};

// Run finalize() and terminate.
struct TerminateEvent {};

using Event = std::variant<MessageEvent, ExitedEvent, InitializeEvent, TerminateEvent, TimerEvent,
                           HttpEvent, CallEvent, ReplyEvent>;

}  // namespace compactor::runtime
