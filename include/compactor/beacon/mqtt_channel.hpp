// SPDX-License-Identifier: Apache-2.0
#pragma once
// A beacon group over an MQTT broker (mosquitto or any MQTT 3.1.1 broker), as asyncactor's MQTT
// back-end uses it: one topic, QoS 0, no retain, the broker echoing each member's messages.

#include <compactor/beacon/channel.hpp>
#include <compactor/export.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace compactor::beacon {

/// Where the MQTT broker is, and how to talk to it.
struct MqttOptions {
  std::string host = "127.0.0.1";  ///< The broker's host name or IP address.
  std::uint16_t port = 1883;       ///< The broker's port.
  /// asyncactor's topic parts joined with '/', e.g. "demo/actor".
  std::string topic;
  std::string client_id;  ///< empty: a random one (a clean session either way)
  /// MQTT keep-alive: a silent cut is found within about twice this. None: the group's longest
  /// cycle, at least 5 s (libmosquitto's least), or 60 s when no Member tells the cycle.
  std::optional<std::chrono::seconds> keepalive;
  std::string username;  ///< empty: no authentication
  std::string password;  ///< with `username`
  /// TLS: set ca_file (PEM) to speak TLS, the broker's certificate checked against it and its
  /// name against `host`; cert_file and key_file (PEM) give a client certificate, for a broker
  /// that requires one (mosquitto's require_certificate).
  ///@{
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  ///@}
  /// How long open() waits for the broker's SUBACK before it gives up.
  std::chrono::milliseconds open_timeout{10'000};
  /// Reconnection after a broker restart or a cut: from `reconnect_min`, doubling to the max.
  /// None: the group's longest cycle (so a member hears the group within a cycle or so of the
  /// heal), or 30 s when no Member tells the cycle.
  ///@{
  std::chrono::seconds reconnect_min{1};
  std::optional<std::chrono::seconds> reconnect_max;
  ///@}
};

/// The channel; open() throws std::runtime_error naming the broker if it cannot subscribe in
/// time. Afterwards a lost connection is reported down (StatusListener), retried with back-off,
/// re-subscribed and reported up; send() throws std::runtime_error while the broker is away.
COMPACTOR_API std::unique_ptr<Channel> mqtt_channel(MqttOptions options);

}  // namespace compactor::beacon
