// SPDX-License-Identifier: Apache-2.0
#pragma once
// Failure detection on a TCP socket: how long a silent peer may go unnoticed.

#include <asio/ip/tcp.hpp>

#include <chrono>

namespace compactor::net {

// Makes the kernel fail the connection once the peer has acknowledged nothing for about
// `timeout`: keep-alive probes while it is idle (first after timeout/2, then every timeout/8,
// four unanswered ones are fatal) and TCP_USER_TIMEOUT while data waits for an acknowledgement.
// The socket's next operation then fails with ETIMEDOUT. Zero leaves the system's defaults.
// Failures are ignored: detection is best effort, the connection works without it.
void detect_dead_peer(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout);

}  // namespace compactor::net
