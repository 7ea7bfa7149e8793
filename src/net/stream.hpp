#pragma once
// A connection's byte stream: the TCP socket itself, or TLS over it once start_tls() is called.

#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>

#include <memory>
#include <utility>

namespace compactor::net {

// @note Like the socket it wraps: one read and one write in flight at most, on the I/O thread.
class Stream {
 public:
  explicit Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  explicit Stream(asio::io_context& io) : socket_(io) {}  // to connect

  asio::ip::tcp::socket& socket() { return socket_; }
  bool secure() const { return tls_ != nullptr; }

  // Puts TLS over the socket (the handshake comes next); its SSL object, for settings and checks.
  SSL* start_tls(asio::ssl::context& context) {
    tls_ = std::make_unique<TlsStream>(socket_, context);
    return tls_->native_handle();
  }
  // Back to plaintext (a downgrade, on a socket opened again).
  void stop_tls() { tls_.reset(); }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

  template <class Handler>
  void async_handshake(asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    tls_->async_handshake(type, std::forward<Handler>(handler));
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;

  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;
};

// The end of a stream: EOF, or TLS ended by closing TCP without a close_notify (libprocess and
// compactor close so).
inline bool is_end_of_stream(const std::error_code& error) {
  return error == asio::error::eof || error == asio::ssl::error::stream_truncated;
}

}  // namespace compactor::net
