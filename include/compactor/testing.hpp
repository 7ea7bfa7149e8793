// SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers in the spirit of libprocess's FUTURE_MESSAGE, DROP_MESSAGE and FUTURE_EXITED:
// futures of what a context's processes are about to receive, and dropping on purpose.

#include <compactor/context.hpp>
#include <compactor/export.hpp>
#include <compactor/future.hpp>
#include <compactor/pid.hpp>

#include <memory>
#include <optional>
#include <string>

namespace compactor::testing {

/// A message as a process would get it.
struct Message {
  PID from;          ///< the sender
  PID to;            ///< the receiver
  std::string name;  ///< the message name
  std::string body;  ///< the body
};

/// Watches every event that enters a mailbox of `context`, local or from the network.
/// Expectations are matched in the order they were made; each is satisfied once.
///
/// @note One watch per context at a time; it must not outlive the context.
class COMPACTOR_API MessageWatch {
 public:
  /// Starts watching `context`'s mailboxes.
  explicit MessageWatch(Context& context);
  ~MessageWatch();

  MessageWatch(const MessageWatch&) = delete;
  MessageWatch& operator=(const MessageWatch&) = delete;

  /// The next message named `name` (to `to`, if given); it is still delivered.
  Future<Message> expect(std::string name, std::optional<PID> to = std::nullopt);
  /// As expect(), but the message is not delivered.
  Future<Message> drop(std::string name, std::optional<PID> to = std::nullopt);
  /// Every message named `name` is dropped from now on (the count so far: dropped()).
  void drop_all(std::string name);
  /// How many messages the watch dropped.
  std::size_t dropped() const;
  /// The next `exited(pid)` delivered to `linker`.
  Future<Nothing> expect_exited(const PID& linker, const PID& pid);

  class COMPACTOR_NO_EXPORT State;

 private:
  Context& context_;
  std::shared_ptr<State> state_;
};

}  // namespace compactor::testing
