// SPDX-License-Identifier: Apache-2.0
#pragma once
// A connection's TLS handshake, with the checks of the peer that follow it.

#include "net/tls_session.hpp"

#include <asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace compactor::runtime {
struct StatsCounters;
}

namespace compactor::net {

// Starts TLS over `socket` as `role`: returns the session, whose handshake is under way; then
// the peer's certificate is checked as libprocess does (with a reverse-DNS lookup of `peer`, off
// the I/O thread, for the legacy scheme). Calls `done` on the I/O thread with nothing, or why the
// peer was refused; counts tls_handshakes or tls_handshake_failures. The caller bounds the time
// it takes and keeps `socket` and the session alive until `done`; bytes that came after the
// handshake wait in the session for open().
std::unique_ptr<TlsSession> start_tls(asio::ip::tcp::socket& socket, Tls& tls, TlsRole role,
                                      const asio::ip::address& peer,
                                      runtime::StatsCounters& counters,
                                      std::function<void(std::optional<std::string> refused)> done);

}  // namespace compactor::net
