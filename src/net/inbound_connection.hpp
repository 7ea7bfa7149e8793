// SPDX-License-Identifier: Apache-2.0
#pragma once
// A connection a peer opened to us: requests in (decoded in one pass), answers out, in order.

#include "connection/inbound_lifecycle.hpp"
#include "net/deadline_timer.hpp"
#include "net/tls_session.hpp"
#include "runtime/peer_log.hpp"
#include "runtime/router.hpp"
#include "runtime/transport.hpp"

#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>

#include <compactor/http.hpp>
#include <compactor/pid.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

namespace compactor::runtime {
class ProcessRecord;
}

namespace compactor::net {

class Network;

// The asio driver of a connection::InboundLifecycle, which has the rules (decoding, answers in
// request order, flow control, the handshake, request and write deadlines). This delivers what
// it decodes: messages to processes (answered 202/404), plain HTTP requests to the built-in
// endpoints or a process's routes, whose answers may come later, from any thread. With TLS, the
// handshake comes first (after a look at the first bytes when plaintext is also taken).
//
// @note Runs on the I/O thread only.
class InboundConnection final : public std::enable_shared_from_this<InboundConnection> {
 public:
  InboundConnection(Network& network, asio::ip::tcp::socket socket);

  void start();
  // Closes at once (context shutdown).
  void close();
  // Closes with a reset, dropping what the socket still holds (a reader too slow or stuck).
  void abort();
  // For operators; any thread.
  core::ConnectionStats stats() const;

 private:
  // TLS: tells TLS from plaintext by the first bytes (support_downgrade), then shakes hands.
  void peek_first_bytes();
  void shake_hands();
  void on_handshake(const std::optional<std::string>& refused);
  // Hands a decoded request to the router, and queues its answer.
  void deliver(wire::Request& request);
  void answer(runtime::Routed routed, bool close, bool gzip_ok);
  // An answer that may come later, from any thread (a route, a metrics snapshot): its place in
  // the order of answers is kept.
  http::Responder awaited_answer(bool close, bool gzip_ok);
  void read();
  void on_read(const std::error_code& error, std::size_t size);
  // Decodes what a read brought (opened first, with TLS).
  void consume(std::string_view bytes);
  // Flow control: reading stops until the congested mailbox is taken by its process.
  void pause_for_mailbox();
  void count_pause();
  void resume_reading();
  void write();
  void on_written(const std::error_code& error, std::size_t size);
  // Tells the lifecycle what the socket's send queue holds, when it wants to know.
  void look_at_socket_queue();
  void watch_deadlines();
  void on_deadline();
  // Counts (connections_failed, and `counter` if given), logs why, and resets: a reader that
  // does not take its answers.
  void reset_reader(runtime::PeerEvent event, std::atomic<std::uint64_t>* counter,
                    std::string_view why);
  void finish();

  Network& network_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;  // none: plaintext
  std::string tls_plaintext_;        // what the last read opened
  asio::ip::tcp::endpoint peer_;     // port 0: gone before we looked
  std::string peer_ip_;
  std::string peer_text_;
  runtime::Router router_;
  const bool run_on_io_thread_;  // ContextOptions::run_on_io_thread
  connection::InboundLifecycle life_;
  std::array<char, 64 * 1024> read_buffer_;
  // The gathering write under way.
  std::array<asio::const_buffer, connection::InboundLifecycle::kMaxSlices> write_buffers_;
  DeadlineTimer timer_;
  bool closed_ = false;
  // For stats(), read from any thread.
  std::atomic<std::uint64_t> bytes_read_{0};
  std::atomic<std::uint64_t> messages_received_{0};
  std::atomic<std::uint64_t> pauses_{0};
  std::atomic<bool> reads_paused_{false};
  mutable std::mutex stats_mutex_;  // guards what follows
  std::string security_ = "plaintext";
  std::string series_;  // the peer as the metrics name it (ConnectionStats::series)
};

}  // namespace compactor::net
