// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the runtime needs from the network: sending to and linking with remote contexts.
// Implemented by net::Network; an interface so that the runtime does not depend on asio.

#include <compactor/pid.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace compactor::runtime {

// One open connection as operators see it (metrics, /__status__).
struct ConnectionStats {
  bool inbound = false;
  std::string peer;  // "ip:port": the remote context (outbound) or the socket's peer (inbound)
  // The peer as metrics label it, stable across its connections: the remote context's address
  // (outbound, and inbound once a message named its sender), else the peer's IP.
  std::string series;
  std::string state;               // outbound: connecting, open, closing; inbound: reading, paused
  std::string security;            // "plaintext", "TLSv1.2 AES128-SHA", "" while not established
  std::uint64_t messages = 0;      // sent (outbound) or received (inbound)
  std::uint64_t bytes = 0;         // written (outbound) or read (inbound)
  std::uint64_t queued_bytes = 0;  // outbound: encoded and waiting to be written
  std::uint64_t pauses = 0;  // outbound: senders held for it; inbound: reads paused for a mailbox
  std::uint64_t links = 0;   // outbound: links it carries
};

// The traffic of one peer in one direction, its closed connections and its open ones: the
// connections' metrics (see PeerSeries).
struct PeerTraffic {
  bool inbound = false;
  std::string peer;  // the series' label: "ip:port" of a context, an IP, or "other"
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t pauses = 0;
  std::uint64_t queued_bytes = 0;  // open outbound connections
  std::uint64_t links = 0;         // open outbound connections
  std::size_t open = 0;            // connections open now
};

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
  virtual std::vector<ConnectionStats> connections() = 0;

  // Traffic by peer, open and closed connections together (see PeerSeries). Any thread.
  virtual std::vector<PeerTraffic> traffic() = 0;

  // Writes what is queued, closes every connection gracefully (waiting at most `timeout`) and
  // stops. Called once, from the thread destroying the context.
  virtual void shutdown(std::chrono::milliseconds timeout) = 0;
};

}  // namespace compactor::runtime
