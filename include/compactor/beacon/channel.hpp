// SPDX-License-Identifier: Apache-2.0
#pragma once
// The broadcast channel a beacon group runs on: MQTT, Serf, or the in-process LocalBus.

#include <compactor/export.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace compactor::beacon {

/// Every member, the sender included, receives every payload, in one order (asyncactor's
/// transport contract: a member detects its own start-up and duplicate names by its echo).
///
/// @note open(), send() and close() are called by one owner (a Member); the callbacks run on the
/// channel's own thread, one at a time.
class COMPACTOR_API Channel {
 public:
  /// Receives each payload, own ones included.
  using Receiver = std::function<void(std::string_view payload)>;
  /// Told when the channel goes down (broker gone, connection cut) or up again, with why.
  using StatusListener = std::function<void(bool up, std::string_view detail)>;

  virtual ~Channel() = default;

  /// Starts receiving; returns once payloads sent from now on will come back (MQTT: after SUBACK).
  virtual void open(Receiver receiver, StatusListener status) = 0;

  /// Broadcasts one payload. Throws std::length_error naming the limit when the channel cannot
  /// carry it (Serf: 512 bytes of name and payload by default).
  virtual void send(std::string_view payload) = 0;

  /// Stops receiving; no callback runs once it returned.
  virtual void close() = 0;

  /// Told before open() how long the group's cycles last at most, for a channel that watches its
  /// connection (MQTT: keep-alive and reconnect back-off) to find a cut, and a heal, within a
  /// cycle or two. The default ignores it.
  virtual void expect_cycle(std::chrono::milliseconds /*longest*/) {}

  /// For logs: "local:group", "mqtt://127.0.0.1:1883/a/b".
  virtual std::string describe() const = 0;

  /// A new channel of the same kind beside this one, for traffic the group's members must not
  /// see (a Python asyncactor member stops on a message it does not know): MQTT topic
  /// "<topic>/<suffix>", Serf user event "<name>.<suffix>", a lane of the same LocalBus that
  /// shares this channel's links and partition. The default throws std::logic_error.
  virtual std::unique_ptr<Channel> sibling(std::string_view suffix) const {
    throw std::logic_error(describe() + " has no sibling channel " + std::string(suffix));
  }

  /// A payload the channel's server sends for its owner when the connection ends without
  /// close(): a crash, a kill -9, a cut the server notices (MQTT's will). Call it before open().
  /// The default ignores it, as Serf and the LocalBus do: the group notices the silence later.
  virtual void set_farewell(std::string /*payload*/) {}
};

}  // namespace compactor::beacon
