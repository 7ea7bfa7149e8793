// SPDX-License-Identifier: Apache-2.0
#pragma once
// The network side of a context: one asio I/O thread, the listener, and the outbound connections
// keyed by remote address.

#include "net/handoff.hpp"
#include "net/tls.hpp"
#include "runtime/peer_series.hpp"
#include "runtime/transport.hpp"
#include "wire/byte_budget.hpp"

#include <compactor/pid.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace compactor::runtime {
class ContextCore;
}

namespace compactor::net {

class InboundConnection;
class OutboundConnection;

// @note send() and link() are called from any thread; everything asio runs on the I/O thread.
class Network final : public runtime::RemoteTransport {
 public:
  // Binds the listening socket (throws std::system_error naming the address on failure).
  explicit Network(runtime::ContextCore& core);
  ~Network() override;

  // The address the listener is bound to (with the real port when 0 was asked for).
  Address bound_address() const;

  // Starts accepting and the I/O thread.
  void start();

  void send(std::string_view from_text, const PID& to, std::string_view name,
            std::string_view body) override;
  void link(const PID& linker, const PID& target) override;
  void shutdown(std::chrono::milliseconds timeout) override;
  std::optional<std::string> connection_security(const Address& address) override;
  std::vector<core::ConnectionStats> connections() override;
  std::vector<core::PeerTraffic> traffic() override;

  // For connections: the context they deliver to, and the I/O context they run on.
  runtime::ContextCore& core() { return core_; }
  asio::io_context& io() { return io_; }
  // Request body bytes buffered by all inbound connections.
  wire::ByteBudget& body_budget() { return body_budget_; }
  // Answer bytes held by all inbound connections, not yet taken by their readers.
  wire::ByteBudget& answer_budget() { return answer_budget_; }
  // How other threads hand work on a connection to the I/O thread; shutdown closes it.
  const std::shared_ptr<Handoff>& handoff() const { return handoff_; }
  // The context's TLS, or none when it speaks plaintext only.
  Tls* tls() { return tls_.get(); }

  // Moves an idle outbound connection to closing, atomically with respect to connection_to():
  // later sends to its address open a new connection, which starts only once this one is closed,
  // so that messages cannot overtake each other. False if the connection is not idle.
  bool begin_closing(const std::shared_ptr<OutboundConnection>& connection);

  // An outbound connection is closed or failed.
  void forget(const OutboundConnection& connection);

  // An inbound connection closed.
  void forget(const InboundConnection& connection);

 private:
  std::shared_ptr<OutboundConnection> connection_to(const Address& address);
  void discard(const std::shared_ptr<OutboundConnection>& connection);
  void accept();
  void on_accepted(asio::ip::tcp::socket socket);
  // Out of descriptors (or kernel memory): waits before accepting again, instead of spinning on
  // an accept that fails at once. Connections already open go on being served.
  void back_off_accepting(const std::error_code& error);
  // A connection closed: its traffic stays counted in its peer's series.
  void remember_traffic(const core::ConnectionStats& closed);

  runtime::ContextCore& core_;
  std::unique_ptr<Tls> tls_;
  // Before io_: connections still held by its pending handlers give their bytes back when the
  // I/O context destroys them.
  wire::ByteBudget body_budget_;
  wire::ByteBudget answer_budget_;
  asio::io_context io_;
  std::shared_ptr<Handoff> handoff_ = std::make_shared<Handoff>(io_);
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;  // the back-off after EMFILE and the like
  std::chrono::milliseconds accept_backoff_{0};
  std::mutex series_mutex_;  // guards series_
  runtime::PeerSeries series_;
  std::thread io_thread_;

  std::mutex mutex_;  // guards outbound_ and is the lock shutdown() waits with
  std::condition_variable outbound_closed_;
  std::unordered_map<Address, std::shared_ptr<OutboundConnection>> outbound_;
  std::unordered_map<Address, std::shared_ptr<OutboundConnection>> closing_;

  // Keeps inbound connections alive and reachable for shutdown. Changed on the I/O thread only,
  // under inbound_mutex_ so that connections() may read it from any thread.
  std::mutex inbound_mutex_;
  std::unordered_map<const InboundConnection*, std::shared_ptr<InboundConnection>> inbound_;
};

}  // namespace compactor::net
