// SPDX-License-Identifier: Apache-2.0
#include "net/inbound_connection.hpp"

#include "core/logging.hpp"
#include "core/pid_text.hpp"
#include "net/dead_peer.hpp"
#include "net/network.hpp"
#include "net/tls_handshake.hpp"
#include "runtime/context_core.hpp"
#include "runtime/http_guard.hpp"
#include "runtime/process_record.hpp"
#include "runtime/scheduler.hpp"
#include "wire/message_head.hpp"
#include "wire/response_writer.hpp"

#include <fmt/core.h>

#include <linux/sockios.h>
#include <sys/ioctl.h>
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

util::Time now() { return std::chrono::steady_clock::now(); }

// The socket's peer; the unspecified address and port 0 if it is gone already.
asio::ip::tcp::endpoint peer_of(const asio::ip::tcp::socket& socket) {
  std::error_code error;
  auto peer = socket.remote_endpoint(error);
  return error ? asio::ip::tcp::endpoint() : peer;
}

}  // namespace

InboundConnection::InboundConnection(Network& network, asio::ip::tcp::socket socket)
    : network_(network),
      socket_(std::move(socket)),
      peer_(peer_of(socket_)),
      peer_ip_(peer_.port() != 0 ? canonical_peer_ip(peer_.address()) : std::string()),
      router_(network.core(), peer_ip_),
      run_on_io_thread_(network.core().options().run_on_io_thread),
      life_({.max_body_size = network.core().options().max_body_size,
             .handshake_timeout = network.core().options().tls_handshake_timeout,
             .request_timeout = network.core().options().request_timeout,
             .write_timeout = network.core().options().write_timeout,
             .min_answer_rate = network.core().options().min_answer_rate},
            &network.body_budget(), &network.answer_budget()),
      timer_(network.io()) {
  if (peer_.port() != 0) {
    peer_text_ = Address{peer_ip_, peer_.port()}.to_string();
    series_ = peer_ip_;
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
  life_.begin_handshake(now());
  watch_deadlines();
  if (tls->options().support_downgrade) {
    peek_first_bytes();
  } else {
    shake_hands();
  }
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
            self->life_.handshake_done(nullptr);
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
  tls_ = start_tls(socket_, *network_.tls(), TlsRole::server, peer_.address(),
                   network_.core().counters(),
                   [self = shared_from_this()](const std::optional<std::string>& refused) {
                     self->on_handshake(refused);
                   });
}

void InboundConnection::on_handshake(const std::optional<std::string>& refused) {
  if (closed_) return;
  if (refused) {
    network_.core().peer_log().warn(runtime::PeerEvent::tls_refused, peer_ip_,
                                    "TLS from {} refused: {}", peer_text_, *refused);
    close();
    return;
  }
  life_.handshake_done(tls_.get());
  const auto security = Tls::describe(tls_->ssl());
  core::log().debug("TLS from {}: {}", peer_text_, security);
  {
    std::lock_guard lock(stats_mutex_);
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
  if (closed_ || life_.reading_done()) return;  // reading done: a 408 ended the conversation
  if (error) {
    // EOF or reset: whatever was parsed has been delivered already.
    life_.reading_ended();
    if (error != asio::error::eof) {
      core::log().debug("inbound connection from {}: {}", peer_text_, error.message());
      close();
    } else if (!life_.writing() && life_.all_answered()) {
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
      network_.core().peer_log().warn(runtime::PeerEvent::tls_failed, peer_ip_,
                                      "inbound connection from {}: {}, closing", peer_text_,
                                      tls_->error());
      close();
      return;
    }
    bytes = tls_plaintext_;
    if (opened == TlsSession::Opened::closed) life_.reading_ended();  // after what came before
  }
  life_.received(bytes);
  // The process made runnable last waits until the read is parsed: a worker then takes what the
  // read brought it at once (one wake-up, one write of its answers), or, with run_on_io_thread,
  // it may run here.
  runtime::Scheduler::KeepLast keep(network_.core().scheduler(), /*keep=*/true);
  while (auto* request = life_.next_request()) deliver(*request);
  if (run_on_io_thread_) {
    keep.run_kept();
  } else {
    keep.hand_over();
  }
  switch (life_.read_done(now())) {
    case connection::InboundLifecycle::AfterRead::read:
      read();
      break;
    case connection::InboundLifecycle::AfterRead::pause_for_mailbox:
      pause_for_mailbox();
      break;
    case connection::InboundLifecycle::AfterRead::pause_for_answers:
      count_pause();  // write() reads again once the peer took its answers
      break;
    case connection::InboundLifecycle::AfterRead::stop:
      router_.take_congested();  // nothing more will be read anyway
      if (const auto& rejection = life_.rejection(); rejection.status != 0) {
        router_.refused(runtime::PeerEvent::request_rejected, rejection.status, rejection.detail,
                        peer_text_);
      }
      break;
  }
  write();
  watch_deadlines();
}

void InboundConnection::count_pause() {
  reads_paused_ = true;
  pauses_.fetch_add(1, std::memory_order_relaxed);
  runtime::StatsCounters::add(network_.core().counters().reads_paused);
}

void InboundConnection::pause_for_mailbox() {
  count_pause();
  router_.take_congested()->pause_reader([weak = weak_from_this(), handoff = network_.handoff()] {
    handoff->post(weak, [](InboundConnection& self) { self.resume_reading(); });
  });
}

void InboundConnection::resume_reading() {
  if (closed_) return;
  const bool resume = life_.resume_for_mailbox(now());
  reads_paused_ = life_.reads_paused();
  if (!resume) return;
  read();
  watch_deadlines();
}

void InboundConnection::deliver(wire::Request& request) {
  const bool close = !request.keep_alive;
  std::string decoded_target;  // holds what `target` views, when the target had escapes
  const auto target = wire::split_target(request.target, decoded_target);
  if (auto sender = wire::message_sender(request)) {
    messages_received_.fetch_add(1, std::memory_order_relaxed);
    const auto addresses = router_.addresses_seen();
    auto routed = target ? router_.message(*sender, target->process_id, std::string(target->rest),
                                           std::move(request.body))
                         : router_.message(*sender, {}, {}, {});
    if (router_.addresses_seen() != addresses) {
      // The metrics name the remote context, not the ephemeral port it connects from.
      const auto& from = router_.sender().address;
      std::lock_guard lock(stats_mutex_);
      series_ = from.ip.empty() ? peer_ip_ : from.to_string();
    }
    answer(std::move(routed), close, false);
  } else {
    const bool gzip_ok = wire::accepts_gzip(request.header("Accept-Encoding"));
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    http::Request routed;
    routed.method = request.method;
    routed.path = path;
    if (const auto mark = request.target.find('?'); mark != std::string_view::npos) {
      routed.query = request.target.substr(mark + 1);
    }
    for (const auto& header : request.headers)
      routed.headers.emplace_back(header.name, header.value);
    routed.body = std::move(request.body);
    answer(router_.http(std::move(routed), target ? target->process_id : std::string_view(),
                        target ? std::string(target->rest) : std::string(),
                        [&] { return awaited_answer(close, gzip_ok); }),
           close, gzip_ok);
  }
  if (router_.congested()) life_.mailbox_congested();
}

void InboundConnection::answer(runtime::Routed routed, bool close, bool gzip_ok) {
  // An awaited answer has its place already; the others go behind it (answer_buffer()).
  switch (routed.outcome) {
    case runtime::Routed::Outcome::accepted:
      wire::append_accepted(life_.answer_buffer(), close);
      break;
    case runtime::Routed::Outcome::refused:
      if (routed.status == 400) {
        wire::append_bad_request(life_.answer_buffer(), routed.reason, close);
      } else {
        wire::append_not_found(life_.answer_buffer(), close);
      }
      break;
    case runtime::Routed::Outcome::answer:
      wire::append_http_response(life_.answer_buffer(), std::move(*routed.response), close,
                                 gzip_ok);
      break;
    case runtime::Routed::Outcome::awaited:
      break;
  }
}

http::Responder InboundConnection::awaited_answer(bool close, bool gzip_ok) {
  const std::uint64_t slot = life_.await_answer();
  return http::Responder([weak = weak_from_this(), handoff = network_.handoff(), slot, close,
                          gzip_ok](http::Response response) {
    if (weak.expired()) return;  // the client went away
    auto answer = wire::encode_http_response(std::move(response), close, gzip_ok);
    handoff->post(weak, [slot, answer = std::move(answer)](InboundConnection& self) mutable {
      self.life_.answer_arrived(slot, std::move(answer), now());
      self.write();
      self.watch_deadlines();
    });
  });
}

void InboundConnection::write() {
  if (closed_) return;
  const auto step = life_.next_write(now());
  if (step.resume_reading) read();
  reads_paused_ = step.reads_paused;
  using What = connection::InboundLifecycle::Step::What;
  if (step.what == What::finish) {
    finish();
    return;
  }
  if (step.what == What::fail) {
    network_.core().peer_log().warn(
        runtime::PeerEvent::tls_failed, peer_ip_,
        "inbound connection from {}: TLS session failed while sealing answers, closing",
        peer_text_);
    close();
    return;
  }
  if (step.what == What::wait) return;
  auto written = [self = shared_from_this()](const std::error_code& error, std::size_t size) {
    self->on_written(error, size);
  };
  const auto slices = step.slices;
  if (slices.size() == 1) {  // the common case: small answers, one buffer
    socket_.async_write_some(asio::buffer(slices[0].data(), slices[0].size()), std::move(written));
    return;
  }
  // Heads and bodies where they are, in one gathering write.
  std::size_t count = 0;
  for (const auto slice : slices)
    write_buffers_[count++] = asio::buffer(slice.data(), slice.size());
  socket_.async_write_some(std::span<const asio::const_buffer>(write_buffers_.data(), count),
                           std::move(written));
}

void InboundConnection::on_written(const std::error_code& error, std::size_t size) {
  life_.wrote(size, now());
  if (error) {
    close();
    return;
  }
  look_at_socket_queue();
  write();
  watch_deadlines();
}

void InboundConnection::look_at_socket_queue() {
  if (!life_.wants_socket_queue()) return;
  int queued = 0;  // written, not yet acknowledged by the reader
  if (::ioctl(socket_.native_handle(), SIOCOUTQ, &queued) == 0 && queued >= 0) {
    life_.socket_queued(static_cast<std::size_t>(queued), now());
  }
}

void InboundConnection::watch_deadlines() {
  if (const auto due = life_.next_deadline(); !closed_ && timer_.sooner(due)) {
    timer_.arm(due, [self = shared_from_this()] { self->on_deadline(); });
  }
}

void InboundConnection::on_deadline() {
  if (closed_) return;
  auto& core = network_.core();
  const auto& options = core.options();
  using Due = connection::InboundLifecycle::Due;
  look_at_socket_queue();
  switch (life_.on_deadline(now())) {
    case Due::handshake_timeout:
      // A handshake under way counts its own failure when the socket closes under it.
      if (!tls_) runtime::StatsCounters::add(core.counters().tls_handshake_failures);
      core.peer_log().warn(runtime::PeerEvent::tls_refused, peer_ip_,
                           "TLS from {} refused: no handshake within tls_handshake_timeout {} ms",
                           peer_text_, options.tls_handshake_timeout.count());
      close();
      return;
    case Due::write_timeout:
      reset_reader(
          runtime::PeerEvent::write_stalled, nullptr,
          fmt::format("no write progress for write_timeout {} ms", options.write_timeout.count()));
      return;
    case Due::too_slow:
      reset_reader(runtime::PeerEvent::write_too_slow, &core.counters().answers_too_slow,
                   fmt::format("answers drained slower than min_answer_rate {} bytes/s over "
                               "write_timeout {} ms",
                               options.min_answer_rate, options.write_timeout.count()));
      return;
    case Due::over_budget:
      reset_reader(runtime::PeerEvent::answers_over_budget, &core.counters().answers_over_budget,
                   fmt::format("stuck while answers exceed max_buffered_answer_bytes {}",
                               options.max_buffered_answer_bytes));
      return;
    case Due::request_timeout:
      runtime::StatsCounters::add(core.counters().requests_timed_out);
      router_.refused(runtime::PeerEvent::request_timed_out, 408, life_.rejection().detail,
                      peer_text_);
      write();
      break;
    case Due::nothing:
      break;
  }
  watch_deadlines();
}

void InboundConnection::finish() {
  // Everything is answered: close our side; the peer's graceful close reads to our FIN.
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  close();
}

void InboundConnection::reset_reader(runtime::PeerEvent event, std::atomic<std::uint64_t>* counter,
                                     std::string_view why) {
  auto& core = network_.core();
  runtime::StatsCounters::add(core.counters().connections_failed);
  if (counter != nullptr) runtime::StatsCounters::add(*counter);
  core.peer_log().warn(event, peer_ip_,
                       "inbound connection from {}: {}, resetting ({} bytes of answers not taken)",
                       peer_text_, why, life_.unsent_bytes());
  abort();
}

void InboundConnection::abort() {
  // A reset, not a graceful close: what the socket still holds for this reader is dropped at
  // once instead of trickling out to it from an orphaned socket.
  std::error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  close();
}

void InboundConnection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  network_.forget(*this);
}

core::ConnectionStats InboundConnection::stats() const {
  std::lock_guard lock(stats_mutex_);
  return {.inbound = true,
          .peer = peer_text_,
          .series = series_,
          .state = reads_paused_.load(std::memory_order_relaxed) ? "paused" : "reading",
          .security = security_,
          .messages = messages_received_.load(std::memory_order_relaxed),
          .bytes = bytes_read_.load(std::memory_order_relaxed),
          .pauses = pauses_.load(std::memory_order_relaxed)};
}

}  // namespace compactor::net
