// SPDX-License-Identifier: Apache-2.0
#pragma once
// One instance of a process in a whole beacon group, started where the tag is when nobody runs
// it, found by name, and numbered by an epoch that only grows across hand-overs.

#include <compactor/export.hpp>
#include <compactor/pid.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace compactor {
class Context;
class Process;
}  // namespace compactor

namespace compactor::beacon {

class Member;
class Names;

/// An instance of a singleton started or stopped on this member.
struct SingletonEvent {
  /// What happened.
  enum class Kind {
    started,  ///< This member runs the instance now.
    stopped,  ///< It stopped (see `why`).
  };
  Kind kind = Kind::started;  ///< What happened.
  std::string name;           ///< The singleton's name (and its process's id).
  std::uint64_t epoch = 0;    ///< The instance's epoch: higher than any earlier instance's.
  PID pid;                    ///< The instance's PID.
  std::string why;            ///< For `stopped`: "outbid by m2 (epoch 8)", "channel down: ...".
};

/// How a singleton runs.
struct SingletonOptions {
  std::function<void(const SingletonEvent&)> on_event{};  ///< Told of each start and stop.
};

/// Runs the process `factory` makes on this member's context while this member holds the
/// singleton: it claims it when it holds the group's tag and nobody holds the name (as far as it
/// knows), publishes the name with a new epoch (Names), and keeps it until it is outbid (another
/// member published the name with a higher epoch: the other side of a healed partition), its
/// channel goes down (a member cut off from the group stops within the channel's detection
/// time), or this object goes. A member that dies loses it with its names (at once on MQTT).
///
/// The beacon's tag moves round the members every cycle; the singleton does not follow it: it
/// stays where it started while that member lives and is connected, and the next tag holder
/// claims it only when it is vacant.
///
/// Guarantees, and their limits: while the group is connected, at most one member claims a
/// vacant singleton per cycle and the others learn of it before they hold the tag, so one
/// instance runs at a time. The group is not consensus: each side of a partition can run one;
/// after the heal the one with the lower epoch stops. Every start's epoch is above every epoch
/// the starting member heard of for the name, and members answer a newcomer's question with the
/// highest they know, so a client that remembers the highest epoch it saw can refuse requests
/// from a deposed instance (fencing).
///
/// @note Thread-safe; the factory and on_event run on the member's event thread.
class COMPACTOR_API Singleton {
 public:
  /// Makes the instance with the given epoch; its id must be `name`.
  using Factory = std::function<std::unique_ptr<Process>(std::uint64_t epoch)>;

  /// The singleton `name` of `member`'s group (`names` on it), run on `context` when held here.
  /// `member`, `names` and `context` must outlive this object; `names` must be started.
  Singleton(Member& member, Names& names, Context& context, std::string name, Factory factory,
            SingletonOptions options = {});
  ~Singleton();  ///< stops the instance if it runs here, and gives the name up

  /// Not copyable: it owns the instance.
  Singleton(const Singleton&) = delete;
  Singleton& operator=(const Singleton&) = delete;

  /// The epoch of the instance running here, if one does.
  std::optional<std::uint64_t> running_epoch() const;

 private:
  class COMPACTOR_NO_EXPORT Driver;
  std::unique_ptr<Driver> driver_;
};

}  // namespace compactor::beacon
