// SPDX-License-Identifier: Apache-2.0
#pragma once
// A context's TLS: the OpenSSL context built from TlsOptions, and the checks libprocess makes of
// a peer's certificate.

#include <compactor/tls.hpp>

#include <asio/ip/address.hpp>
#include <asio/ssl/context.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace compactor::net {

// What the first bytes of an inbound connection are, for a listener that takes both TLS and
// plaintext (support_downgrade): a TLS (or SSLv2) ClientHello, anything else, or too few bytes
// to tell yet. The rules of libprocess (and of OpenSSL's ssl23_get_client_hello), except that a
// short prefix of a ClientHello waits for more instead of being taken for plaintext.
enum class FirstBytes { tls, plaintext, too_few };
FirstBytes classify_first_bytes(std::string_view bytes);
inline constexpr std::size_t kFirstBytesNeeded = 6;

// Which end of a connection we are.
enum class TlsRole { client, server };

// @note Built once per context; const afterwards, so shared by the I/O thread's connections.
class Tls {
 public:
  // Throws std::invalid_argument naming the setting or the file that cannot be used (a missing
  // certificate, a key that does not match it, an unknown cipher list...).
  explicit Tls(const TlsOptions& options);

  const TlsOptions& options() const { return options_; }
  asio::ssl::context& context() { return context_; }

  // Sets up a connection's SSL object before its handshake: what is asked of the peer and, for
  // the openssl scheme, the IP its certificate must name. An error text if it cannot be.
  std::optional<std::string> prepare(SSL* ssl, TlsRole role, const asio::ip::address& peer) const;

  // Whether check_peer() wants the peer's name from reverse DNS (the legacy scheme).
  bool wants_peer_name(TlsRole role) const;

  // After the handshake: nothing if the peer's certificate is acceptable, or why it is not.
  // `peer_name` is the reverse-DNS name of `peer`, when wants_peer_name() and one was found.
  std::optional<std::string> check_peer(SSL* ssl, TlsRole role, const asio::ip::address& peer,
                                        const std::optional<std::string>& peer_name) const;

  // A failed handshake in words: the certificate check that failed, or OpenSSL's `reason`.
  std::string explain(SSL* ssl, TlsRole role, const std::string& reason) const;

  // "TLSv1.2 AES128-SHA": the protocol and cipher a connection agreed on.
  static std::string describe(SSL* ssl);

 private:
  bool checks(TlsRole role) const;

  TlsOptions options_;
  asio::ssl::context context_;
};

}  // namespace compactor::net
