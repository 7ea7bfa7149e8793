// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a beacon group member reports, with asyncactor's meaning and timing.

#include <compactor/beacon/config.hpp>
#include <compactor/beacon/value.hpp>

#include <string>
#include <variant>
#include <vector>

namespace compactor::beacon {

/// This member holds the tag ("somewhat-leader"), G after its accepted ping.
struct TagEvent {
  std::string node;  ///< This member's name.
  Value value;       ///< The value its pings carry.
};

/// This member no longer holds the tag.
struct UntagEvent {};

/// This member lost the tag to a colliding ping with priority.
struct DetagEvent {
  std::string winner;  ///< The member whose ping won.
};

/// One per cycle, 2G after the cycle's first ping arrived: who holds the tag now.
struct PingEvent {
  std::string node;                  ///< The tag holder.
  Value value;                       ///< The value its ping carried.
  std::vector<std::string> history;  ///< The history its ping carried, newest first.
};

/// This member is not ready (nil value) and a ready member spoke; the ready nodes it named.
struct GoodNodeEvent {
  std::vector<std::string> nodes;  ///< The ready nodes the ping named.
};

/// A split healed or a newcomer appeared: this member's position in its old history, whether the
/// other side's history replaced it, and both histories.
struct RecoverEvent {
  int prio = 0;                           ///< This member's position in its old history.
  bool replace = false;                   ///< The other side's history replaced this one's.
  std::vector<std::string> local_nodes;   ///< This side's history.
  std::vector<std::string> remote_nodes;  ///< The other side's history.
};

/// A higher-version configuration was adopted.
struct SetupEvent {
  Config config;  ///< The configuration now in force.
};

/// Every payload received, before parsing (only when asked for).
struct RawEvent {
  std::string payload;  ///< As the channel delivered it (msgpack).
};

/// Fatal for asyncactor, reported here: another member uses this name (our `init` came back twice),
/// or our own `init` never came back (the channel does not echo). The member stops.
struct ErrorEvent {
  /// The kinds of fatal error.
  enum class Kind {
    duplicate_name,  ///< Another member uses this name.
    no_echo,         ///< The channel does not deliver our own messages back.
  };
  Kind kind = Kind::no_echo;  ///< What went wrong.
  std::string detail;         ///< What was seen, for a log line.
};

/// Not in asyncactor: a node spoke for the first time, or again after it was reported gone.
struct JoinEvent {
  std::string node;  ///< Its name.
};

/// Not in asyncactor: a node was silent for the member's `gone_after_cycles` (in seconds here).
/// Members on the history take turns, so a live one speaks at least once per rotation, and while
/// the history has free places a member off it gets back on within a few cycles. A member pushed
/// off a full history (a group larger than `nodes`) speaks only when it gets back on, so it may
/// be reported gone alive. While this member's channel is down it hears nobody: the others may be
/// reported gone, and join again after it is back.
struct GoneEvent {
  std::string node;       ///< Its name.
  double silent_for = 0;  ///< Seconds since it last spoke.
};

/// Not in asyncactor: the channel lost its broker or agent (up = false; it reconnects by itself)
/// or has it again. While it is down the member steps down (UntagEvent if it held the tag) and
/// sends no ping; once up it listens for a cycle, then takes its turns again.
struct ChannelEvent {
  bool up = false;     ///< True when the broker or agent is back.
  std::string detail;  ///< What the channel said (the broker's error, say).
};

/// Whatever a Member reports (Member::Options::on_event, Member::next_event).
using Event = std::variant<TagEvent, UntagEvent, DetagEvent, PingEvent, GoodNodeEvent, RecoverEvent,
                           SetupEvent, RawEvent, ErrorEvent, JoinEvent, GoneEvent, ChannelEvent>;

}  // namespace compactor::beacon
