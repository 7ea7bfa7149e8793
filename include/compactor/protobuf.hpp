// SPDX-License-Identifier: Apache-2.0
#pragma once
// Processes that speak protobuf messages, as libprocess's ProtobufProcess does: the message name
// on the wire is the protobuf full type name, the body the serialized message, nothing more.

#include <compactor/export.hpp>
#include <compactor/process.hpp>
#include <compactor/task.hpp>

#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace compactor {

namespace detail {
// The message as a body (std::invalid_argument if it cannot be: required fields unset).
COMPACTOR_API std::string serialize(const google::protobuf::Message& message);
// Parses an ask's `answer` into `reply`; FutureFailed if it is another message or does not parse.
COMPACTOR_API void parse_reply(const Message& answer, google::protobuf::Message& reply);
}  // namespace detail

/// Asks `to` with `request` from `asker` (Process::ask, the request named by its full type name)
/// and gives the reply as a Reply. Fails as Process::ask does (AskTimeout, PeerExited), and with
/// FutureFailed when the reply is another message or does not parse as a Reply.
template <class Reply, class Request>
Future<Reply> ask(Process& asker, const PID& to, const Request& request, Clock::duration timeout) {
  static_assert(std::is_base_of_v<google::protobuf::Message, Reply>,
                "Reply must be a protobuf message");
  static_assert(std::is_base_of_v<google::protobuf::Message, Request>,
                "Request must be a protobuf message");
  return asker.ask(to, Request::descriptor()->full_name(), detail::serialize(request), timeout)
      .then([](const Message& answer) {
        Reply reply;
        detail::parse_reply(answer, reply);
        return reply;
      });
}

/// A protobuf handler that is a coroutine: `(const PID& from, const M& message) -> Task<>`.
template <class F, class M>
concept ProtobufCoroutineHandler = std::is_invocable_r_v<Task<>, F&, const PID&, const M&>;

/// A Process whose handlers take protobuf messages (libprocess's ProtobufProcess): install(&T::f)
/// with f(const PID&, const M&), a plain function or a coroutine returning Task<>;
/// send(pid, message), reply(message), and ask<Reply>(pid, request, timeout).
class COMPACTOR_API ProtobufProcess : public Process {
 public:
  using Process::Process;

  /// Sends `message` to `to`, named by its full type name (e.g. "mesos.internal.Ping").
  void send(const PID& to, const google::protobuf::Message& message) const;
  using Process::send;

  /// Asks `to` with `request` (Process::ask, named by its full type name) and gives the reply as
  /// a Reply. Fails as Process::ask does (AskTimeout, PeerExited), and with FutureFailed when the
  /// reply is another message or does not parse as a Reply.
  template <class Reply, class Request>
  Future<Reply> ask(const PID& to, const Request& request, Clock::duration timeout) {
    return compactor::ask<Reply>(*this, to, request, timeout);
  }
  using Process::ask;

 protected:
  /// Installs `handler` for messages of type M. A body that does not parse as an M is logged
  /// with its sender and type, counted (ContextStats::messages_malformed) and dropped.
  template <class M>
  void install(std::function<void(const PID& from, const M& message)> handler) {
    static_assert(std::is_base_of_v<google::protobuf::Message, M>, "M must be a protobuf message");
    Process::install(M::descriptor()->full_name(),
                     [this, handler = std::move(handler)](const PID& from, std::string_view body) {
                       // One arena per message, starting on the stack: a small message costs no
                       // allocation, a large one a few blocks instead of one per sub-message.
                       alignas(std::max_align_t) char first_block[2048];
                       google::protobuf::ArenaOptions options;
                       options.initial_block = first_block;
                       options.initial_block_size = sizeof(first_block);
                       google::protobuf::Arena arena(options);
                       auto* message = google::protobuf::Arena::CreateMessage<M>(&arena);
                       if (parse(from, body, *message)) handler(from, *message);
                     });
  }

  /// Installs a coroutine for messages of type M: each message launches it (Process::launch)
  /// with `from` and the message valid until it finishes; reply() answers that message's sender,
  /// also after a co_await. A body that does not parse is dropped as above.
  template <class M, ProtobufCoroutineHandler<M> Coroutine>
  void install(Coroutine coroutine) {
    static_assert(std::is_base_of_v<google::protobuf::Message, M>, "M must be a protobuf message");
    Process::install(M::descriptor()->full_name(), [this, coroutine = std::move(coroutine)](
                                                       const PID& from, std::string_view body) {
      M message;
      if (parse(from, body, message)) {
        launch_keeping_sender(run_protobuf_handler(coroutine, from, std::move(message)));
      }
    });
  }

  /// Installs a member function of the derived class for messages of type M.
  template <class Derived, class M>
  void install(void (Derived::*method)(const PID& from, const M& message)) {
    auto* self = static_cast<Derived*>(this);
    install<M>(
        [self, method](const PID& from, const M& message) { (self->*method)(from, message); });
  }

  /// Installs a coroutine member function of the derived class for messages of type M.
  template <class Derived, class M>
  void install(Task<> (Derived::*method)(const PID& from, const M& message)) {
    auto* self = static_cast<Derived*>(this);
    install<M>([self, method](const PID& from, const M& message) -> Task<> {
      return (self->*method)(from, message);
    });
  }
  using Process::install;

  /// Sends `message` to the sender of the message being handled (current_sender()), also from a
  /// coroutine handler after a co_await. Throws std::logic_error where there is none (outside a
  /// handler or a task it launched), or when that message came without a sender PID.
  void reply(const google::protobuf::Message& message) const;

 private:
  // Parses `body` into `message`; false (logged, counted as malformed) if it is not one.
  bool parse(const PID& from, std::string_view body, google::protobuf::Message& message);

  // A coroutine handler's task: it owns a copy of the handler, the sender and the message.
  template <class Coroutine, class M>
  static Task<> run_protobuf_handler(Coroutine coroutine, PID from, M message) {
    co_await detail::RememberSender{&from};
    co_await coroutine(from, message);
  }
};

}  // namespace compactor
