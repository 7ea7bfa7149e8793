// SPDX-License-Identifier: Apache-2.0
#pragma once
// What operators see of connections: one open connection, and the traffic of one peer. Filled in
// by the connections' lifecycles and the network; read by metrics and the status page.

#include <cstddef>
#include <cstdint>
#include <string>

namespace compactor::core {

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

}  // namespace compactor::core
