#pragma once
// A connection's TLS handshake, with the checks of the peer that follow it.

#include "net/tls_session.hpp"

#include <asio/ip/tcp.hpp>

#include <functional>
#include <optional>
#include <string>

namespace compactor::runtime {
struct StatsCounters;
}

namespace compactor::net {

// Shakes hands over `socket` through `session`, then checks the peer's certificate as libprocess
// does (with a reverse-DNS lookup of `peer`, off the I/O thread, for the legacy scheme). Calls
// `done` on the I/O thread with nothing, or why the peer was refused; counts tls_handshakes or
// tls_handshake_failures. The caller bounds the time it takes and keeps `socket` and `session`
// alive until `done`; bytes that came after the handshake wait in the session for open().
void shake_hands(asio::ip::tcp::socket& socket, TlsSession& session, const Tls& tls, TlsRole role,
                 const asio::ip::address& peer, runtime::StatsCounters& counters,
                 std::function<void(std::optional<std::string> refused)> done);

}  // namespace compactor::net
