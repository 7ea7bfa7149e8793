// SPDX-License-Identifier: Apache-2.0
#include "net/network.hpp"

#include "core/logging.hpp"
#include "net/inbound_connection.hpp"
#include "net/outbound_connection.hpp"
#include "runtime/context_core.hpp"

#include <asio/post.hpp>

#include <algorithm>
#include <future>
#include <system_error>

namespace compactor::net {
namespace {

asio::ip::tcp::acceptor bind_acceptor(asio::io_context& io, const ContextOptions& options) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.ip), options.port);
  asio::ip::tcp::acceptor acceptor(io);
  std::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    throw std::system_error(error,
                            "cannot listen on " + Address{options.ip, options.port}.to_string());
  }
  return acceptor;
}

}  // namespace

Network::Network(runtime::ContextCore& core)
    : core_(core),
      tls_(core.options().tls.enabled ? std::make_unique<Tls>(core.options().tls) : nullptr),
      body_budget_(core.options().max_buffered_body_bytes),
      answer_budget_(core.options().max_buffered_answer_bytes),
      acceptor_(bind_acceptor(io_, core.options())),
      accept_timer_(io_) {}

Network::~Network() {
  handoff_->close();
  if (io_thread_.joinable()) {
    io_.stop();
    io_thread_.join();
  }
}

Address Network::bound_address() const {
  const auto endpoint = acceptor_.local_endpoint();
  return {endpoint.address().to_string(), endpoint.port()};
}

void Network::start() {
  accept();
  io_thread_ = std::thread([this] {
    core::set_log_place(core_.address().to_string());
    io_.run();
  });
}

void Network::accept() {
  acceptor_.async_accept([this](const std::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (error) {
      back_off_accepting(error);
      return;
    }
    accept_backoff_ = {};
    on_accepted(std::move(socket));
    accept();
  });
}

void Network::on_accepted(asio::ip::tcp::socket socket) {
  auto& counters = core_.counters();
  const auto cap = core_.options().max_inbound_connections;
  if (cap != 0 && inbound_.size() >= cap) {
    runtime::StatsCounters::add(counters.connections_refused);
    std::error_code ignored;
    const auto peer = socket.remote_endpoint(ignored);
    core_.peer_log().warn(runtime::PeerEvent::connection_refused, peer.address().to_string(),
                          "connection from {} closed: max_inbound_connections {} reached",
                          peer.address().to_string(), cap);
    socket.close(ignored);
    return;
  }
  runtime::StatsCounters::add(counters.connections_accepted);
  auto connection = std::make_shared<InboundConnection>(*this, std::move(socket));
  {
    std::lock_guard lock(inbound_mutex_);
    inbound_.emplace(connection.get(), connection);
  }
  connection->start();
}

void Network::back_off_accepting(const std::error_code& error) {
  using namespace std::chrono_literals;
  // 10 ms doubling to 1 s: short enough to recover at once when descriptors free up, long
  // enough not to spin while they do not.
  accept_backoff_ = std::clamp(accept_backoff_ * 2, 10ms, std::chrono::milliseconds(1s));
  core_.peer_log().warn(runtime::PeerEvent::accept_failed, {},
                        "accept on {} failed: {}; pausing accepts (open connections are still "
                        "served)",
                        core_.address().to_string(), error.message());
  accept_timer_.expires_after(accept_backoff_);
  accept_timer_.async_wait([this](const std::error_code& timer_error) {
    if (!timer_error && acceptor_.is_open()) accept();
  });
}

std::shared_ptr<OutboundConnection> Network::connection_to(const Address& address) {
  std::lock_guard lock(mutex_);
  auto& slot = outbound_[address];
  if (!slot) {
    slot = std::make_shared<OutboundConnection>(*this, address);
    const auto predecessor = closing_.find(address);
    if (predecessor == closing_.end() || !predecessor->second->start_after_close(slot)) {
      slot->start();
    }
  }
  return slot;
}

void Network::discard(const std::shared_ptr<OutboundConnection>& connection) {
  std::lock_guard lock(mutex_);
  const auto it = outbound_.find(connection->remote());
  if (it != outbound_.end() && it->second == connection) outbound_.erase(it);
}

bool Network::begin_closing(const std::shared_ptr<OutboundConnection>& connection) {
  std::lock_guard lock(mutex_);
  if (!connection->mark_closing()) return false;
  const auto it = outbound_.find(connection->remote());
  if (it != outbound_.end() && it->second == connection) outbound_.erase(it);
  closing_[connection->remote()] = connection;
  return true;
}

void Network::forget(const OutboundConnection& connection) {
  remember_traffic(connection.stats());
  std::lock_guard lock(mutex_);
  for (auto* map : {&outbound_, &closing_}) {
    const auto it = map->find(connection.remote());
    if (it != map->end() && it->second.get() == &connection) map->erase(it);
  }
  if (outbound_.empty() && closing_.empty()) outbound_closed_.notify_all();
}

void Network::forget(const InboundConnection& connection) {
  remember_traffic(connection.stats());
  std::lock_guard lock(inbound_mutex_);
  inbound_.erase(&connection);
}

void Network::send(std::string_view from_text, const PID& to, std::string_view name,
                   std::string_view body) {
  // A connection that began closing refuses the message; the retry opens a fresh one.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto connection = connection_to(to.address);
    if (connection->enqueue(from_text, to.id, name, body)) return;
    discard(connection);
  }
  core_.count_unsent(1);
  core::log().warn("message '{}' to {} dropped: no usable connection", name, to.to_string());
}

void Network::link(const PID& linker, const PID& target) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto connection = connection_to(target.address);
    if (connection->add_link(linker, target)) return;
    discard(connection);
  }
  core_.deliver_exited(linker, target);
}

std::optional<std::string> Network::connection_security(const Address& address) {
  std::lock_guard lock(mutex_);
  const auto it = outbound_.find(address);
  if (it == outbound_.end()) return std::nullopt;
  return it->second->security();
}

void Network::remember_traffic(const core::ConnectionStats& closed) {
  std::lock_guard lock(series_mutex_);
  series_.closed(closed, std::chrono::steady_clock::now());
}

std::vector<core::PeerTraffic> Network::traffic() {
  const auto open = connections();
  std::lock_guard lock(series_mutex_);
  return series_.read(open, std::chrono::steady_clock::now());
}

std::vector<core::ConnectionStats> Network::connections() {
  std::vector<std::shared_ptr<OutboundConnection>> outbound;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [address, connection] : outbound_) outbound.push_back(connection);
    for (const auto& [address, connection] : closing_) outbound.push_back(connection);
  }
  std::vector<std::shared_ptr<InboundConnection>> inbound;
  {
    std::lock_guard lock(inbound_mutex_);
    for (const auto& [key, connection] : inbound_) inbound.push_back(connection);
  }
  // Read outside the network's locks: a connection's own lock is taken after them elsewhere.
  std::vector<core::ConnectionStats> stats;
  stats.reserve(outbound.size() + inbound.size());
  for (const auto& connection : outbound) stats.push_back(connection->stats());
  for (const auto& connection : inbound) stats.push_back(connection->stats());
  return stats;
}

void Network::shutdown(std::chrono::milliseconds timeout) {
  if (!io_thread_.joinable()) return;
  std::vector<std::shared_ptr<OutboundConnection>> connections;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [address, connection] : outbound_) connections.push_back(connection);
  }
  for (const auto& connection : connections) connection->close_when_flushed();
  {
    std::unique_lock lock(mutex_);
    outbound_closed_.wait_for(lock, timeout,
                              [this] { return outbound_.empty() && closing_.empty(); });
  }
  std::promise<void> closed;
  asio::post(io_, [this, &closed] {
    handoff_->close();  // answers still to come find their connections closing
    std::error_code ignored;
    acceptor_.close(ignored);
    accept_timer_.cancel();
    std::vector<std::shared_ptr<InboundConnection>> inbound;
    {
      std::lock_guard lock(inbound_mutex_);
      for (const auto& [key, connection] : inbound_) inbound.push_back(connection);
    }
    for (const auto& connection : inbound) connection->close();
    closed.set_value();
  });
  closed.get_future().wait();
  io_.stop();
  io_thread_.join();
}

}  // namespace compactor::net
