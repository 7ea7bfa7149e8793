// SPDX-License-Identifier: Apache-2.0
#pragma once
// A member of a beacon group: the asyncactor algorithm running on a channel, in real time.

#include <compactor/beacon/channel.hpp>
#include <compactor/beacon/config.hpp>
#include <compactor/beacon/events.hpp>
#include <compactor/beacon/member_info.hpp>
#include <compactor/beacon/value.hpp>
#include <compactor/clock.hpp>
#include <compactor/export.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace compactor::beacon {

class BeaconState;

/// Runs the asyncactor algorithm on a channel and a clock: payloads from the channel and the
/// clock's timer callbacks go in, broadcasts go out on the channel, events come out.
///
/// Events: `on_event` (if set) is called for each, in order, one call at a time, holding no lock,
/// on the thread that caused it (the channel's, the clock's, or a caller of enable/disable) or
/// on one that is delivering earlier events at that moment. It must not block, and it may call
/// the Member (set_value, disable, holder(), ...): the events that causes come after it returns.
/// Each is also queued for next_event(). The queue holds at most `max_queued_events`; when a slow
/// reader lets it fill up, the oldest event is dropped and counted (dropped_events()), so the
/// algorithm never stalls on its reader, unlike asyncactor, whose timing suffers when the reader is
/// slow.
///
/// @note All member functions are thread-safe.
class COMPACTOR_API Member {
 public:
  /// How a member takes part.
  struct Options {
    Config config{};  ///<  The group's timings and sizes (asyncactor's config), as all its members
                      ///<  use them.
    bool enabled =
        true;  ///<  False: passive, never pings (never holds the tag) but reports PingEvents.
    bool send_raw = false;                ///<  Also report every payload as a RawEvent.
    std::optional<std::uint64_t> seed{};  ///< of the random source; none: from std::random_device
    std::function<void(const Event&)>
        on_event{};  ///<  Called for each event (see above); none: only next_event().
    std::size_t max_queued_events =
        1024;  ///<  Bound of next_event()'s queue; the oldest event goes first.
    /// A GoneEvent after this many cycles of silence (C + 2.5 G each, the longest a cycle lasts);
    /// keep it above `nodes`, as history members take turns. 0: no Join/Gone events.
    double gone_after_cycles = 12;
    Clock* clock = nullptr;  ///< none: Clock::system(); a ManualClock makes a run reproducible
  };

  /// A member named `name` (unique in the group) on `channel`; start() starts it.
  Member(std::string name, std::unique_ptr<Channel> channel, Options options);
  ~Member();  ///< stops and closes the channel

  /// Not copyable: it owns a channel and timers.
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  /// Opens the channel and sends `init` and `vers`; the first ping follows the start-up delay.
  /// Throws what the channel's open() throws (no broker, no agent).
  void start();
  /// Stops the algorithm and closes the channel; idempotent.
  void stop();

  /// This member's name in the group.
  const std::string& name() const;
  /// Sets the value its pings carry (pid_value() for discovery); nil: not ready to hold the tag.
  void set_value(Value value);
  /// The value its pings carry.
  Value value() const;
  /// Says this member is ready to hold the tag even when the first node with a value is far back
  /// in the history (asyncactor's set_ready).
  void set_ready();
  /// Takes part again after disable(); `length`, if larger than the group's `nodes`, raises it
  /// (a new config version, broadcast).
  void enable(std::optional<long long> length = std::nullopt);
  /// Stops pinging (drops the tag, if held), keeping `length` names of history.
  void disable(std::optional<long long> length = 0);
  /// Broadcasts `config` to the group. Its version must be higher than the one in force
  /// (std::invalid_argument otherwise).
  void update_config(Config config);

  /// The group's configuration in force: Options::config, or a later version received.
  Config config() const;
  /// The names of the last pings' senders, newest first (asyncactor's history).
  std::vector<std::string> history() const;
  /// The value `node` last sent (nil if unknown).
  Value value_of(const std::string& node) const;
  /// True while this member holds the tag (the "somewhat-leader").
  bool tagged() const;
  /// The tag holder as far as this member knows (the last accepted ping's sender), if any.
  std::optional<std::string> holder() const;
  /// Every node this member heard from (not itself), by name.
  std::vector<MemberInfo> members() const;

  /// Identifies a subscription, for unsubscribe().
  using SubscriptionId = std::uint64_t;
  /// Calls `listener` for each event from now on, as `on_event` is called (after it): for the
  /// parts built on a member (Singleton) beside the application's own callback.
  SubscriptionId subscribe(std::function<void(const Event&)> listener);
  /// Ends a subscription; once it returns, the listener is not running (unless it is the caller).
  void unsubscribe(SubscriptionId id);

  /// The next event, waiting at most `timeout`.
  std::optional<Event> next_event(std::chrono::milliseconds timeout);
  /// How many events next_event()'s full queue dropped.
  std::uint64_t dropped_events() const;

  /// The channel as this member sees it: where it is ("mqtt://127.0.0.1:1883/topic"), whether it
  /// is up, and what it said when it last went down or up ("" until then).
  struct ChannelState {
    std::string address;  ///<  Where the channel is, as a URL.
    bool up = true;       ///<  False while the broker or agent is unreachable.
    std::string detail;   ///<  What the channel said when it last went down or up.
  };
  /// The channel's state now.
  ChannelState channel() const;

 private:
  class COMPACTOR_NO_EXPORT Driver;
  std::unique_ptr<Driver> driver_;
};

}  // namespace compactor::beacon
