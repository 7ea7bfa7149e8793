// SPDX-License-Identifier: Apache-2.0
#pragma once
// A process identifier, `id@ip:port`, as libprocess writes it.

#include <compactor/export.hpp>

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace compactor {

/// The network address of a context: an IP literal (IPv4 or IPv6, canonical text form) and a port.
struct COMPACTOR_API Address {
  std::string ip;          ///< "127.0.0.1", "::1" (without brackets)
  std::uint16_t port = 0;  ///< The port.

  /// Parses `host:port` as a PID's address is parsed (see PID::parse): an IPv4 literal, a host
  /// name (resolved to IPv4) or a bracketed IPv6 literal. Throws std::invalid_argument saying
  /// what is wrong.
  static Address parse(std::string_view text);
  /// As parse(), but returns nullopt instead of throwing.
  static std::optional<Address> try_parse(std::string_view text);

  /// "ip:port", or "[ip]:port" for IPv6: the form used in PIDs and the HTTP Host header.
  std::string to_string() const;

  friend auto operator<=>(const Address&, const Address&) = default;  ///< By ip, then port.
};

/// Names one process of one context: the process id and the address its context listens on.
struct COMPACTOR_API PID {
  std::string id;   ///< The process's name in its context ("master", "scheduler-1").
  Address address;  ///< Where its context listens.

  PID() = default;  ///< The empty PID (see empty()).
  /// The process `id` at `address`.
  PID(std::string id, Address address) : id(std::move(id)), address(std::move(address)) {}

  /// Parses `id@host:port` as libprocess does: split at the first '@', then at the first ':' after
  /// it. `host` is an IPv4 literal, a host name (resolved to IPv4, as libprocess does) or an IPv6
  /// literal in brackets (`id@[::1]:5051`). Throws std::invalid_argument saying what is wrong.
  static PID parse(std::string_view text);

  /// As parse(), but returns nullopt instead of throwing.
  static std::optional<PID> try_parse(std::string_view text);

  /// `id@ip:port`; an empty PID formats as "".
  std::string to_string() const;

  /// True for the default-constructed PID (the sender of a message whose From header was invalid).
  bool empty() const { return id.empty() && address.ip.empty() && address.port == 0; }

  friend auto operator<=>(const PID&, const PID&) = default;  ///< By id, then address.
};

/// Writes to_string().
///@{
COMPACTOR_API std::ostream& operator<<(std::ostream& out, const PID& pid);
COMPACTOR_API std::ostream& operator<<(std::ostream& out, const Address& address);
///@}

}  // namespace compactor

// PIDs and addresses as keys of unordered containers.
/// @cond STD_HASH
template <>
struct std::hash<compactor::Address> {
  std::size_t operator()(const compactor::Address& a) const noexcept {
    return std::hash<std::string>{}(a.ip) * 31 + a.port;
  }
};

template <>
struct std::hash<compactor::PID> {
  std::size_t operator()(const compactor::PID& pid) const noexcept {
    return std::hash<std::string>{}(pid.id) ^ (std::hash<compactor::Address>{}(pid.address) << 1);
  }
};
/// @endcond
