// SPDX-License-Identifier: Apache-2.0
#include "net/dead_peer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace compactor::net {

void detect_dead_peer(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return;
  const int fd = socket.native_handle();
  const auto seconds = [](std::chrono::milliseconds ms) {
    return std::max(1, static_cast<int>(ms.count() / 1000));
  };
  const int on = 1;
  const int idle = seconds(timeout / 2);
  const int interval = seconds(timeout / 8);
  const int probes = 4;
  const auto user_timeout = static_cast<unsigned>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

}  // namespace compactor::net
