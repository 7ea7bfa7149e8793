// SPDX-License-Identifier: Apache-2.0
#pragma once
// The pure, allocation-light half of PID parsing: splitting the text and checking IP literals.
// Separate from name resolution so that it can be fuzzed and tested without a resolver.

#include <compactor/pid.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace compactor::detail {

// The two fields of `host:port`, as written: the one HOST:PORT syntax of PIDs, addresses and the
// tool's flags.
struct HostPort {
  std::string_view host;  // without brackets
  std::uint16_t port = 0;
  bool bracketed = false;  // the host was written `[...]`, so it must be an IPv6 literal
};

// Splits `text` at the first ':' (libprocess's rule), or after a bracketed IPv6 host. Returns a
// message saying what is wrong on failure.
std::variant<HostPort, std::string> split_host_port(std::string_view text);

// The three fields of `id@host:port`, as written.
struct PidText {
  std::string_view id;
  HostPort address;
};

// Splits `text` as libprocess does: first '@', then split_host_port. Returns a message saying
// what is wrong on failure.
std::variant<PidText, std::string> split_pid(std::string_view text);

// The address `host:port` names: an IP literal as is (canonical text), a host name resolved to
// IPv4 (as libprocess). Returns a message saying what is wrong on failure.
std::variant<Address, std::string> resolve(const HostPort& parts);

// The canonical text of an IP literal (IPv4, or IPv6 when `ipv6`), or nullopt if `host` is not one.
std::optional<std::string> canonical_ip(std::string_view host, bool ipv6);

// The canonical text of `host` if it is an IPv4 or IPv6 literal (without brackets).
std::optional<std::string> canonical_any_ip(std::string_view host);

// Parses a PID whose host is an IP literal, without any name resolution (for PIDs read off the
// network, where a resolver must not block the I/O thread); nullopt otherwise.
std::optional<PID> parse_literal_pid(std::string_view text);

// Resolves a host name to its first IPv4 address, as libprocess does.
std::optional<std::string> resolve_ipv4(const std::string& host);

}  // namespace compactor::detail
