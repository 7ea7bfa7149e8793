// SPDX-License-Identifier: Apache-2.0
#pragma once
// What members say about names, on the group channel's sibling ("<topic>/names"): never on the
// group's own channel, where a Python asyncactor member would stop on a message it does not know.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace compactor::beacon {

/// One message about names. msgpack, a map: {"names": kind, "member": ..., "name": ...,
/// "pid": ..., "epoch": ...}, the fields each kind needs.
struct NameMessage {
  enum class Kind {
    hold,    ///< `member` holds `name` as `pid` since `epoch` (a publication, or an answer).
    drop,    ///< `member` no longer holds `name` (the holding of `epoch`).
    ask,     ///< `member` wants to know who holds `name`: its holder answers with a hold.
    bye,     ///< `member` is leaving (or its channel's server saw it go): drop all its names.
    vacant,  ///< nobody holds `name` as `member` knows; `epoch` was its highest (an answer to
             ///< an ask, so that the next publication goes above every epoch used before).
  };
  Kind kind = Kind::ask;    ///< What it says.
  std::string member;       ///< Who says it: a group member's name.
  std::string name;         ///< The name it is about; empty for bye.
  std::string pid;          ///< With hold: the PID's text.
  std::uint64_t epoch = 0;  ///< With hold and drop.
  /// With hold: the holder repeats it within this many milliseconds, and members forget the
  /// name when it did not (a singleton's lease); 0: no lease, the field is left out.
  std::uint64_t lease_ms = 0;
  /// The sender's count of its messages, growing across its restarts; a message from `member`
  /// with a count not above the last one heard from it is late (Serf's gossip does not keep a
  /// sender's events in order) and is dropped. 0: unordered, always taken (a will).
  std::uint64_t seq = 0;
};

/// The message's bytes.
std::string encode(const NameMessage& message);

/// Why bytes are not a name message.
struct NameDecodeError {
  std::string reason;  ///< For a rate-limited log line.
};

/// The message in `payload`, or why it is none.
std::variant<NameMessage, NameDecodeError> decode_name_message(std::string_view payload);

}  // namespace compactor::beacon
