#pragma once
// A connection's TLS handshake, with the checks of the peer that follow it.

#include "net/stream.hpp"
#include "net/tls.hpp"

#include <functional>
#include <optional>
#include <string>

namespace compactor::runtime {
struct StatsCounters;
}

namespace compactor::net {

// Puts TLS over `stream` and shakes hands as `role`; then checks the peer's certificate as
// libprocess does (with a reverse-DNS lookup of `peer`, off the I/O thread, for the legacy
// scheme). Calls `done` on the I/O thread with nothing, or why the peer was refused; counts
// tls_handshakes or tls_handshake_failures. The caller bounds the time it takes and keeps
// `stream` alive until `done`.
void shake_hands(Stream& stream, Tls& tls, TlsRole role, const asio::ip::address& peer,
                 runtime::StatsCounters& counters,
                 std::function<void(std::optional<std::string> refused)> done);

}  // namespace compactor::net
