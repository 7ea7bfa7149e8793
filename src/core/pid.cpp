// SPDX-License-Identifier: Apache-2.0
#include <compactor/pid.hpp>

#include "core/pid_text.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <ostream>
#include <stdexcept>

namespace compactor {
namespace detail {

std::variant<HostPort, std::string> split_host_port(std::string_view text) {
  HostPort parts;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::string("missing ']' after IPv6 address");
    parts.host = text.substr(1, close - 1);
    parts.bracketed = true;
    text = text.substr(close + 1);
    if (text.empty() || text.front() != ':') return std::string("missing ':' before the port");
    port_text = text.substr(1);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::string("missing ':' before the port");
    parts.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (parts.host.empty()) return std::string("empty host");
  if (port_text.empty()) return std::string("empty port");
  unsigned value = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, error] = std::from_chars(port_text.data(), end, value);
  if (error != std::errc() || ptr != end || value > 65535) {
    return "invalid port '" + std::string(port_text) + "'";
  }
  parts.port = static_cast<std::uint16_t>(value);
  return parts;
}

std::variant<PidText, std::string> split_pid(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos) return std::string("missing '@'");
  PidText parts;
  parts.id = text.substr(0, at);
  if (parts.id.empty()) return std::string("empty process id");
  auto address = split_host_port(text.substr(at + 1));
  if (auto* error = std::get_if<std::string>(&address)) return std::move(*error);
  parts.address = std::get<HostPort>(address);
  return parts;
}

std::variant<Address, std::string> resolve(const HostPort& parts) {
  auto ip = canonical_ip(parts.host, parts.bracketed);
  if (!ip && parts.bracketed) return "'" + std::string(parts.host) + "' is not an IPv6 address";
  if (!ip) ip = resolve_ipv4(std::string(parts.host));
  if (!ip) return "cannot resolve host '" + std::string(parts.host) + "'";
  return Address{std::move(*ip), parts.port};
}

std::optional<std::string> canonical_ip(std::string_view host, bool ipv6) {
  if (host.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(host);  // inet_pton wants a C string
  char text[INET6_ADDRSTRLEN];
  if (ipv6) {
    in6_addr address{};
    if (inet_pton(AF_INET6, terminated.c_str(), &address) != 1) return std::nullopt;
    return std::string(inet_ntop(AF_INET6, &address, text, sizeof text));
  }
  in_addr address{};
  if (inet_pton(AF_INET, terminated.c_str(), &address) != 1) return std::nullopt;
  // inet_pton takes only the canonical dotted-decimal form (no leading zeros, four parts).
  return terminated;
}

std::optional<std::string> canonical_any_ip(std::string_view host) {
  auto ip = canonical_ip(host, false);
  return ip ? ip : canonical_ip(host, true);
}

std::optional<PID> parse_literal_pid(std::string_view text) {
  auto split = split_pid(text);
  const auto* parts = std::get_if<PidText>(&split);
  if (parts == nullptr) return std::nullopt;
  auto ip = canonical_ip(parts->address.host, parts->address.bracketed);
  if (!ip) return std::nullopt;
  return PID(std::string(parts->id), Address{std::move(*ip), parts->address.port});
}

std::optional<std::string> resolve_ipv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return std::nullopt;
  }
  char text[INET_ADDRSTRLEN];
  const auto* address = reinterpret_cast<const sockaddr_in*>(result->ai_addr);
  std::optional<std::string> ip;
  if (inet_ntop(AF_INET, &address->sin_addr, text, sizeof text) != nullptr) ip = text;
  freeaddrinfo(result);
  return ip;
}

}  // namespace detail

namespace {

// "ip:port", "[ip]:port" for IPv6, appended to `out`: a sender's PID is formatted per message
// that leaves without a cached text (an ask's), so in one allocation.
void append_address(std::string& out, const Address& address) {
  const bool v6 = address.ip.find(':') != std::string::npos;
  if (v6) out += '[';
  out += address.ip;
  if (v6) out += ']';
  out += ':';
  char digits[8];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, address.port).ptr);
}

constexpr std::size_t kAddressExtra = 8;  // brackets, ':' and up to 5 digits

}  // namespace

std::string Address::to_string() const {
  std::string text;
  text.reserve(ip.size() + kAddressExtra);
  append_address(text, *this);
  return text;
}

namespace {

// Address::parse and PID::parse fail alike, naming `what` they read and why it is not one.
[[noreturn]] void reject(std::string_view what, std::string_view text, std::string_view why) {
  throw std::invalid_argument("invalid " + std::string(what) + " '" + std::string(text) +
                              "': " + std::string(why));
}

template <typename Parts>
const Parts& parts_or_reject(const std::variant<Parts, std::string>& split, std::string_view what,
                             std::string_view text) {
  if (const auto* error = std::get_if<std::string>(&split)) reject(what, text, *error);
  return std::get<Parts>(split);
}

Address resolve_or_reject(const detail::HostPort& host, std::string_view what,
                          std::string_view text) {
  auto resolved = detail::resolve(host);
  if (const auto* error = std::get_if<std::string>(&resolved)) reject(what, text, *error);
  return std::get<Address>(std::move(resolved));
}

template <typename Value>
std::optional<Value> parsed_or_nothing(Value (*parse)(std::string_view), std::string_view text) {
  try {
    return parse(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace

Address Address::parse(std::string_view text) {
  const auto split = detail::split_host_port(text);
  return resolve_or_reject(parts_or_reject(split, "address", text), "address", text);
}

std::optional<Address> Address::try_parse(std::string_view text) {
  return parsed_or_nothing(&Address::parse, text);
}

PID PID::parse(std::string_view text) {
  const auto split = detail::split_pid(text);
  const auto& parts = parts_or_reject(split, "PID", text);
  return PID(std::string(parts.id), resolve_or_reject(parts.address, "PID", text));
}

std::optional<PID> PID::try_parse(std::string_view text) {
  return parsed_or_nothing(&PID::parse, text);
}

std::string PID::to_string() const {
  if (empty()) return {};
  std::string text;
  text.reserve(id.size() + 1 + address.ip.size() + kAddressExtra);
  text.append(id).push_back('@');
  append_address(text, address);
  return text;
}

std::ostream& operator<<(std::ostream& out, const PID& pid) { return out << pid.to_string(); }
std::ostream& operator<<(std::ostream& out, const Address& address) {
  return out << address.to_string();
}

}  // namespace compactor
