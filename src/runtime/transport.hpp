// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the runtime needs from the network: sending to and linking with remote contexts.
// Implemented by net::Network; an interface so that the runtime does not depend on asio.

#include "core/connection_stats.hpp"

#include <compactor/pid.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::runtime {

class RemoteTransport {
 public:
  virtual ~RemoteTransport() = default;

  // Queues a message on the outbound connection to `to.address`, opening one if needed.
  // `from_text` is the sender's PID text. Any thread.
  virtual void send(std::string_view from_text, const PID& to, std::string_view name,
                    std::string_view body) = 0;

  // Holds a persistent connection to `target.address`; when it cannot be made or breaks, the
  // transport reports ContextCore::deliver_exited(linker, target). Any thread.
  virtual void link(const PID& linker, const PID& target) = 0;

  // "TLSv1.2 AES128-SHA" or "plaintext" for the open outbound connection to `address`; nothing
  // if none is open. Any thread.
  virtual std::optional<std::string> connection_security(const Address& address) = 0;

  // Every open connection. Any thread.
  virtual std::vector<core::ConnectionStats> connections() = 0;

  // Traffic by peer, open and closed connections together (see PeerSeries). Any thread.
  virtual std::vector<core::PeerTraffic> traffic() = 0;

  // Writes what is queued, closes every connection gracefully (waiting at most `timeout`) and
  // stops. Called once, from the thread destroying the context.
  virtual void shutdown(std::chrono::milliseconds timeout) = 0;
};

}  // namespace compactor::runtime
