#include "net/tls_handshake.hpp"

#include "runtime/stats.hpp"

#include <asio/ip/tcp.hpp>

#include <memory>

namespace compactor::net {
namespace {

struct Handshake {
  Stream& stream;
  Tls& tls;
  TlsRole role;
  asio::ip::address peer;
  runtime::StatsCounters& counters;
  std::function<void(std::optional<std::string>)> done;

  void finish(std::optional<std::string> refused) {
    runtime::StatsCounters::add(refused ? counters.tls_handshake_failures
                                        : counters.tls_handshakes);
    done(std::move(refused));
  }

  void check(const std::optional<std::string>& peer_name) {
    finish(tls.check_peer(stream.ssl(), role, peer, peer_name));
  }
};

}  // namespace

void shake_hands(Stream& stream, Tls& tls, TlsRole role, const asio::ip::address& peer,
                 runtime::StatsCounters& counters,
                 std::function<void(std::optional<std::string> refused)> done) {
  auto state =
      std::make_shared<Handshake>(Handshake{stream, tls, role, peer, counters, std::move(done)});
  SSL* ssl = stream.start_tls(tls.context());
  if (auto error = tls.prepare(ssl, role, peer)) {
    state->finish(std::move(error));
    return;
  }
  const auto type =
      role == TlsRole::client ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  stream.async_handshake(type, [state](const std::error_code& error) {
    if (error) {
      state->finish(state->tls.explain(state->stream.ssl(), state->role, error));
      return;
    }
    if (!state->tls.wants_peer_name(state->role)) {
      state->check(std::nullopt);
      return;
    }
    // getnameinfo may block on DNS: asio's resolver runs it on a thread of its own.
    auto resolver =
        std::make_shared<asio::ip::tcp::resolver>(state->stream.socket().get_executor());
    resolver->async_resolve(
        asio::ip::tcp::endpoint(state->peer, 0),
        [state, resolver](const std::error_code& lookup_error,
                          const asio::ip::tcp::resolver::results_type& results) {
          std::optional<std::string> name;
          // A name that is the IP itself means reverse DNS had none.
          if (!lookup_error && !results.empty() &&
              results.begin()->host_name() != state->peer.to_string()) {
            name = results.begin()->host_name();
          }
          state->check(name);
        });
  });
}

}  // namespace compactor::net
