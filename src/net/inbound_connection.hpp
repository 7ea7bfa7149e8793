// SPDX-License-Identifier: Apache-2.0
#pragma once
// A connection a peer opened to us: requests in (decoded in one pass), answers out, in order.

#include "net/tls_session.hpp"
#include "runtime/transport.hpp"
#include "wire/request_decoder.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <compactor/http.hpp>
#include <compactor/pid.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace compactor::runtime {
class ProcessRecord;
}

namespace compactor::net {

class Network;

// Delivers every request it parsed completely, even if the peer resets the connection right
// after: nothing is undone once parsed. Answers 202/404 per message; answers and closes on bytes
// that are not HTTP (400), a body over max_body_size (413) or over the context's body budget
// (503), and a request not whole within request_timeout of its first byte (408). With TLS, the
// handshake comes first (after a look at the first bytes when plaintext is also taken), and must
// be done within request_timeout, or the connection is closed. Plain HTTP
// requests go to the built-in endpoints or a process's routes; their answers may come later, from
// any thread, and still leave in request order.
//
// @note Runs on the I/O thread only.
class InboundConnection final : public std::enable_shared_from_this<InboundConnection>,
                                private wire::RequestSink {
 public:
  InboundConnection(Network& network, asio::ip::tcp::socket socket);

  void start();
  // Closes at once (context shutdown).
  void close();
  // For operators; any thread.
  runtime::ConnectionStats stats() const;

 private:
  // TLS: tells TLS from plaintext by the first bytes (support_downgrade), then shakes hands.
  void peek_first_bytes();
  void shake_hands();
  void on_handshake(const std::optional<std::string>& refused);
  void watch_handshake_deadline();
  bool on_request(wire::Request& request) override;
  void answer_message(wire::Request& request, std::string_view sender_text);
  void serve_http(wire::Request& request);
  // An answer that may come later, from any thread (a route, a metrics snapshot): its place in
  // the order of answers is kept.
  http::Responder awaited_answer(bool close, bool gzip_ok);
  // Where the next answer goes: straight out, or behind an HTTP answer still awaited.
  std::string& answer_buffer();
  // An awaited HTTP answer arrived (on the I/O thread).
  void complete(std::uint64_t slot, std::string bytes);
  bool all_answered() const { return answers_.empty() && awaited_.empty(); }
  void read();
  void on_read(const std::error_code& error, std::size_t size);
  // Decodes what a read brought (opened first, with TLS).
  void consume(std::string_view bytes);
  // Answers a request that could not be decoded (400), was too large (413) or found no room in
  // the body budget (503).
  void reject(wire::DecodeStatus status);
  // Keeps request_timer_ armed while a request is incomplete, from its first byte.
  void watch_request_deadline();
  void on_request_deadline();
  // Flow control: stops reading until the congested mailbox is taken by its process.
  void pause_reading();
  void resume_reading();
  // Answers the peer has not taken yet (written, waiting, or awaited from a route) are over
  // their bound: a peer that pipelines without reading, or a slow route, must not make them grow.
  bool answers_backlogged() const;
  void write();
  void on_written(const std::error_code& error, std::size_t size);
  void watch_write_progress();
  void finish();

  static constexpr std::size_t kAnswerBacklogBytes = 1 << 20;
  static constexpr std::size_t kAwaitedResponses = 1024;

  Network& network_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;  // none: plaintext
  std::string tls_plaintext_;        // what the last read opened
  asio::ip::address peer_address_;
  std::string peer_ip_;
  // The last sender seen: a connection usually carries one sender's messages, so its PID text is
  // parsed once, not per message.
  std::string last_sender_text_;
  PID last_sender_;
  std::string peer_text_;
  wire::RequestDecoder decoder_;
  std::array<char, 64 * 1024> read_buffer_;
  asio::steady_timer request_timer_;
  bool request_timer_armed_ = false;
  // When the request under way began (none: between requests, or reading paused by us), and
  // how many requests had been seen then.
  std::optional<std::chrono::steady_clock::time_point> request_since_;
  std::uint64_t requests_seen_ = 0;
  std::uint64_t requests_seen_at_since_ = 0;
  // Set while a read is decoded when a delivery put a mailbox over its high-water mark.
  std::shared_ptr<runtime::ProcessRecord> congested_;
  bool paused_ = false;              // for a congested mailbox
  bool paused_for_answers_ = false;  // for answers_backlogged()
  std::string answers_;              // queued while a write is in flight
  // Answers in request order from the first one still awaited (a route answering later).
  struct Slot {
    std::uint64_t id;
    bool ready;
    std::string bytes;
  };
  std::deque<Slot> awaited_;
  std::uint64_t next_slot_ = 0;
  std::string writing_;
  std::size_t written_ = 0;  // of writing_
  bool write_in_flight_ = false;
  // A write that makes no progress for write_timeout fails the connection, as outbound.
  asio::steady_timer write_timer_;
  bool write_timer_armed_ = false;
  std::chrono::steady_clock::time_point last_write_progress_;
  bool handshaking_ = false;   // TLS not established yet: no request is read
  bool reading_done_ = false;  // EOF, error, or a request that closes the connection
  bool closed_ = false;
  // For stats(), read from any thread.
  std::atomic<std::uint64_t> bytes_read_{0};
  std::atomic<std::uint64_t> messages_received_{0};
  std::atomic<std::uint64_t> pauses_{0};
  std::atomic<bool> reads_paused_{false};
  mutable std::mutex security_mutex_;
  std::string security_ = "plaintext";  // guarded by security_mutex_
};

}  // namespace compactor::net
