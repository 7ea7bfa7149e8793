// SPDX-License-Identifier: Apache-2.0
#include "net/tls.hpp"

#include "core/logging.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fmt/core.h>

#include <memory>
#include <stdexcept>

namespace compactor::net {
namespace {

// OpenSSL's reason for the last failure, for an error naming what was being done.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

[[noreturn]] void refuse(const std::string& what) {
  throw std::invalid_argument("TLS: " + what + " (" + openssl_reason() + ")");
}

void load_trust(SSL_CTX* context, const TlsOptions& options) {
  if (options.ca_file.empty() && options.ca_dir.empty()) {
    if (SSL_CTX_set_default_verify_paths(context) != 1) {
      refuse("cannot load OpenSSL's default CA locations");
    }
    return;
  }
  const char* file = options.ca_file.empty() ? nullptr : options.ca_file.c_str();
  const char* dir = options.ca_dir.empty() ? nullptr : options.ca_dir.c_str();
  if (SSL_CTX_load_verify_locations(context, file, dir) != 1) {
    refuse(fmt::format("cannot load LIBPROCESS_SSL_CA_FILE '{}' / LIBPROCESS_SSL_CA_DIR '{}'",
                       options.ca_file, options.ca_dir));
  }
}

long protocols_off(const TlsOptions& options) {
  long off = SSL_OP_NO_SSLv2;
  if (!options.enable_ssl_v3) off |= SSL_OP_NO_SSLv3;
  if (!options.enable_tls_v1_0) off |= SSL_OP_NO_TLSv1;
  if (!options.enable_tls_v1_1) off |= SSL_OP_NO_TLSv1_1;
  if (!options.enable_tls_v1_2) off |= SSL_OP_NO_TLSv1_2;
  if (!options.enable_tls_v1_3) off |= SSL_OP_NO_TLSv1_3;
  return off;
}

using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using Names = std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)>;

void free_names(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }

// libprocess's 'legacy' match: a DNS subjectAltName equal to the peer's name, an IPv4
// subjectAltName equal to its IP (with verify_ip_address), else the common name equal to the
// name. Exact comparisons, no wildcards, as libprocess.
std::optional<std::string> legacy_match(X509* certificate, const TlsOptions& options,
                                        const asio::ip::address& peer,
                                        const std::optional<std::string>& name) {
  Names names(static_cast<GENERAL_NAMES*>(
                  X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)),
              free_names);
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(names.get(), i);
    if (entry->type == GEN_DNS && name) {
      const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(entry->d.dNSName));
      const std::string dns(data, static_cast<std::size_t>(ASN1_STRING_length(entry->d.dNSName)));
      if (dns.find('\0') != std::string::npos) {
        return "certificate malformed: a NUL character in a DNS name";
      }
      if (dns == *name) return std::nullopt;
    }
    if (entry->type == GEN_IPADD && options.verify_ip_address && peer.is_v4() &&
        ASN1_STRING_length(entry->d.iPAddress) == 4) {
      asio::ip::address_v4::bytes_type bytes;
      std::copy_n(ASN1_STRING_get0_data(entry->d.iPAddress), 4, bytes.begin());
      if (asio::ip::address_v4(bytes) == peer.to_v4()) return std::nullopt;
    }
  }
  if (name) {
    char common[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common,
                                  sizeof(common)) > 0) {
      if (*name == common) return std::nullopt;
      return fmt::format("certificate name '{}' does not match the peer's name '{}' ({})", common,
                         *name, peer.to_string());
    }
  }
  if (!name && !options.verify_ip_address) {
    return fmt::format(
        "cannot check the certificate of {}: no name for it in reverse DNS (set "
        "LIBPROCESS_SSL_VERIFY_IPADD to accept an IP subjectAltName)",
        peer.to_string());
  }
  return fmt::format("the certificate names neither {}{}", name ? "'" + *name + "' nor " : "",
                     peer.to_string());
}

}  // namespace

FirstBytes classify_first_bytes(std::string_view bytes) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  constexpr unsigned char kHandshakeRecord = 0x16;  // SSL3_RT_HANDSHAKE
  constexpr unsigned char kMajorVersion = 0x03;     // SSL3_VERSION_MAJOR
  constexpr unsigned char kClientHello = 0x01;      // SSL3_MT_CLIENT_HELLO, SSL2_MT_CLIENT_HELLO
  if (bytes.empty()) return FirstBytes::too_few;
  if (byte(0) & 0x80) {  // an SSLv2-style record header: the hello is its third byte
    if (bytes.size() < 3) return FirstBytes::too_few;
    return byte(2) == kClientHello ? FirstBytes::tls : FirstBytes::plaintext;
  }
  if (byte(0) != kHandshakeRecord) return FirstBytes::plaintext;
  if (bytes.size() < 2) return FirstBytes::too_few;
  if (byte(1) != kMajorVersion) return FirstBytes::plaintext;
  if (bytes.size() < kFirstBytesNeeded) return FirstBytes::too_few;
  return byte(5) == kClientHello ? FirstBytes::tls : FirstBytes::plaintext;
}

Tls::Tls(const TlsOptions& options) : options_(options), context_(asio::ssl::context::tls) {
  if (options_.require_client_cert) options_.verify_server_cert = true;  // as libprocess
  if (options_.cert_file.empty()) {
    throw std::invalid_argument("TLS is enabled but no certificate: set LIBPROCESS_SSL_CERT_FILE");
  }
  if (options_.key_file.empty()) {
    throw std::invalid_argument("TLS is enabled but no key: set LIBPROCESS_SSL_KEY_FILE");
  }
  if (options_.verify_server_cert && !options_.verify_ip_address &&
      options_.hostname_validation == TlsOptions::HostnameValidation::openssl) {
    throw std::invalid_argument(
        "TLS: the openssl hostname validation scheme checks a peer's IP (PIDs name no host), "
        "which needs LIBPROCESS_SSL_VERIFY_IPADD=true");
  }
  SSL_CTX* context = context_.native_handle();
  // No session cache, as libprocess: every connection is long-lived and handshakes once.
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  if (options_.verify_server_cert) {
    load_trust(context, options_);
    SSL_CTX_set_verify_depth(context, options_.verification_depth);
  }
  if (SSL_CTX_use_certificate_chain_file(context, options_.cert_file.c_str()) != 1) {
    refuse("cannot load LIBPROCESS_SSL_CERT_FILE '" + options_.cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(context, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    refuse("cannot load LIBPROCESS_SSL_KEY_FILE '" + options_.key_file + "'");
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    refuse("LIBPROCESS_SSL_KEY_FILE '" + options_.key_file +
           "' does not match the certificate in '" + options_.cert_file + "'");
  }
  if (SSL_CTX_set_cipher_list(context, options_.ciphers.c_str()) != 1) {
    refuse("no usable cipher in LIBPROCESS_SSL_CIPHERS '" + options_.ciphers + "'");
  }
  SSL_CTX_clear_options(context, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                     SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
  SSL_CTX_set_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE | protocols_off(options_));
  if (options_.ecdh_curves != "auto" &&
      SSL_CTX_set1_curves_list(context, options_.ecdh_curves.c_str()) != 1) {
    refuse("cannot use LIBPROCESS_SSL_ECDH_CURVES '" + options_.ecdh_curves + "'");
  }
  if (options_.support_downgrade) {
    core::log().warn("TLS downgrade is on: plaintext connections are accepted{}",
                     options_.verify_server_cert
                         ? ", so certificate checks can be bypassed by a plaintext peer"
                         : "");
  }
}

bool Tls::checks(TlsRole role) const {
  return role == TlsRole::client ? options_.verify_server_cert : options_.require_client_cert;
}

std::optional<std::string> Tls::prepare(SSL* ssl, TlsRole role,
                                        const asio::ip::address& peer) const {
  if (!checks(role)) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return std::nullopt;
  }
  SSL_set_verify(
      ssl,
      role == TlsRole::client ? SSL_VERIFY_PEER : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
      nullptr);
  if (options_.hostname_validation != TlsOptions::HostnameValidation::openssl ||
      role == TlsRole::server) {
    return std::nullopt;
  }
  // A PID names an IP, never a host: only the IP can be checked (verify_ip_address, see Tls()).
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), peer.to_string().c_str()) != 1) {
    return "cannot check the certificate against IP " + peer.to_string();
  }
  return std::nullopt;
}

bool Tls::wants_peer_name(TlsRole role) const {
  return checks(role) && options_.hostname_validation == TlsOptions::HostnameValidation::legacy;
}

std::optional<std::string> Tls::check_peer(SSL* ssl, TlsRole role, const asio::ip::address& peer,
                                           const std::optional<std::string>& peer_name) const {
  if (!checks(role)) return std::nullopt;
  Certificate certificate(SSL_get1_peer_certificate(ssl), X509_free);
  if (!certificate) return "the peer presented no certificate";
  if (const long result = SSL_get_verify_result(ssl); result != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
  }
  if (!wants_peer_name(role)) return std::nullopt;  // openssl: checked in the handshake
  return legacy_match(certificate.get(), options_, peer, peer_name);
}

std::string Tls::explain(SSL* ssl, TlsRole role, const std::string& reason) const {
  if (checks(role)) {
    if (const long result = SSL_get_verify_result(ssl); result != X509_V_OK) {
      return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
    }
  }
  return reason;
}

std::string Tls::describe(SSL* ssl) {
  return fmt::format("{} {}", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

}  // namespace compactor::net
