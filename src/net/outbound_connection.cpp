// SPDX-License-Identifier: Apache-2.0
#include "net/outbound_connection.hpp"

#include "net/dead_peer.hpp"
#include "net/network.hpp"
#include "net/tls_handshake.hpp"
#include "runtime/context_core.hpp"
#include "runtime/logging.hpp"

#include <fmt/core.h>
#include <asio/connect.hpp>
#include <asio/post.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace compactor::net {
namespace {

asio::ip::tcp::endpoint endpoint_of(const Address& address) {
  return {asio::ip::make_address(address.ip), address.port};
}

}  // namespace

OutboundConnection::OutboundConnection(Network& network, Address remote)
    : network_(network),
      remote_(std::move(remote)),
      host_text_(remote_.to_string()),
      socket_(network.io()),
      plaintext_(network.tls() == nullptr),
      timer_(network.io()),
      write_timer_(network.io()),
      last_enqueue_(std::chrono::steady_clock::now()) {}

void OutboundConnection::start() {
  runtime::StatsCounters::add(network_.core().counters().connections_opened);
  // A peer that never answers the SYN (a partition) would take the kernel minutes to give up.
  if (const auto timeout = network_.core().options().dead_peer_timeout; timeout.count() > 0) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), timeout](const std::error_code& error) {
      if (error) return;
      bool connecting;
      {
        std::lock_guard lock(self->mutex_);
        connecting = self->state_ == State::connecting;
      }
      if (connecting) {
        self->fail(fmt::format("cannot connect: no answer within dead_peer_timeout {} ms",
                               timeout.count()));
      }
    });
  }
  connect();
}

void OutboundConnection::connect() {
  socket_.async_connect(
      endpoint_of(remote_),
      [self = shared_from_this()](const std::error_code& error) { self->on_connected(error); });
}

bool OutboundConnection::start_after_close(std::shared_ptr<OutboundConnection> successor) {
  std::lock_guard lock(mutex_);
  if (state_ == State::closed) return false;
  successor_ = std::move(successor);
  return true;
}

bool OutboundConnection::enqueue(std::string_view from_text, std::string_view receiver,
                                 std::string_view name, std::string_view body) {
  std::unique_lock lock(mutex_);
  if (congested() && !runtime::running_a_process() &&
      !network_.io().get_executor().running_in_this_thread()) {
    ++senders_held_;
    const auto timeout = network_.core().options().send_timeout;
    const bool relieved = relieved_.wait_for(lock, timeout, [this] {
      return !congested() || state_ == State::closing || state_ == State::closed;
    });
    if (!relieved) {
      const auto queued = pending_.size();
      lock.unlock();
      network_.core().count_unsent(1);
      throw std::runtime_error(fmt::format(
          "message '{}' to {}@{} not sent: {} bytes have waited for the peer for send_timeout {} "
          "ms",
          name, receiver, host_text_, queued, timeout.count()));
    }
  }
  if (state_ == State::closing || state_ == State::closed) return false;
  wire::encode_message(pending_, {from_text, receiver, host_text_, name, body});
  // A process that fills the queue is held after this handler (nothing is dropped).
  if (congested()) {
    runtime::hold_current_process(shared_from_this());
    ++senders_held_;
  }
  ++pending_messages_;
  ++messages_sent_;
  last_enqueue_ = std::chrono::steady_clock::now();
  if (state_ != State::open || write_in_flight_ || flush_deferred_) return true;  // written later
  if (runtime::defer_flush(shared_from_this())) {
    flush_deferred_ = true;
    return true;
  }
  write_now();
  return true;
}

bool OutboundConnection::congested() const {
  const auto mark = network_.core().options().peer_high_water_bytes;
  return mark != 0 && pending_.size() + sealed_.size() >= mark;
}

bool OutboundConnection::nothing_queued() const { return pending_.empty() && sealed_.empty(); }

void OutboundConnection::take_queued(std::string& out) {
  if (!tls_) {
    if (out.empty()) {
      out.swap(pending_);
    } else {
      out += pending_;
      pending_.clear();
    }
    return;
  }
  out += sealed_;
  sealed_.clear();
  tls_->seal(pending_, out);
  pending_.clear();
}

void OutboundConnection::when_relieved(std::function<void()> relieved) {
  {
    std::lock_guard lock(mutex_);
    if (congested() && state_ != State::closed) {
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
  flush_deferred_ = false;
  if (state_ != State::open || write_in_flight_ || nothing_queued()) return;
  write_now();
  // Held processes wait for the end of their batch's flush: a direct write may have relieved it.
  if (!congested()) relieve(lock);
}

void OutboundConnection::write_now() {
  if (try_write_directly()) return;
  write_in_flight_ = true;
  asio::post(network_.io(), [self = shared_from_this()] { self->write_pending(); });
}

bool OutboundConnection::try_write_directly() {
  // Only when a zero idle timeout wants every write observed by the I/O thread is this skipped.
  if (network_.core().options().idle_connection_timeout.count() == 0 && !persistent_) return false;
  // With TLS the records are sealed here, under mutex_, so they leave in the order sealed.
  if (tls_) take_queued(sealed_);
  std::string& bytes = tls_ ? sealed_ : pending_;
  const ssize_t written =
      ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (written > 0) bytes_written_.fetch_add(written, std::memory_order_relaxed);
  if (written == static_cast<ssize_t>(bytes.size())) {
    bytes.clear();
    pending_messages_ = 0;
    return true;
  }
  if (written > 0) {
    // The rest goes through the I/O thread; its messages are still counted as pending.
    bytes.erase(0, static_cast<std::size_t>(written));
  }
  return false;  // EAGAIN, a partial write, or an error the async write will report
}

bool OutboundConnection::add_link(const PID& linker, const PID& target) {
  std::lock_guard lock(mutex_);
  if (state_ == State::closing || state_ == State::closed) return false;
  persistent_ = true;
  links_.emplace_back(linker, target);
  return true;
}

void OutboundConnection::on_connected(const std::error_code& error) {
  if (error) {
    fail("cannot connect: " + error.message());
    return;
  }
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  detect_dead_peer(socket_, network_.core().options().dead_peer_timeout);
  if (plaintext_) {
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
    runtime::log().debug("TLS to {}: {}", host_text_, Tls::describe(tls_->ssl()));
    on_established();
    return;
  }
  if (!network_.tls()->options().support_downgrade) {
    fail("TLS refused: " + *refused);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::connecting) return;  // failed meanwhile (the connect deadline)
  }
  runtime::log().warn("TLS to {} failed ({}); trying plaintext (support_downgrade)", host_text_,
                      *refused);
  runtime::StatsCounters::add(network_.core().counters().connections_downgraded);
  std::error_code ignored;
  socket_.close(ignored);
  tls_.reset();
  plaintext_ = true;
  connect();
}

void OutboundConnection::on_established() {
  timer_.cancel();
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::connecting) return;
    state_ = State::open;
    security_ = tls_ ? Tls::describe(tls_->ssl()) : "plaintext";
    if (!pending_.empty()) write_in_flight_ = true;
  }
  read();
  write_pending();
  arm_idle_timer();
}

void OutboundConnection::write_pending() {
  {
    std::unique_lock lock(mutex_);
    if (state_ != State::open && state_ != State::closing) return;
    if (nothing_queued()) {
      write_in_flight_ = false;
      if (close_requested_) {
        asio::post(network_.io(), [self = shared_from_this()] { self->begin_close(); });
      }
      return;
    }
    write_in_flight_ = true;
    take_queued(writing_);
    writing_messages_ = pending_messages_;
    pending_messages_ = 0;
    relieve(lock);  // the queue is empty again: held senders may go on
  }
  written_ = 0;
  write_some();
}

void OutboundConnection::write_some() {
  // Each write follows progress (or an idle queue): a slow peer is fine, a stuck one is not.
  last_write_progress_ = std::chrono::steady_clock::now();
  watch_write_progress();
  socket_.async_write_some(
      asio::buffer(writing_.data() + written_, writing_.size() - written_),
      [self = shared_from_this()](const std::error_code& error, std::size_t size) {
        self->written_ += size;
        self->bytes_written_.fetch_add(size, std::memory_order_relaxed);
        if (!error && self->written_ < self->writing_.size()) {
          self->write_some();
        } else {
          self->on_written(error);
        }
      });
}

// One timer per write_timeout, not per write: when it fires it checks the last progress, and
// waits again for the rest if there was some.
void OutboundConnection::watch_write_progress() {
  const auto timeout = network_.core().options().write_timeout;
  if (timeout.count() == 0 || write_timer_armed_) return;
  write_timer_armed_ = true;
  write_timer_.expires_at(last_write_progress_ + timeout);
  write_timer_.async_wait([self = shared_from_this(), timeout](const std::error_code& error) {
    self->write_timer_armed_ = false;
    if (error || self->writing_.empty()) return;  // cancelled, or no write under way
    if (std::chrono::steady_clock::now() - self->last_write_progress_ < timeout) {
      self->watch_write_progress();
      return;
    }
    self->fail(fmt::format("no write progress for write_timeout {} ms (the peer does not read)",
                           timeout.count()));
  });
}

void OutboundConnection::on_written(const std::error_code& error) {
  if (error) {
    fail("write failed: " + error.message());
    return;
  }
  writing_.clear();
  writing_messages_ = 0;
  write_pending();
  std::lock_guard lock(mutex_);
  const bool idle = !write_in_flight_ && nothing_queued();
  if (idle && !persistent_ && state_ == State::open &&
      network_.core().options().idle_connection_timeout.count() == 0) {
    asio::post(network_.io(), [self = shared_from_this()] { self->begin_close(); });
  }
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
    switch (tls_->open({discard_buffer_.data(), size}, discarded_)) {
      case TlsSession::Opened::more:
        break;
      case TlsSession::Opened::failed:
        fail("TLS: " + tls_->error());
        return;
      case TlsSession::Opened::closed:  // the peer's close_notify; its FIN follows
        break;
    }
  }
  if (!error) {
    read();  // libprocess answers (202/404) are read and dropped
    return;
  }
  bool closing;
  {
    std::lock_guard lock(mutex_);
    closing = state_ == State::closing;
  }
  if (closing) {
    fail({});  // the peer answered our FIN: a graceful close
  } else {
    fail(error == asio::error::eof ? "closed by peer" : error.message());
  }
}

void OutboundConnection::arm_idle_timer() {
  const auto timeout = network_.core().options().idle_connection_timeout;
  if (timeout.count() == 0) return;
  std::chrono::steady_clock::time_point idle_since;
  {
    std::lock_guard lock(mutex_);
    if (persistent_ || state_ != State::open) return;
    idle_since = last_enqueue_;
  }
  timer_.expires_at(idle_since + timeout);
  timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error) return;
    bool idle;
    {
      std::lock_guard lock(self->mutex_);
      const auto timeout = self->network_.core().options().idle_connection_timeout;
      idle = !self->write_in_flight_ && self->nothing_queued() &&
             std::chrono::steady_clock::now() - self->last_enqueue_ >= timeout;
    }
    if (idle) {
      self->begin_close();
    } else {
      self->arm_idle_timer();
    }
  });
}

void OutboundConnection::close_when_flushed() {
  asio::post(network_.io(), [self = shared_from_this()] {
    bool close_now;
    {
      std::lock_guard lock(self->mutex_);
      self->close_requested_ = true;
      self->persistent_ = false;
      close_now = self->state_ == State::open && !self->write_in_flight_ && self->nothing_queued();
    }
    if (close_now) self->begin_close();
    // Otherwise write_pending() closes once the queue is written, or connect/fail ends it.
  });
}

std::optional<std::string> OutboundConnection::security() const {
  std::lock_guard lock(mutex_);
  return security_;
}

bool OutboundConnection::mark_closing() {
  std::lock_guard lock(mutex_);
  if (state_ != State::open || write_in_flight_ || !nothing_queued()) return false;
  if (persistent_ && !close_requested_) return false;
  state_ = State::closing;
  return true;
}

void OutboundConnection::begin_close() {
  if (!network_.begin_closing(shared_from_this())) return;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  // The peer answers our FIN with its own once it has read everything; bound the wait.
  timer_.expires_after(network_.core().options().shutdown_timeout);
  timer_.async_wait([self = shared_from_this()](const std::error_code& error) {
    if (!error) self->fail({});
  });
}

void OutboundConnection::fail(const std::string& reason) {
  std::vector<std::pair<PID, PID>> links;
  std::shared_ptr<OutboundConnection> successor;
  std::size_t lost = 0;
  {
    std::unique_lock lock(mutex_);
    if (state_ == State::closed) return;
    state_ = State::closed;
    links.swap(links_);
    successor.swap(successor_);
    lost = pending_messages_ + writing_messages_;
    pending_.clear();
    pending_messages_ = 0;
    // Under the lock: a worker's direct write checks the state under it (see the class comment).
    std::error_code ignored;
    socket_.close(ignored);
    relieve(lock);  // held senders go on; their next sends open a new connection
  }
  network_.forget(*this);
  timer_.cancel();
  write_timer_.cancel();
  // The peer has read everything this connection carried: its successor may go.
  if (successor) successor->start();
  if (reason.empty()) return;  // graceful close
  auto& core = network_.core();
  runtime::StatsCounters::add(core.counters().connections_failed);
  if (lost > 0) {
    core.count_unsent(lost);
    runtime::log().warn("connection to {} failed ({}): {} message(s) not delivered", host_text_,
                        reason, lost);
  } else {
    runtime::log().debug("connection to {} ended: {}", host_text_, reason);
  }
  for (const auto& [linker, target] : links) core.deliver_exited(linker, target);
}

runtime::ConnectionStats OutboundConnection::stats() const {
  static constexpr const char* kStates[] = {"connecting", "open", "closing", "closed"};
  std::lock_guard lock(mutex_);
  return {.peer = remote_.to_string(),
          .state = kStates[static_cast<int>(state_)],
          .security = security_.value_or(""),
          .messages = messages_sent_,
          .bytes = bytes_written_.load(std::memory_order_relaxed),
          .queued_bytes = pending_.size() + sealed_.size(),
          .pauses = senders_held_,
          .links = links_.size()};
}

}  // namespace compactor::net
