// SPDX-License-Identifier: Apache-2.0
#pragma once
// The asks a context has in flight (Process::ask), each known by the fresh id its request was
// sent from, "__req_res__(N)" as libprocess's ReqResProcess names them, and completed by the
// first message sent to that id. No process is spawned per ask: a message for an id that no
// process has is looked up here before it is dropped.
//
// One clock timer serves all the asks: it is armed for the earliest deadline, and each time it
// fires it ends the asks that are due and arms itself for the next. An answered ask leaves its
// deadline behind, skipped when it comes up; the deadlines are compacted when more than half of
// them are such leftovers, so that memory follows the asks in flight, not the ask rate. A new ask
// re-arms the timer only if it ends before the one armed: a timer that fires for an answered
// ask finds nothing due and arms itself for the next (about once per timeout).
//
// An ask is opened by a worker and answered by another thread: both hold the lock for a few
// table operations. An answered ask's node is kept, under that lock, for the next ask: no
// malloc or free per ask (and no free of a node another thread allocated, which is slow).

#include "core/spin_lock.hpp"
#include "runtime/event.hpp"
#include "util/cache_line.hpp"

#include <compactor/ask.hpp>
#include <compactor/clock.hpp>

#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace compactor::runtime {

class ProcessRecord;

class Replies : public std::enable_shared_from_this<Replies> {
 public:
  // At most `limit` asks in flight.
  Replies(Clock& clock, std::size_t limit) : clock_(clock), limit_(limit) {
    spare_.reserve(kSpareNodes);
  }

  // A new ask to `target`, ending with AskTimeout after `timeout`: the N of its id
  // "__req_res__(N)", and the future of its reply; none if `limit` asks are in flight. Its reply
  // completes the future in `home`'s mailbox (a ReplyEvent), where the task that asked waits,
  // or where it arrives if `home` is none or gone.
  struct Opened {
    std::uint64_t number;
    Future<Message> reply;
  };
  std::optional<Opened> open(const PID& target, Clock::duration timeout,
                             std::weak_ptr<ProcessRecord> home);

  enum class Answer { answered, late, unknown };
  // A message for `receiver`: the reply of its ask (answered), one for an ask that ended (late:
  // dropped, the caller counts it), or for no ask at all (unknown).
  Answer answer(std::string_view receiver, MessageEvent& message);

  // Ends the ask N with `error` (PeerExited, ...), if it is still in flight.
  template <class Error>
  void fail(std::uint64_t number, Error error) {
    std::optional<Promise<Message>> ask;
    {
      std::lock_guard lock(mutex_);
      ask = take_locked(number);
    }
    if (ask) ask->fail(std::move(error));
  }

  // Ends with PeerExited(`why`) the asks in flight to `target` (a process that terminated), or
  // to any process at `address` (its context's connection broke or could not be made).
  void peer_exited(const PID& target, std::string_view why);
  void peer_exited(const Address& address, std::string_view why);

  // "__req_res__(N)", the id an ask's request is sent from.
  static std::string id_of(std::uint64_t number) {
    std::string id;
    id.reserve(detail::ask_id_prefix.size() + 21);
    append_id(id, number);
    return id;
  }
  // Appends it to `out`: a std::string, or a buffer on the stack (fmt::basic_memory_buffer).
  template <class Out>
  static void append_id(Out& out, std::uint64_t number) {
    constexpr std::string_view prefix = detail::ask_id_prefix;
    char digits[24];
    char* end = std::to_chars(digits, digits + sizeof digits - 1, number).ptr;
    *end++ = ')';
    out.append(prefix.data(), prefix.data() + prefix.size());
    out.append(digits, end);
  }

 private:
  struct Pending {
    Promise<Message> promise;
    std::weak_ptr<ProcessRecord> home;
    PID target;
    Clock::duration timeout;
    Clock::time_point deadline;
  };
  // Enough for the asks a busy process keeps in flight; more are freed as they end.
  static constexpr std::size_t kSpareNodes = 256;
  struct Deadline {
    Clock::time_point when;
    std::uint64_t number;
    bool operator>(const Deadline& other) const { return when > other.when; }
  };

  // Removes the ask N and gives its promise; nothing if it ended. Under mutex_. `home`, if given,
  // gets the ask's home.
  std::optional<Promise<Message>> take_locked(std::uint64_t number,
                                              std::weak_ptr<ProcessRecord>* home = nullptr);
  // Ends the asks that are due, then arms the timer for the next deadline (the timer's callback).
  void expire();
  void schedule(Clock::time_point when);
  // Ends with PeerExited the asks whose target `gone` says is gone.
  void fail_where(const std::function<bool(const PID&)>& gone, std::string_view why);

  Clock& clock_;
  const std::size_t limit_;
  // Held for a few map and heap operations by the asking worker and the I/O thread answering:
  // a spin lock, as sleeping in the kernel on contention costs more than the wait. Never held
  // while a promise completes or the clock is called. What it guards starts a cache line: no
  // other object's writes take that line from the two threads.
  alignas(util::kCacheLine) core::SpinLock mutex_;
  using Table = std::unordered_map<std::uint64_t, Pending>;
  Table pending_;
  std::vector<Table::node_type> spare_;  // answered asks' nodes, at most kSpareNodes
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::optional<Clock::time_point> armed_for_;  // the earliest time a timer is set for
  std::uint64_t next_ = 1;                      // the N of the next id; ids below it were issued
};

}  // namespace compactor::runtime
