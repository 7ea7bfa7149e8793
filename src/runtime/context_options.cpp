#include <compactor/context.hpp>

#include "pid_text.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace compactor {
namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::uint16_t port_from(const char* name, const std::string& text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end || value > 65535) {
    throw std::invalid_argument(std::string(name) + "='" + text + "' is not a port (0-65535)");
  }
  return static_cast<std::uint16_t>(value);
}

std::string ip_from(const char* name, const std::string& text) {
  auto ip = detail::canonical_any_ip(text);
  if (!ip) throw std::invalid_argument(std::string(name) + "='" + text + "' is not an IP address");
  return *ip;
}

bool flag_from(const char* name, const std::string& text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false" || text.empty()) return false;
  throw std::invalid_argument(std::string(name) + "='" + text +
                              "' is not a boolean (true/false/1/0)");
}

template <class Number>
Number number_from(const char* name, const std::string& text) {
  Number value{};
  const auto* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end) {
    throw std::invalid_argument(std::string(name) + "='" + text +
                                "' is not a non-negative integer");
  }
  return value;
}

std::chrono::milliseconds milliseconds_from(const char* name, const std::string& text) {
  return std::chrono::milliseconds(number_from<std::uint32_t>(name, text));
}

ContextOptions::MailboxOverflow overflow_from(const char* name, const std::string& text) {
  if (text == "hold_sender") return ContextOptions::MailboxOverflow::hold_sender;
  if (text == "drop_newest") return ContextOptions::MailboxOverflow::drop_newest;
  throw std::invalid_argument(std::string(name) + "='" + text +
                              "' is neither hold_sender nor drop_newest");
}

// Sets `option` from the variable `name` when it is set.
template <class Option, class Parse>
void read_env(const char* name, Option& option, Parse&& parse) {
  if (auto v = env(name)) option = parse(name, *v);
}

}  // namespace

ContextOptions ContextOptions::from_environment() {
  ContextOptions options;
  if (auto v = env("LIBPROCESS_IP")) options.ip = ip_from("LIBPROCESS_IP", *v);
  if (auto v = env("LIBPROCESS_PORT")) options.port = port_from("LIBPROCESS_PORT", *v);
  if (auto v = env("LIBPROCESS_ADVERTISE_IP")) {
    options.advertise_ip = ip_from("LIBPROCESS_ADVERTISE_IP", *v);
  }
  if (auto v = env("LIBPROCESS_ADVERTISE_PORT")) {
    options.advertise_port = port_from("LIBPROCESS_ADVERTISE_PORT", *v);
  }
  if (auto v = env("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH")) {
    options.require_peer_address_ip_match =
        flag_from("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", *v);
  }
  read_env("COMPACTOR_DEAD_PEER_TIMEOUT_MS", options.dead_peer_timeout, milliseconds_from);
  read_env("COMPACTOR_WRITE_TIMEOUT_MS", options.write_timeout, milliseconds_from);
  read_env("COMPACTOR_REQUEST_TIMEOUT_MS", options.request_timeout, milliseconds_from);
  read_env("COMPACTOR_MAX_BUFFERED_BODY_BYTES", options.max_buffered_body_bytes,
           number_from<std::size_t>);
  read_env("COMPACTOR_MAX_INBOUND_CONNECTIONS", options.max_inbound_connections,
           number_from<std::size_t>);
  read_env("COMPACTOR_MAILBOX_HIGH_WATER_MESSAGES", options.mailbox_high_water_messages,
           number_from<std::size_t>);
  read_env("COMPACTOR_MAILBOX_HIGH_WATER_BYTES", options.mailbox_high_water_bytes,
           number_from<std::size_t>);
  read_env("COMPACTOR_PEER_HIGH_WATER_BYTES", options.peer_high_water_bytes,
           number_from<std::size_t>);
  read_env("COMPACTOR_SEND_TIMEOUT_MS", options.send_timeout, milliseconds_from);
  read_env("COMPACTOR_MAILBOX_LIMIT", options.mailbox_limit, number_from<std::size_t>);
  read_env("COMPACTOR_MAILBOX_OVERFLOW", options.mailbox_overflow, overflow_from);
  return options;
}

}  // namespace compactor
