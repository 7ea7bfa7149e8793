// SPDX-License-Identifier: Apache-2.0
#pragma once
// A beacon group over a Serf gossip cluster, through the local `serf agent`'s RPC port, as
// asyncactor's Serf back-end uses it: members' payloads travel as Serf user events.

#include <compactor/beacon/channel.hpp>
#include <compactor/clock.hpp>
#include <compactor/export.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace compactor::beacon {

/// Where the Serf agent's RPC is, and how the group's user events are named.
struct SerfOptions {
  std::string host = "127.0.0.1";  ///< the agent's -rpc-addr
  std::uint16_t port = 7373;       ///< its RPC port
  /// The user-event name: asyncactor's topic parts joined with '.', e.g. "demo.actor". No ','.
  std::string name;
  std::string auth_key;  ///< for an agent started with -rpc-auth
  /// The agent's UserEventSizeLimit (Serf's default: 512 bytes). The agent applies it to the
  /// event as it encodes it, so name and payload get about 40 bytes less.
  std::size_t event_size_limit = 512;
  /// How long open() waits for the agent to accept the event stream.
  std::chrono::milliseconds open_timeout{10'000};
  /// Reconnection after the agent restarts: from `reconnect_min`, doubling to the max.
  ///@{
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{30'000};
  ///@}
  Clock* clock = nullptr;  ///< for the back-off; none: Clock::system()
};

/// The channel; open() throws std::runtime_error naming the agent if it cannot stream in time.
/// send() throws std::length_error before sending an event the agent would refuse as too large, and
/// std::runtime_error while the agent is away; a lost agent is reported down (StatusListener),
/// reconnected with back-off, re-streamed and reported up.
COMPACTOR_API std::unique_ptr<Channel> serf_channel(SerfOptions options);

}  // namespace compactor::beacon
