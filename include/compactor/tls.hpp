// SPDX-License-Identifier: Apache-2.0
#pragma once
// TLS for a context's connections, configured as libprocess configures its SSL sockets.

#include <compactor/export.hpp>

#include <cstddef>
#include <string>

namespace compactor {

/// The same settings, names and defaults as libprocess's LIBPROCESS_SSL_* variables
/// (docs/security.md). When enabled, every connection of the context, messages and HTTP alike, is
/// TLS on the same port; the certificate and key serve both as server and as client.
struct COMPACTOR_API TlsOptions {
  /// LIBPROCESS_SSL_ENABLED.
  bool enabled = false;
  /// LIBPROCESS_SSL_SUPPORT_DOWNGRADE: the listener also takes plaintext connections (told apart
  /// by their first bytes), and an outbound connection whose TLS handshake fails is retried in
  /// plaintext. Anyone can then talk to the context without TLS.
  bool support_downgrade = false;
  /// LIBPROCESS_SSL_CERT_FILE (the chain, PEM) and LIBPROCESS_SSL_KEY_FILE (PEM); both required
  /// when enabled.
  ///@{
  std::string cert_file;
  std::string key_file;
  ///@}
  /// LIBPROCESS_SSL_CA_FILE, LIBPROCESS_SSL_CA_DIR: the trust store for checking peers; loaded only
  /// when a check is on. Neither set: OpenSSL's default paths.
  ///@{
  std::string ca_file;
  std::string ca_dir;
  ///@}
  /// LIBPROCESS_SSL_VERIFY_SERVER_CERT (old name LIBPROCESS_SSL_VERIFY_CERT): an outbound
  /// connection checks the server's certificate and name.
  bool verify_server_cert = false;
  /// LIBPROCESS_SSL_REQUIRE_CLIENT_CERT (old name LIBPROCESS_SSL_REQUIRE_CERT): the listener asks
  /// every TLS client for a certificate it trusts; implies verify_server_cert.
  bool require_client_cert = false;
  /// LIBPROCESS_SSL_VERIFY_IPADD: a peer's certificate may name its IP (an IP subjectAltName).
  bool verify_ip_address = false;
  /// LIBPROCESS_SSL_VERIFICATION_DEPTH: the longest certificate chain accepted.
  int verification_depth = 4;
  /// LIBPROCESS_SSL_CIPHERS: OpenSSL's cipher list for TLS 1.2 and older.
  std::string ciphers =
      "AES128-SHA:AES256-SHA:RC4-SHA:DHE-RSA-AES128-SHA:DHE-DSS-AES128-SHA:DHE-RSA-AES256-SHA:"
      "DHE-DSS-AES256-SHA";
  /// LIBPROCESS_SSL_ECDH_CURVES: "auto" or a colon-separated list such as "P-256:P-384".
  std::string ecdh_curves = "auto";
  /// LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: how a peer's certificate is matched to the peer.
  ///  - legacy: the peer's IP is looked up in reverse DNS; the name must equal a DNS
  ///    subjectAltName or the common name (or, with verify_ip_address, the IP an IP
  ///    subjectAltName). Done by clients, and by the listener with require_client_cert.
  ///  - openssl: OpenSSL checks the certificate against the IP of the PID connected to during the
  ///    handshake (needs verify_ip_address, since PIDs carry IPs); the listener checks no name.
  ///@{
  enum class HostnameValidation { legacy, openssl };
  HostnameValidation hostname_validation = HostnameValidation::legacy;
  ///@}
  /// LIBPROCESS_SSL_ENABLE_SSL_V3, _ENABLE_TLS_V1_0 ... _ENABLE_TLS_V1_3: so TLS 1.2 only by
  /// default, as libprocess.
  ///@{
  bool enable_ssl_v3 = false;
  bool enable_tls_v1_0 = false;
  bool enable_tls_v1_1 = false;
  bool enable_tls_v1_2 = true;
  bool enable_tls_v1_3 = false;
  ///@}

  /// Options from LIBPROCESS_SSL_* (and, as libprocess, the deprecated SSL_* when the
  /// LIBPROCESS_SSL_ one is not set); the part after the prefix is case-insensitive. Throws
  /// std::invalid_argument naming the variable when one holds an invalid value.
  static TlsOptions from_environment();
};

}  // namespace compactor
