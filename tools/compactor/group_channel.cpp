// SPDX-License-Identifier: Apache-2.0
// Where a beacon group is, as `group` and `lookup` take it on the command line.

#include "commands.hpp"

#include <compactor/beacon/mqtt_channel.hpp>
#include <compactor/beacon/serf_channel.hpp>

#include <algorithm>
#include <stdexcept>

namespace compactor::tool {
namespace {

Address parse_address(const std::string& text, const char* flag) {
  try {
    return Address::parse(text);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(std::string(flag) + " wants HOST:PORT: " + error.what());
  }
}

}  // namespace

void GroupChannelFlags::add_to(CLI::App& command) {
  auto* on_mqtt = command.add_option("--mqtt", mqtt, "MQTT broker HOST:PORT");
  auto* on_serf = command.add_option("--serf", serf, "Serf agent RPC HOST:PORT");
  on_mqtt->excludes(on_serf);
  command.add_option("--mqtt-ca", mqtt_ca, "TLS to the broker: its CA file (PEM)")->needs(on_mqtt);
  command.add_option("--mqtt-cert", mqtt_cert, "with --mqtt-ca: a client certificate (PEM)")
      ->needs(on_mqtt);
  command.add_option("--mqtt-key", mqtt_key, "with --mqtt-cert: its key (PEM)")->needs(on_mqtt);
  command.add_option("--topic", topic, "the group's topic, e.g. demo/actor")->required();
}

std::unique_ptr<beacon::Channel> GroupChannelFlags::open() const {
  if (mqtt.empty() == serf.empty()) {
    throw std::invalid_argument("a group needs --mqtt HOST:PORT or --serf HOST:PORT");
  }
  if (!mqtt.empty()) {
    const auto address = parse_address(mqtt, "--mqtt");
    beacon::MqttOptions options;
    options.host = address.ip;
    options.port = address.port;
    options.topic = topic;
    options.ca_file = mqtt_ca;
    options.cert_file = mqtt_cert;
    options.key_file = mqtt_key;
    return beacon::mqtt_channel(options);
  }
  const auto address = parse_address(serf, "--serf");
  beacon::SerfOptions options;
  options.host = address.ip;
  options.port = address.port;
  options.name = topic;  // asyncactor joins the topic parts with '.' for Serf
  std::replace(options.name.begin(), options.name.end(), '/', '.');
  return beacon::serf_channel(options);
}

}  // namespace compactor::tool
