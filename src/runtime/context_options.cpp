// SPDX-License-Identifier: Apache-2.0
#include <compactor/context_options.hpp>

#include "core/pid_text.hpp"

#include "core/logging.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

extern char** environ;

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

OnException on_exception_from(const char* name, const std::string& text) {
  if (text == "carry_on") return OnException::carry_on;
  if (text == "terminate") return OnException::terminate;
  throw std::invalid_argument(std::string(name) + "='" + text +
                              "' is neither carry_on nor terminate");
}

// Sets `option` from the variable `name` when it is set.
template <class Option, class Parse>
void read_env(const char* name, Option& option, Parse&& parse) {
  if (auto v = env(name)) option = parse(name, *v);
}

// The variables whose name starts with `prefix`, by the rest of their name in upper case.
std::map<std::string, std::string> variables_with_prefix(std::string_view prefix) {
  std::map<std::string, std::string> found;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with(prefix)) continue;
    std::string key(text.substr(prefix.size(), equals - prefix.size()));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    found.emplace(std::move(key), std::string(text.substr(equals + 1)));
  }
  return found;
}

TlsOptions::HostnameValidation scheme_from(const char* name, const std::string& text) {
  if (text == "legacy") return TlsOptions::HostnameValidation::legacy;
  if (text == "openssl") return TlsOptions::HostnameValidation::openssl;
  throw std::invalid_argument(std::string(name) + "='" + text + "' is neither legacy nor openssl");
}

std::string text_from(const char*, const std::string& text) { return text; }

}  // namespace

TlsOptions TlsOptions::from_environment() {
  // As libprocess: LIBPROCESS_SSL_X wins over the deprecated SSL_X; a mismatch is worth a word.
  auto settings = variables_with_prefix("LIBPROCESS_SSL_");
  for (auto& [key, value] : variables_with_prefix("SSL_")) {
    const auto [it, inserted] = settings.emplace(key, value);
    if (!inserted && it->second != value) {
      core::log().warn("SSL_{0} and LIBPROCESS_SSL_{0} differ; LIBPROCESS_SSL_{0} is used", key);
    }
  }
  TlsOptions options;
  auto read = [&settings](const char* key, auto& option, auto&& parse) {
    const auto it = settings.find(key);
    if (it == settings.end()) return;
    const std::string name = std::string("LIBPROCESS_SSL_") + key;
    option = parse(name.c_str(), it->second);
  };
  read("ENABLED", options.enabled, flag_from);
  read("SUPPORT_DOWNGRADE", options.support_downgrade, flag_from);
  read("CERT_FILE", options.cert_file, text_from);
  read("KEY_FILE", options.key_file, text_from);
  read("CA_FILE", options.ca_file, text_from);
  read("CA_DIR", options.ca_dir, text_from);
  read("VERIFY_CERT", options.verify_server_cert, flag_from);
  read("VERIFY_SERVER_CERT", options.verify_server_cert, flag_from);
  read("REQUIRE_CERT", options.require_client_cert, flag_from);
  read("REQUIRE_CLIENT_CERT", options.require_client_cert, flag_from);
  read("VERIFY_IPADD", options.verify_ip_address, flag_from);
  read("VERIFICATION_DEPTH", options.verification_depth, number_from<int>);
  read("CIPHERS", options.ciphers, text_from);
  read("ECDH_CURVES", options.ecdh_curves, text_from);
  read("HOSTNAME_VALIDATION_SCHEME", options.hostname_validation, scheme_from);
  read("ENABLE_SSL_V3", options.enable_ssl_v3, flag_from);
  read("ENABLE_TLS_V1_0", options.enable_tls_v1_0, flag_from);
  read("ENABLE_TLS_V1_1", options.enable_tls_v1_1, flag_from);
  read("ENABLE_TLS_V1_2", options.enable_tls_v1_2, flag_from);
  read("ENABLE_TLS_V1_3", options.enable_tls_v1_3, flag_from);
  return options;
}

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
  read_env("COMPACTOR_MAX_BUFFERED_ANSWER_BYTES", options.max_buffered_answer_bytes,
           number_from<std::size_t>);
  read_env("COMPACTOR_MIN_ANSWER_RATE", options.min_answer_rate, number_from<std::size_t>);
  read_env("COMPACTOR_MAX_ASKS_IN_FLIGHT", options.max_asks_in_flight, number_from<std::size_t>);
  read_env("COMPACTOR_TLS_HANDSHAKE_TIMEOUT_MS", options.tls_handshake_timeout, milliseconds_from);
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
  read_env("COMPACTOR_RUNTIME_METRICS", options.runtime_metrics, flag_from);
  read_env("COMPACTOR_RUN_ON_IO_THREAD", options.run_on_io_thread, flag_from);
  read_env("COMPACTOR_ON_EXCEPTION", options.on_exception, on_exception_from);
  options.tls = TlsOptions::from_environment();
  return options;
}

}  // namespace compactor
