// SPDX-License-Identifier: Apache-2.0
#pragma once
// Names across a beacon group: a process publishes a name, any member looks it up or watches it.

#include <compactor/beacon/channel.hpp>
#include <compactor/clock.hpp>
#include <compactor/export.hpp>
#include <compactor/future.hpp>
#include <compactor/pid.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace compactor::beacon {

class Member;

/// Who holds a name, as one member knows it.
struct NameHolder {
  PID pid;                  ///< The process the name stands for.
  std::string member;       ///< The group member that published it.
  std::uint64_t epoch = 0;  ///< Grows with every publication of the name that a member saw.
};

/// A name's holder changed: `holder` is the new one, or none when nobody holds it any more (it
/// was unpublished, its member left or was reported gone, or its channel's server saw it go).
struct NameEvent {
  std::string name;                  ///< The name watched.
  std::optional<NameHolder> holder;  ///< Its holder now; none: nobody.
};

/// What a lookup fails with when nobody holds the name within its timeout.
class COMPACTOR_API NameNotFound : public FutureFailed {
 public:
  using FutureFailed::FutureFailed;
};

/// How a member's names run.
struct NamesOptions {
  Clock* clock = nullptr;  ///< none: Clock::system(); the member's ManualClock in tests
  /// A lookup of an unknown name asks the group at once, then again after this, doubling up to
  /// the group's longest cycle, until its timeout.
  std::chrono::milliseconds ask_again{1'000};
  /// A holder says again what it holds every this many of the group's longest cycles, so that
  /// two holders of one name (a short partition, each side publishing) find out; 0: never.
  double refresh_cycles = 10;
};

/// The names of a beacon group, on a sibling of the group's channel (Channel::sibling("names")):
/// the group's own traffic stays asyncactor's, byte for byte, so Python members keep working.
///
/// A name is held by at most one member at a time as each member sees it: a publication carries
/// an epoch one above the highest this member saw for the name, and the highest epoch wins (on a
/// tie, the greater member name), so after a partition heals every member settles on one holder.
/// A holder that is outbid loses the name (a NameEvent on its own watches). Members keep what
/// they heard; a lookup of an unknown name asks, and only the holder answers; an idle group sends
/// one message per name every `refresh_cycles` cycles, and one per name when a member comes
/// back after being reported gone. A name disappears when its holder unpublishes it, stops, is
/// reported gone by the group (Member's GoneEvent), cannot be reached from this member's
/// context (NameLinks), drops off its channel's server (MQTT: the
/// broker sends the member's will at once on a crash or kill -9), or, for a name published with
/// a lease, stops repeating it (any channel; its holder forgets it too when cut off).
///
/// Watch callbacks run one at a time, in order, on the thread that caused them (the channel's,
/// the clock's, a caller's), holding no lock; they must not block.
///
/// @note All member functions are thread-safe.
class COMPACTOR_API Names {
 public:
  /// The names of `member`'s group on `channel` (a sibling of the member's channel, made before
  /// the member took it). start() starts them; `member` must outlive this object.
  Names(Member& member, std::unique_ptr<Channel> channel, NamesOptions options = {});
  ~Names();  ///< stops

  /// Not copyable: it owns a channel and timers.
  Names(const Names&) = delete;
  Names& operator=(const Names&) = delete;

  /// Opens the channel (throws what its open() throws) and starts answering.
  void start();
  /// Says goodbye (every name this member holds disappears), closes the channel, and fails the
  /// lookups still waiting. Idempotent.
  void stop();

  /// Publishes `name` as `pid`, held by this member; returns its epoch. With a `lease`, this
  /// member repeats the publication every third of it, and every member forgets the name when
  /// no repetition came within it, this one as well when its own did not come back through the
  /// channel: a holder that vanishes, or is cut off, loses the name within the lease on any
  /// channel (Singleton's instances hold their names so). Without, it is held until unpublished
  /// or its member goes.
  std::uint64_t publish(const std::string& name, const PID& pid,
                        Clock::duration lease = Clock::duration::zero());
  /// Withdraws `name` if this member holds it.
  void unpublish(const std::string& name);

  /// The holder of `name` as this member knows it now, without asking anyone.
  std::optional<NameHolder> find(const std::string& name) const;
  /// The PID of `name`: at once if known, else after asking the group; fails with NameNotFound
  /// after `timeout`, or with FutureFailed once stopped.
  Future<PID> lookup(const std::string& name, Clock::duration timeout);

  /// Identifies a watch, for unwatch().
  using WatchId = std::uint64_t;
  /// Calls `callback` with the holder of `name` now if one is known, then at every change;
  /// asks the group if none is known.
  WatchId watch(const std::string& name, std::function<void(const NameEvent&)> callback);
  /// Calls `callback` with every holder known now, then at every change of any name; asks
  /// nobody (NameLinks follows every holder so).
  WatchId watch_all(std::function<void(const NameEvent&)> callback);
  /// Ends a watch; once it returns, the callback is not running (unless it is the caller).
  void unwatch(WatchId id);

  /// Forgets, on this member only, every name held as `pid`, whose context cannot be reached
  /// from here (NameLinks calls it when the connection to it breaks); they come back when their
  /// holder says them again (an answer to an ask, a refresh, a member's return).
  void forget(const PID& pid);

  /// Messages on the names channel that were not name messages, or were malformed (logged the
  /// first time and then at each power of two).
  std::uint64_t ignored_messages() const;

 private:
  class COMPACTOR_NO_EXPORT Driver;
  std::unique_ptr<Driver> driver_;
};

}  // namespace compactor::beacon
