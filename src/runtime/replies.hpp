// SPDX-License-Identifier: Apache-2.0
#pragma once
// The asks a context has in flight (Process::ask), each known by the fresh id its request was
// sent from, "__req_res__(N)" as libprocess's ReqResProcess names them, and completed by the
// first message sent to that id. No process is spawned per ask: a message for an id that no
// process has is looked up here before it is dropped.

#include "runtime/event.hpp"

#include <compactor/ask.hpp>
#include <compactor/clock.hpp>
#include <compactor/detail/string_map.hpp>

#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace compactor::runtime {

class Replies {
 public:
  // A new ask: its id, and the future of its reply.
  struct Opened {
    std::string id;
    Future<Message> reply;
  };
  Opened open(const PID& target);
  // The clock timer that ends the ask `id` (cancelled when the reply comes first).
  void set_timer(std::string_view id, Clock& clock, Clock::TimerId timer);

  enum class Answer { answered, late, unknown };
  // A message for `receiver`: the reply of its ask (answered), one for an ask that ended (late:
  // dropped, the caller counts it), or for no ask at all (unknown).
  Answer answer(std::string_view receiver, MessageEvent& message);

  // Ends the ask `id` with `error` (AskTimeout, ...), if it is still in flight.
  template <class Error>
  void fail(std::string_view id, Error error) {
    if (auto ended = take(id)) ended->promise.fail(std::move(error));
  }

  // Ends with PeerExited(`why`) the asks in flight to `target` (a process that terminated), or
  // to any process at `address` (its context's connection broke or could not be made).
  void peer_exited(const PID& target, std::string_view why);
  void peer_exited(const Address& address, std::string_view why);

 private:
  struct Pending {
    Promise<Message> promise;
    PID target;
    Clock* clock = nullptr;
    Clock::TimerId timer = 0;
  };
  // Ends with PeerExited the asks whose target `gone` says is gone.
  template <class Gone>
  void fail_where(Gone gone, std::string_view why);
  // Removes the ask `id`, cancelling its timer (outside the lock: a timer that is running may
  // be waiting for it).
  std::optional<Pending> take(std::string_view id);

  std::mutex mutex_;
  detail::StringMap<Pending> pending_;
  std::uint64_t next_ = 1;  // the N of the next id; ids below it were issued
};

}  // namespace compactor::runtime
