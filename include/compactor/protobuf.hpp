// SPDX-License-Identifier: Apache-2.0
#pragma once
// Processes that speak protobuf messages, as libprocess's ProtobufProcess does: the message name
// on the wire is the protobuf full type name, the body the serialized message, nothing more.

#include <compactor/export.hpp>
#include <compactor/process.hpp>

#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <functional>
#include <string>
#include <type_traits>

namespace compactor {

/// A Process whose handlers take protobuf messages (libprocess's ProtobufProcess): install(&T::f)
/// with f(const PID&, const M&), send(pid, message), reply(message).
class COMPACTOR_API ProtobufProcess : public Process {
 public:
  using Process::Process;

  /// Sends `message` to `to`, named by its full type name (e.g. "mesos.internal.Ping").
  void send(const PID& to, const google::protobuf::Message& message) const;
  using Process::send;

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
                       if (!message->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
                         malformed(from, M::descriptor()->full_name(), body.size(),
                                   "not a valid protobuf message of that type");
                         return;
                       }
                       const Sender sender(*this, from);
                       handler(from, *message);
                     });
  }

  /// Installs a member function of the derived class for messages of type M.
  template <class Derived, class M>
  void install(void (Derived::*method)(const PID& from, const M& message)) {
    auto* self = static_cast<Derived*>(this);
    install<M>(
        [self, method](const PID& from, const M& message) { (self->*method)(from, message); });
  }
  using Process::install;

  /// Sends `message` to the sender of the message being handled. Throws std::logic_error outside a
  /// protobuf handler, or when that message came without a sender PID.
  void reply(const google::protobuf::Message& message) const;

 private:
  /// Remembers whom reply() answers while a handler runs.
  class Sender {
   public:
    Sender(ProtobufProcess& process, const PID& from) : process_(process) {
      process_.current_sender_ = &from;
    }
    ~Sender() { process_.current_sender_ = nullptr; }

   private:
    ProtobufProcess& process_;
  };

  const PID* current_sender_ = nullptr;
};

}  // namespace compactor
