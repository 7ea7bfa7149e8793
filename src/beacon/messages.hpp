// SPDX-License-Identifier: Apache-2.0
#pragma once
// The four asyncactor messages and their msgpack wire form, byte for byte as asyncactor 0.24.0
// sends them: maps with str keys in the order of its attribute assignment.

#include <compactor/beacon/config.hpp>
#include <compactor/beacon/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace compactor::beacon {

// `init`: sent once at start-up; seeing one's own twice means a duplicate name.
struct InitMessage {
  std::string node;
};

// `vers`: the configuration; `node` is the original author (absent after update_config).
struct SetupMessage {
  std::optional<std::string> node;
  Config config;
};

// `ping`: the beacon. `history` starts with the sender.
struct PingMessage {
  std::string node;
  Value value;
  std::vector<std::string> history;
};

// `hist`: split recovery. Its node is history[0]; it has no `node` key on the wire.
struct HistoryMessage {
  Value value;
  std::vector<std::string> history;
};

using Message = std::variant<InitMessage, SetupMessage, PingMessage, HistoryMessage>;

// The node a message speaks for (empty for a `vers` without one).
std::string_view node_of(const Message& message);

// The msgpack bytes asyncactor would send for `message`.
std::string encode(const Message& message);

// Why a payload is not a message we accept.
struct DecodeError {
  std::string reason;
};

// Decodes one payload. Anything that would crash or confuse an asyncactor peer is an error:
// not msgpack, trailing bytes, not a map, non-str keys, unknown `t`, wrong field types, a `node`
// in `hist`, an empty history in `hist`, oversized containers.
std::variant<Message, DecodeError> decode(std::string_view payload);

}  // namespace compactor::beacon
