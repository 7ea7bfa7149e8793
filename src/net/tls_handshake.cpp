// SPDX-License-Identifier: Apache-2.0
#include "net/tls_handshake.hpp"

#include "runtime/stats.hpp"

#include <asio/post.hpp>
#include <asio/write.hpp>

#include <array>
#include <memory>

namespace compactor::net {
namespace {

struct Handshake : std::enable_shared_from_this<Handshake> {
  Handshake(asio::ip::tcp::socket& socket, TlsSession& session, const Tls& tls, TlsRole role,
            asio::ip::address peer, runtime::StatsCounters& counters,
            std::function<void(std::optional<std::string>)> done)
      : socket(socket),
        session(session),
        tls(tls),
        role(role),
        peer(std::move(peer)),
        counters(counters),
        done(std::move(done)) {}

  asio::ip::tcp::socket& socket;
  TlsSession& session;
  const Tls& tls;
  TlsRole role;
  asio::ip::address peer;
  runtime::StatsCounters& counters;
  std::function<void(std::optional<std::string>)> done;
  std::array<char, 16 * 1024> received;
  std::string send;

  void finish(std::optional<std::string> refused) {
    runtime::StatsCounters::add(refused ? counters.tls_handshake_failures
                                        : counters.tls_handshakes);
    done(std::move(refused));
  }

  // Feeds what arrived, sends what the session answers, then reads on or checks the peer.
  void step(std::string_view arrived) {
    send.clear();
    const auto progress = session.handshake(arrived, send);
    if (send.empty()) {
      after_sending(progress);
      return;
    }
    asio::async_write(
        socket, asio::buffer(send),
        [self = shared_from_this(), progress](const std::error_code& error, std::size_t) {
          if (error && progress != TlsSession::Progress::failed) {
            self->finish("TLS handshake: " + error.message());
          } else {
            self->after_sending(progress);
          }
        });
  }

  void after_sending(TlsSession::Progress progress) {
    switch (progress) {
      case TlsSession::Progress::failed:
        finish(session.error());
        return;
      case TlsSession::Progress::want_read:
        socket.async_read_some(asio::buffer(received), [self = shared_from_this()](
                                                           const std::error_code& error,
                                                           std::size_t size) {
          if (error) {
            self->finish("TLS handshake: " + (error == asio::error::eof
                                                  ? std::string("the peer closed the connection")
                                                  : error.message()));
          } else {
            self->step({self->received.data(), size});
          }
        });
        return;
      case TlsSession::Progress::done:
        check();
        return;
    }
  }

  void check() {
    if (!tls.wants_peer_name(role)) {
      finish(tls.check_peer(session.ssl(), role, peer, std::nullopt));
      return;
    }
    // getnameinfo may block on DNS: asio's resolver runs it on a thread of its own.
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(socket.get_executor());
    resolver->async_resolve(
        asio::ip::tcp::endpoint(peer, 0),
        [self = shared_from_this(), resolver](const std::error_code& error,
                                              const asio::ip::tcp::resolver::results_type& found) {
          std::optional<std::string> name;
          // A name that is the IP itself means reverse DNS had none.
          if (!error && !found.empty() && found.begin()->host_name() != self->peer.to_string()) {
            name = found.begin()->host_name();
          }
          self->finish(self->tls.check_peer(self->session.ssl(), self->role, self->peer, name));
        });
  }
};

}  // namespace

std::unique_ptr<TlsSession> start_tls(
    asio::ip::tcp::socket& socket, Tls& tls, TlsRole role, const asio::ip::address& peer,
    runtime::StatsCounters& counters,
    std::function<void(std::optional<std::string> refused)> done) {
  auto session = std::make_unique<TlsSession>(tls, role, peer);
  auto handshake =
      std::make_shared<Handshake>(socket, *session, tls, role, peer, counters, std::move(done));
  // Posted: `done` must not run before the caller holds the session.
  asio::post(socket.get_executor(), [handshake] { handshake->step({}); });
  return session;
}

}  // namespace compactor::net
