// SPDX-License-Identifier: Apache-2.0
#include "net/inbound_connection.hpp"

#include "core/pid_text.hpp"
#include "net/dead_peer.hpp"
#include "net/network.hpp"
#include "net/tls_handshake.hpp"
#include "runtime/context_core.hpp"
#include "runtime/http_guard.hpp"
#include "runtime/logging.hpp"
#include "runtime/process_record.hpp"
#include "wire/message_head.hpp"
#include "wire/response_writer.hpp"

#include <fmt/core.h>
#include <asio/post.hpp>
#include <asio/write.hpp>

#include <sys/socket.h>

namespace compactor::net {
namespace {

// The peer's IP in the canonical text PIDs use (IPv4-mapped IPv6 shown as IPv4).
std::string canonical_peer_ip(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

}  // namespace

InboundConnection::InboundConnection(Network& network, asio::ip::tcp::socket socket)
    : network_(network),
      socket_(std::move(socket)),
      decoder_(*this, network.core().options().max_body_size, &network.body_budget()),
      request_timer_(network.io()),
      write_timer_(network.io()) {
  std::error_code error;
  const auto peer = socket_.remote_endpoint(error);
  if (!error) {
    peer_address_ = peer.address();
    peer_ip_ = canonical_peer_ip(peer.address());
    peer_text_ = Address{peer_ip_, peer.port()}.to_string();
  }
}

void InboundConnection::start() {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  detect_dead_peer(socket_, network_.core().options().dead_peer_timeout);
  const Tls* tls = network_.tls();
  if (tls == nullptr) {
    read();
    return;
  }
  handshaking_ = true;
  watch_handshake_deadline();
  if (tls->options().support_downgrade) {
    peek_first_bytes();
  } else {
    shake_hands();
  }
}

void InboundConnection::watch_handshake_deadline() {
  const auto timeout = network_.core().options().request_timeout;
  if (timeout.count() == 0) return;
  request_timer_.expires_after(timeout);
  request_timer_.async_wait([self = shared_from_this(), timeout](const std::error_code& error) {
    if (error || !self->handshaking_ || self->closed_) return;
    // A handshake under way counts its own failure when the socket closes under it.
    if (!self->tls_) {
      runtime::StatsCounters::add(self->network_.core().counters().tls_handshake_failures);
    }
    runtime::log().warn("TLS from {} refused: no handshake within request_timeout {} ms",
                        self->peer_text_, timeout.count());
    self->close();
  });
}

void InboundConnection::peek_first_bytes() {
  socket_.async_wait(
      asio::socket_base::wait_read, [self = shared_from_this()](const std::error_code& error) {
        if (self->closed_) return;
        std::array<char, kFirstBytesNeeded> first;
        std::error_code peek_error;
        const auto size =
            error ? 0 : self->socket_.receive(asio::buffer(first), MSG_PEEK, peek_error);
        if (error || peek_error || size == 0) {
          self->close();  // gone before a word
          return;
        }
        switch (classify_first_bytes({first.data(), size})) {
          case FirstBytes::tls:
            self->shake_hands();
            return;
          case FirstBytes::plaintext:
            runtime::StatsCounters::add(self->network_.core().counters().connections_downgraded);
            self->handshaking_ = false;
            self->request_timer_.cancel();
            self->read();
            return;
          case FirstBytes::too_few: {
            // The rest of the record header is on its way: look again shortly (the handshake
            // deadline bounds this).
            auto timer = std::make_shared<asio::steady_timer>(self->network_.io());
            timer->expires_after(std::chrono::milliseconds(5));
            timer->async_wait([self, timer](const std::error_code&) { self->peek_first_bytes(); });
            return;
          }
        }
      });
}

void InboundConnection::shake_hands() {
  tls_ = start_tls(socket_, *network_.tls(), TlsRole::server, peer_address_,
                   network_.core().counters(),
                   [self = shared_from_this()](const std::optional<std::string>& refused) {
                     self->on_handshake(refused);
                   });
}

void InboundConnection::on_handshake(const std::optional<std::string>& refused) {
  if (closed_) return;
  if (refused) {
    runtime::log().warn("TLS from {} refused: {}", peer_text_, *refused);
    close();
    return;
  }
  handshaking_ = false;
  request_timer_.cancel();
  const auto security = Tls::describe(tls_->ssl());
  runtime::log().debug("TLS from {}: {}", peer_text_, security);
  {
    std::lock_guard lock(security_mutex_);
    security_ = security;
  }
  consume({});  // what came with the end of the handshake
}

void InboundConnection::read() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        self->on_read(error, size);
      });
}

void InboundConnection::on_read(const std::error_code& error, std::size_t size) {
  if (closed_ || reading_done_) return;  // reading_done_: a 408 ended the conversation
  if (error) {
    // EOF or reset: whatever was parsed has been delivered already.
    reading_done_ = true;
    if (error != asio::error::eof) {
      runtime::log().debug("inbound connection from {}: {}", peer_text_, error.message());
      close();
    } else if (!write_in_flight_ && all_answered()) {
      finish();
    }
    return;
  }
  bytes_read_.fetch_add(size, std::memory_order_relaxed);
  consume({read_buffer_.data(), size});
}

void InboundConnection::consume(std::string_view bytes) {
  if (tls_) {
    tls_plaintext_.clear();
    const auto opened = tls_->open(bytes, tls_plaintext_);
    if (opened == TlsSession::Opened::failed) {
      runtime::log().warn("inbound connection from {}: {}, closing", peer_text_, tls_->error());
      close();
      return;
    }
    bytes = tls_plaintext_;
    if (opened == TlsSession::Opened::closed) reading_done_ = true;  // after what came before
  }
  const auto status = decoder_.feed(bytes.data(), bytes.size());
  if (status == wire::DecodeStatus::ok && !reading_done_) {
    if (congested_) {
      pause_reading();
    } else if (answers_backlogged()) {
      paused_for_answers_ = true;  // write() reads again once the peer took its answers
      reads_paused_ = true;
      pauses_.fetch_add(1, std::memory_order_relaxed);
      request_since_.reset();
      runtime::StatsCounters::add(network_.core().counters().reads_paused);
    } else {
      watch_request_deadline();
      read();
    }
  } else if (status != wire::DecodeStatus::ok) {
    // A request asked to close, or the bytes cannot be decoded: answer what we have, then close.
    reading_done_ = true;
    congested_.reset();  // nothing more will be read anyway
    if (status != wire::DecodeStatus::stopped) reject(status);
  }
  write();
}

void InboundConnection::reject(wire::DecodeStatus status) {
  const auto& detail = decoder_.error_detail();
  runtime::StatsCounters::add(network_.core().counters().requests_rejected);
  runtime::log().warn("request from {} rejected, closing: {}", peer_text_, detail);
  const int code = status == wire::DecodeStatus::body_too_large ? 413
                   : status == wire::DecodeStatus::over_budget  ? 503
                                                                : 400;
  wire::append_closing_error(answer_buffer(), code, detail);
}

void InboundConnection::watch_request_deadline() {
  const auto timeout = network_.core().options().request_timeout;
  if (timeout.count() == 0) return;
  if (!decoder_.in_request()) {
    request_since_.reset();  // an armed timer finds nothing to time and is not re-armed
    return;
  }
  // The request under way began in this read if one ended in it (or none was under way).
  if (!request_since_ || requests_seen_ != requests_seen_at_since_) {
    request_since_ = std::chrono::steady_clock::now();
    requests_seen_at_since_ = requests_seen_;
  }
  // One timer per request_timeout, not per read: when it fires it checks the request's age.
  if (request_timer_armed_) return;
  request_timer_armed_ = true;
  request_timer_.expires_at(*request_since_ + timeout);
  request_timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    self->request_timer_armed_ = false;
    if (!error) self->on_request_deadline();
  });
}

void InboundConnection::pause_reading() {
  paused_ = true;
  reads_paused_ = true;
  pauses_.fetch_add(1, std::memory_order_relaxed);
  // A request that stalls because we stopped reading is not the peer's fault.
  request_since_.reset();
  runtime::StatsCounters::add(network_.core().counters().reads_paused);
  auto congested = std::move(congested_);
  congested->pause_reader([weak = weak_from_this(), executor = socket_.get_executor()] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->resume_reading();
    });
  });
}

void InboundConnection::resume_reading() {
  if (!paused_ || closed_) return;
  paused_ = false;
  if (paused_for_answers_) return;  // write() reads again
  reads_paused_ = false;
  watch_request_deadline();
  read();
}

void InboundConnection::on_request_deadline() {
  if (closed_ || reading_done_ || !request_since_ || !decoder_.in_request()) return;
  auto& core = network_.core();
  if (std::chrono::steady_clock::now() - *request_since_ < core.options().request_timeout) {
    watch_request_deadline();  // a later request: wait for the rest of its time
    return;
  }
  runtime::StatsCounters::add(core.counters().requests_timed_out);
  runtime::StatsCounters::add(core.counters().requests_rejected);
  const auto detail = fmt::format("request not complete within request_timeout {} ms",
                                  core.options().request_timeout.count());
  runtime::log().warn("request from {} timed out, closing: {}", peer_text_, detail);
  reading_done_ = true;
  wire::append_closing_error(answer_buffer(), 408, detail);
  write();
}

bool InboundConnection::on_request(wire::Request& request) {
  ++requests_seen_;
  const bool close = !request.keep_alive;
  if (auto sender = wire::message_sender(request)) {
    answer_message(request, *sender);
  } else {
    serve_http(request);
  }
  if (close) {
    // The answer just queued closes the connection; libprocess's 202 says so only implicitly.
    return false;
  }
  return true;
}

void InboundConnection::answer_message(wire::Request& request, std::string_view sender_text) {
  auto& core = network_.core();
  const bool close = !request.keep_alive;
  runtime::StatsCounters::add(core.counters().messages_received_remote);
  messages_received_.fetch_add(1, std::memory_order_relaxed);
  if (sender_text != last_sender_text_) {
    // A sender PID that does not parse is taken as empty, as libprocess does.
    last_sender_ = detail::parse_literal_pid(sender_text).value_or(PID());
    last_sender_text_.assign(sender_text);
  }
  PID from = last_sender_;
  if (core.options().require_peer_address_ip_match && from.address.ip != peer_ip_) {
    runtime::StatsCounters::add(core.counters().requests_rejected);
    core.count_dropped(runtime::DropReason::rejected);
    const std::string reason = "sender IP of '" + std::string(sender_text) +
                               "' does not match the connection's peer IP " + peer_ip_;
    runtime::log().warn("message rejected: {}", reason);
    wire::append_bad_request(answer_buffer(), reason, close);
    return;
  }
  auto target = wire::split_target(request.target);
  if (target && core.deliver_message(target->process_id, std::move(from), std::move(target->rest),
                                     std::move(request.body), &congested_)) {
    wire::append_accepted(answer_buffer(), close);
    return;
  }
  if (!target) core.count_dropped(runtime::DropReason::no_receiver);
  runtime::StatsCounters::add(core.counters().requests_rejected);
  wire::append_not_found(answer_buffer(), close);
}

void InboundConnection::serve_http(wire::Request& request) {
  auto& core = network_.core();
  const bool close = !request.keep_alive;
  const bool gzip_ok = wire::accepts_gzip(request.header("Accept-Encoding"));
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.find("/..") != std::string_view::npos) {  // never let a path climb
    runtime::StatsCounters::add(core.counters().requests_rejected);
    wire::append_not_found(answer_buffer(), close);
    return;
  }
  if (auto refusal = runtime::refuse_disabled(core.options(), path)) {
    runtime::StatsCounters::add(core.counters().requests_rejected);
    wire::append_http_response(answer_buffer(), *refusal, close, gzip_ok);
    return;
  }
  const auto split = wire::split_target(target);
  http::Request routed;
  routed.method = request.method;
  routed.path = split ? "/" + split->rest : std::string(path);
  if (const auto mark = target.find('?'); mark != std::string_view::npos) {
    routed.query = target.substr(mark + 1);
  }
  for (const auto& header : request.headers) routed.headers.emplace_back(header.name, header.value);
  if (const auto endpoint = core.builtin_endpoint(path)) {
    const auto& realm = core.options().builtin_endpoints_realm;
    if (auto refusal =
            realm ? runtime::authenticate(core.options(), *realm, routed) : std::nullopt) {
      runtime::StatsCounters::add(core.counters().requests_rejected);
      wire::append_http_response(answer_buffer(), *refusal, close, gzip_ok);
      return;
    }
    routed.path = path;  // built-in endpoints see the whole path
    endpoint(core, routed, awaited_answer(close, gzip_ok));
    return;
  }
  if (!split) {
    runtime::StatsCounters::add(core.counters().requests_rejected);
    wire::append_not_found(answer_buffer(), close);
    return;
  }
  routed.body = std::move(request.body);
  auto respond = awaited_answer(close, gzip_ok);
  if (!core.deliver_http(split->process_id, std::move(routed), respond, &congested_)) {
    runtime::StatsCounters::add(core.counters().requests_rejected);
    respond(http::Response::text("404 Not Found.", 404));
  }
}

http::Responder InboundConnection::awaited_answer(bool close, bool gzip_ok) {
  const std::uint64_t slot = next_slot_++;
  awaited_.push_back({slot, false, {}});
  return http::Responder([weak = weak_from_this(), slot, close, gzip_ok](http::Response response) {
    auto self = weak.lock();
    if (!self) return;  // the client went away
    std::string bytes;
    wire::append_http_response(bytes, response, close, gzip_ok);
    asio::post(self->socket_.get_executor(), [self, slot, bytes = std::move(bytes)]() mutable {
      self->complete(slot, std::move(bytes));
    });
  });
}

std::string& InboundConnection::answer_buffer() {
  if (awaited_.empty()) return answers_;
  awaited_.push_back({next_slot_++, true, {}});
  return awaited_.back().bytes;
}

void InboundConnection::complete(std::uint64_t slot, std::string bytes) {
  for (auto& awaited : awaited_) {
    if (awaited.id == slot) {
      awaited.ready = true;
      awaited.bytes = std::move(bytes);
      break;
    }
  }
  while (!awaited_.empty() && awaited_.front().ready) {
    answers_ += awaited_.front().bytes;
    awaited_.pop_front();
  }
  write();
}

bool InboundConnection::answers_backlogged() const {
  return answers_.size() + (writing_.size() - written_) > kAnswerBacklogBytes ||
         awaited_.size() > kAwaitedResponses;
}

void InboundConnection::write() {
  if (write_in_flight_ || closed_) return;
  if (paused_for_answers_ && !answers_backlogged()) {
    paused_for_answers_ = false;
    reads_paused_ = paused_;
    if (!paused_ && !reading_done_) {
      watch_request_deadline();
      read();
    }
  }
  if (written_ == writing_.size()) {
    if (answers_.empty()) {
      if (reading_done_ && awaited_.empty()) finish();
      return;
    }
    writing_.clear();
    if (tls_) {
      tls_->seal(answers_, writing_);
      answers_.clear();
    } else {
      writing_.swap(answers_);
    }
    written_ = 0;
  }
  write_in_flight_ = true;
  last_write_progress_ = std::chrono::steady_clock::now();
  watch_write_progress();
  socket_.async_write_some(
      asio::buffer(writing_.data() + written_, writing_.size() - written_),
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        self->on_written(error, size);
      });
}

// One timer per write_timeout, not per write: it checks the time of the last progress when it
// fires, and waits again for the rest if there was some.
void InboundConnection::watch_write_progress() {
  const auto timeout = network_.core().options().write_timeout;
  if (timeout.count() == 0 || write_timer_armed_) return;
  write_timer_armed_ = true;
  write_timer_.expires_at(last_write_progress_ + timeout);
  write_timer_.async_wait([self = shared_from_this(), timeout](const std::error_code& error) {
    self->write_timer_armed_ = false;
    if (error || !self->write_in_flight_ || self->closed_) return;
    if (std::chrono::steady_clock::now() - self->last_write_progress_ < timeout) {
      self->watch_write_progress();
      return;
    }
    runtime::StatsCounters::add(self->network_.core().counters().connections_failed);
    runtime::log().warn(
        "inbound connection from {}: no write progress for write_timeout {} ms, closing ({} bytes "
        "of answers not taken)",
        self->peer_text_, timeout.count(),
        self->writing_.size() - self->written_ + self->answers_.size());
    self->close();
  });
}

void InboundConnection::on_written(const std::error_code& error, std::size_t size) {
  write_in_flight_ = false;
  if (error) {
    close();
    return;
  }
  written_ += size;
  write();
}

void InboundConnection::finish() {
  // Everything is answered: close our side; the peer's graceful close reads to our FIN.
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  close();
}

void InboundConnection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  request_timer_.cancel();
  write_timer_.cancel();
  socket_.close(ignored);
  network_.forget(*this);
}

runtime::ConnectionStats InboundConnection::stats() const {
  return {.inbound = true,
          .peer = peer_text_,
          .state = reads_paused_.load(std::memory_order_relaxed) ? "paused" : "reading",
          .security =
              [this] {
                std::lock_guard lock(security_mutex_);
                return security_;
              }(),
          .messages = messages_received_.load(std::memory_order_relaxed),
          .bytes = bytes_read_.load(std::memory_order_relaxed),
          .pauses = pauses_.load(std::memory_order_relaxed)};
}

}  // namespace compactor::net
