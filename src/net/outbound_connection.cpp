// SPDX-License-Identifier: Apache-2.0
#include "net/outbound_connection.hpp"

#include "core/logging.hpp"
#include "net/dead_peer.hpp"
#include "net/network.hpp"
#include "net/tls_handshake.hpp"
#include "runtime/context_core.hpp"

#include <fmt/core.h>
#include <asio/post.hpp>

#include <sys/socket.h>

namespace compactor::net {
namespace {

using connection::OutboundLifecycle;

util::Time now() { return std::chrono::steady_clock::now(); }

connection::OutboundRules rules_of(Network& network) {
  const auto& options = network.core().options();
  const Tls* tls = network.tls();
  return {.high_water_bytes = options.peer_high_water_bytes,
          .connect_timeout = options.dead_peer_timeout,
          .write_timeout = options.write_timeout,
          .idle_timeout = options.idle_connection_timeout,
          .shutdown_timeout = options.shutdown_timeout,
          .tls = tls != nullptr,
          .support_downgrade = tls != nullptr && tls->options().support_downgrade};
}

}  // namespace

OutboundConnection::OutboundConnection(Network& network, Address remote)
    : network_(network),
      remote_(std::move(remote)),
      host_text_(remote_.to_string()),
      socket_(network.io()),
      timer_(network.io()),
      life_(rules_of(network), now()) {}

void OutboundConnection::start() {
  runtime::StatsCounters::add(network_.core().counters().connections_opened);
  asio::post(network_.io(), [self = shared_from_this()] {
    {
      std::lock_guard lock(self->mutex_);
      self->life_.start(now());
    }
    self->watch_deadlines();
    self->connect();
  });
}

void OutboundConnection::connect() {
  socket_.async_connect(
      {asio::ip::make_address(remote_.ip), remote_.port},
      [self = shared_from_this()](const std::error_code& error) { self->on_connected(error); });
}

bool OutboundConnection::start_after_close(std::shared_ptr<OutboundConnection> successor) {
  std::lock_guard lock(mutex_);
  if (!life_.start_successor_after_close()) return false;
  successor_ = std::move(successor);
  return true;
}

bool OutboundConnection::enqueue(std::string_view from_text, std::string_view receiver,
                                 std::string_view name, std::string_view body) {
  std::unique_lock lock(mutex_);
  if (life_.congested() && !runtime::running_a_process() &&
      !network_.io().get_executor().running_in_this_thread()) {
    life_.count_held_sender();
    const auto timeout = network_.core().options().send_timeout;
    const bool relieved = relieved_.wait_for(
        lock, timeout, [this] { return !life_.congested() || life_.closing_or_closed(); });
    if (!relieved) {
      const auto queued = life_.queued_bytes();
      lock.unlock();
      network_.core().count_unsent(1);
      throw std::runtime_error(fmt::format(
          "message '{}' to {}@{} not sent: {} bytes have waited for the peer for send_timeout {} "
          "ms",
          name, receiver, host_text_, queued, timeout.count()));
    }
  }
  const auto queued = life_.enqueue({from_text, receiver, host_text_, name, body}, now());
  if (queued == OutboundLifecycle::Queued::refused) return false;
  // A process that fills the queue is held after this handler (nothing is dropped).
  if (life_.congested()) {
    runtime::hold_current_process(shared_from_this());
    life_.count_held_sender();
  }
  if (queued == OutboundLifecycle::Queued::later) return true;
  if (runtime::defer_flush(shared_from_this())) {
    life_.promise_flush();
    return true;
  }
  write_now();
  return true;
}

void OutboundConnection::when_relieved(std::function<void()> relieved) {
  {
    std::lock_guard lock(mutex_);
    if (life_.congested() && life_.state() != OutboundLifecycle::State::closed) {
      held_.push_back(std::move(relieved));
      return;
    }
  }
  relieved();
}

void OutboundConnection::relieve(std::unique_lock<std::mutex>& lock) {
  std::vector<std::function<void()>> held;
  held.swap(held_);
  lock.unlock();
  relieved_.notify_all();
  for (auto& resume : held) resume();
}

void OutboundConnection::flush() {
  std::unique_lock lock(mutex_);
  if (!life_.flush()) return;
  write_now();
  // Held processes wait for the end of their batch's flush: a direct write may have relieved it.
  if (!life_.congested()) relieve(lock);
}

void OutboundConnection::write_now() {
  if (life_.may_write_directly()) {
    // None if sealing failed: the I/O thread fails the connection.
    if (const std::string* bytes = life_.bytes_for_direct_write()) {
      const ssize_t written = ::send(socket_.native_handle(), bytes->data(), bytes->size(),
                                     MSG_DONTWAIT | MSG_NOSIGNAL);
      // EAGAIN, a partial write, or an error the asynchronous write will report: the rest goes
      // through the I/O thread.
      if (life_.wrote_directly(written > 0 ? static_cast<std::size_t>(written) : 0)) return;
    }
  }
  life_.hand_to_writer();
  asio::post(network_.io(), [self = shared_from_this()] { self->write_pending(); });
}

bool OutboundConnection::add_link(const PID& linker, const PID& target) {
  std::lock_guard lock(mutex_);
  return life_.add_link(linker, target);
}

void OutboundConnection::on_connected(const std::error_code& error) {
  if (error) {
    fail("cannot connect: " + error.message());
    return;
  }
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  detect_dead_peer(socket_, network_.core().options().dead_peer_timeout);
  bool handshake;
  {
    std::lock_guard lock(mutex_);
    handshake = life_.wants_handshake();
  }
  if (!handshake) {
    on_established();
    return;
  }
  tls_ = start_tls(socket_, *network_.tls(), TlsRole::client, asio::ip::make_address(remote_.ip),
                   network_.core().counters(),
                   [self = shared_from_this()](const std::optional<std::string>& refused) {
                     self->on_handshake(refused);
                   });
}

void OutboundConnection::on_handshake(const std::optional<std::string>& refused) {
  if (!refused) {
    core::log().debug("TLS to {}: {}", host_text_, Tls::describe(tls_->ssl()));
    on_established();
    return;
  }
  OutboundLifecycle::Refusal refusal;
  {
    std::lock_guard lock(mutex_);
    refusal = life_.handshake_refused();
  }
  switch (refusal) {
    case OutboundLifecycle::Refusal::fail:
      fail("TLS refused: " + *refused);
      return;
    case OutboundLifecycle::Refusal::ignore:
      return;
    case OutboundLifecycle::Refusal::connect_plaintext:
      break;
  }
  core::log().warn("TLS to {} failed ({}); trying plaintext (support_downgrade)", host_text_,
                   *refused);
  runtime::StatsCounters::add(network_.core().counters().connections_downgraded);
  std::error_code ignored;
  socket_.close(ignored);
  tls_.reset();
  connect();
}

void OutboundConnection::on_established() {
  OutboundLifecycle::Opened opened;
  {
    std::lock_guard lock(mutex_);
    opened = life_.established(tls_ ? Tls::describe(tls_->ssl()) : "plaintext", tls_.get());
  }
  if (opened == OutboundLifecycle::Opened::ignore) return;
  read();
  if (opened == OutboundLifecycle::Opened::write) write_pending();
  if (opened == OutboundLifecycle::Opened::close) begin_close();
  watch_deadlines();
}

void OutboundConnection::write_pending() {
  std::unique_lock lock(mutex_);
  write_pending(lock);
}

void OutboundConnection::write_pending(std::unique_lock<std::mutex>& lock) {
  // The bytes stay put after the unlock: only this thread changes them.
  const auto step = life_.take_for_writing(now());
  if (step.next == OutboundLifecycle::Next::write) {
    relieve(lock);  // the queue is empty again: held senders go on
  } else {
    lock.unlock();
  }
  watch_deadlines(step.deadline);
  switch (step.next) {
    case OutboundLifecycle::Next::write:
      write(step.bytes);
      return;
    case OutboundLifecycle::Next::close:
      asio::post(network_.io(), [self = shared_from_this()] { self->begin_close(); });
      return;
    case OutboundLifecycle::Next::idle:
      return;
    case OutboundLifecycle::Next::fail:
      fail(OutboundLifecycle::kSealingFailed);
      return;
  }
}

void OutboundConnection::write(std::string_view bytes) {
  socket_.async_write_some(
      asio::buffer(bytes.data(), bytes.size()),
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        std::unique_lock lock(self->mutex_);
        const auto rest = self->life_.wrote(size, now());
        if (error) {
          lock.unlock();
          self->fail("write failed: " + error.message());
        } else if (rest.empty()) {
          self->write_pending(lock);  // the next batch, under the same lock
        } else {
          lock.unlock();
          self->write(rest);
        }
      });
}

void OutboundConnection::read() {
  socket_.async_read_some(
      asio::buffer(discard_buffer_),
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        self->on_read(error, size);
      });
}

void OutboundConnection::on_read(const std::error_code& error, std::size_t size) {
  if (!error && tls_) {
    discarded_.clear();
    // A close_notify (TlsSession::Opened::closed) is followed by the peer's FIN.
    if (tls_->open({discard_buffer_.data(), size}, discarded_) == TlsSession::Opened::failed) {
      fail("TLS: " + tls_->error());
      return;
    }
  }
  if (!error) {
    read();  // libprocess answers (202/404) are read and dropped
    return;
  }
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    reason = life_.read_ended(error == asio::error::eof, error.message());
  }
  fail(reason);
}

void OutboundConnection::close_when_flushed() {
  asio::post(network_.io(), [self = shared_from_this()] {
    bool close_now;
    {
      std::lock_guard lock(self->mutex_);
      close_now = self->life_.request_close();
    }
    if (close_now) self->begin_close();
  });
}

std::optional<std::string> OutboundConnection::security() const {
  std::lock_guard lock(mutex_);
  return life_.security();
}

bool OutboundConnection::mark_closing() {
  std::lock_guard lock(mutex_);
  return life_.begin_closing(now());
}

void OutboundConnection::begin_close() {
  if (!network_.begin_closing(shared_from_this())) return;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  watch_deadlines();  // the peer answers our FIN with its own once it has read everything
}

void OutboundConnection::watch_deadlines() {
  util::Time due;
  {
    std::lock_guard lock(mutex_);
    due = life_.next_deadline();
  }
  watch_deadlines(due);
}

void OutboundConnection::watch_deadlines(util::Time due) {
  if (timer_.sooner(due)) timer_.arm(due, [self = shared_from_this()] { self->on_deadline(); });
}

void OutboundConnection::on_deadline() {
  OutboundLifecycle::Due due;
  {
    std::lock_guard lock(mutex_);
    due = life_.on_deadline(now());
  }
  using What = OutboundLifecycle::Due::What;
  switch (due.what) {
    case What::fail:
      fail(due.reason);
      return;
    case What::end:
      fail({});
      return;
    case What::close:
      begin_close();
      break;
    case What::nothing:
      break;
  }
  watch_deadlines();
}

void OutboundConnection::fail(const std::string& reason) {
  OutboundLifecycle::Ended ended;
  std::shared_ptr<OutboundConnection> successor;
  {
    std::unique_lock lock(mutex_);
    ended = life_.end();
    if (!ended.now) return;
    successor.swap(successor_);
    // Under the lock: a worker's direct write checks the state under it (see the class comment).
    std::error_code ignored;
    socket_.close(ignored);
    relieve(lock);  // held senders go on; their next sends open a new connection
  }
  network_.forget(*this);
  timer_.cancel();
  // The peer has read everything this connection carried: its successor may go.
  if (ended.start_successor && successor) successor->start();
  if (reason.empty()) return;  // graceful close
  auto& core = network_.core();
  runtime::StatsCounters::add(core.counters().connections_failed);
  if (ended.lost_messages > 0) {
    core.count_unsent(ended.lost_messages);
    core.peer_log().warn(runtime::PeerEvent::connection_lost, host_text_,
                         "connection to {} failed ({}): {} message(s) not delivered", host_text_,
                         reason, ended.lost_messages);
  } else {
    core::log().debug("connection to {} ended: {}", host_text_, reason);
  }
  for (const auto& [linker, target] : ended.links) core.deliver_exited(linker, target);
  core.connection_failed(remote_, reason);
}

core::ConnectionStats OutboundConnection::stats() const {
  std::lock_guard lock(mutex_);
  auto stats = life_.stats();
  stats.peer = host_text_;
  stats.series = host_text_;  // the remote context's address: stable
  return stats;
}

}  // namespace compactor::net
