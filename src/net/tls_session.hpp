// SPDX-License-Identifier: Apache-2.0
#pragma once
// One connection's TLS: OpenSSL's state over memory buffers, the connection moving the bytes.

#include "connection/record_sealer.hpp"
#include "net/tls.hpp"

#include <openssl/types.h>

#include <mutex>
#include <string>
#include <string_view>

namespace compactor::net {

// Records are sealed by whichever thread writes (a worker writing straight to the socket, as in
// plaintext: a hop to the I/O thread per write halves the throughput) and opened by the I/O
// thread as bytes arrive; a lock keeps them apart, since an SSL object is not thread-safe. The
// ciphertext leaves in the order seal() gives it, which the connection keeps.
//
// @note seal() from any thread; the rest on the I/O thread.
class TlsSession final : public connection::RecordSealer {
 public:
  TlsSession(Tls& tls, TlsRole role, const asio::ip::address& peer);
  ~TlsSession() override;

  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Progress { done, want_read, failed };
  // Advances the handshake with the bytes `received` (none at first); appends what must be
  // sent to `send`. After done, received bytes beyond the handshake wait for open().
  Progress handshake(std::string_view received, std::string& send);

  // Encrypts `plaintext` into records appended to `send`, after any bytes TLS itself left to
  // send (an answer to a key update).
  bool seal(std::string_view plaintext, std::string& send) override;

  enum class Opened { more, closed, failed };
  // Decrypts what arrived (and what was left after the handshake), appending the data to
  // `plaintext`; closed once the peer sent close_notify, failed on records that do not open.
  Opened open(std::string_view received, std::string& plaintext);

  // Why the handshake or open() failed, in words.
  const std::string& error() const { return error_; }
  // For the checks after the handshake and for describing the connection (I/O thread).
  SSL* ssl() const { return ssl_; }

 private:
  void note_failure(int result);

  std::mutex mutex_;
  const Tls& tls_;
  const TlsRole role_;
  SSL* ssl_;
  BIO* in_;   // received bytes, for OpenSSL to read (owned by ssl_)
  BIO* out_;  // what OpenSSL wrote, to send (owned by ssl_)
  std::string error_;
};

}  // namespace compactor::net
