// SPDX-License-Identifier: Apache-2.0
#include "net/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <climits>

namespace compactor::net {
namespace {

void feed(BIO* in, std::string_view bytes) {
  // A memory BIO grows as needed: the write takes everything.
  if (!bytes.empty()) BIO_write(in, bytes.data(), static_cast<int>(bytes.size()));
}

void drain(BIO* out, std::string& send) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  if (size <= 0) return;
  send.append(data, static_cast<std::size_t>(size));
  (void)BIO_reset(out);
}

}  // namespace

TlsSession::TlsSession(Tls& tls, TlsRole role, const asio::ip::address& peer)
    : tls_(tls),
      role_(role),
      ssl_(SSL_new(tls.context().native_handle())),
      in_(BIO_new(BIO_s_mem())),
      out_(BIO_new(BIO_s_mem())) {
  BIO_set_mem_eof_return(in_, -1);  // an empty input means "wait for more", not EOF
  SSL_set_bio(ssl_, in_, out_);
  // Records go out as soon as sealed, never waiting for more.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (role == TlsRole::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  if (auto error = tls.prepare(ssl_, role, peer)) error_ = std::move(*error);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::note_failure(int result) {
  const int kind = SSL_get_error(ssl_, result);
  if (kind == SSL_ERROR_SSL || kind == SSL_ERROR_SYSCALL) {
    const unsigned long code = ERR_peek_last_error();
    char text[256] = "unknown TLS error";
    if (code != 0) ERR_error_string_n(code, text, sizeof(text));
    error_ = tls_.explain(ssl_, role_, text);
  } else {
    error_ = "TLS error " + std::to_string(kind);
  }
  ERR_clear_error();
}

TlsSession::Progress TlsSession::handshake(std::string_view received, std::string& send) {
  std::lock_guard lock(mutex_);
  if (!error_.empty()) return Progress::failed;
  feed(in_, received);
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  drain(out_, send);  // even a failure may have an alert to send
  if (result == 1) return Progress::done;
  if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ) return Progress::want_read;
  note_failure(result);
  return Progress::failed;
}

bool TlsSession::seal(std::string_view plaintext, std::string& send) {
  std::lock_guard lock(mutex_);
  drain(out_, send);
  while (!plaintext.empty()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(plaintext.size(), INT_MAX));
    const int written = SSL_write(ssl_, plaintext.data(), chunk);
    if (written <= 0) {
      // A memory BIO never refuses a write: the session failed.
      ERR_clear_error();
      drain(out_, send);
      return false;
    }
    plaintext.remove_prefix(static_cast<std::size_t>(written));
  }
  drain(out_, send);
  return true;
}

TlsSession::Opened TlsSession::open(std::string_view received, std::string& plaintext) {
  std::lock_guard lock(mutex_);
  feed(in_, received);
  std::array<char, 16 * 1024> record;
  for (;;) {
    ERR_clear_error();
    const int size = SSL_read(ssl_, record.data(), static_cast<int>(record.size()));
    if (size > 0) {
      plaintext.append(record.data(), static_cast<std::size_t>(size));
      continue;
    }
    const int kind = SSL_get_error(ssl_, size);
    if (kind == SSL_ERROR_WANT_READ) return Opened::more;
    if (kind == SSL_ERROR_ZERO_RETURN) return Opened::closed;
    note_failure(size);
    return Opened::failed;
  }
}

}  // namespace compactor::net
