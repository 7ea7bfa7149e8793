// SPDX-License-Identifier: Apache-2.0
#pragma once
// For the examples that show two OS processes: run one side in a forked child that tells the
// parent its PID through a pipe.

#include <compactor/pid.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

namespace demo {

struct Peer {
  pid_t child = -1;
  std::optional<compactor::PID> pid;  // what the child announced; none if it failed first
};

// Forks (call it before any thread exists) and runs `peer` in the child, which must call
// announce() with its PID; returns once the parent has read it. The child exits with what
// `peer` returns.
inline Peer fork_peer(
    const std::function<int(const std::function<void(const compactor::PID&)>&)>& peer) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    const int code = peer([&](const compactor::PID& pid) {
      const std::string line = pid.to_string() + "\n";
      [[maybe_unused]] const auto written = write(fds[1], line.data(), line.size());
      close(fds[1]);
    });
    _exit(code);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fds[0]);
  Peer peer_info{child, std::nullopt};
  if (!line.empty()) peer_info.pid = compactor::PID::parse(line);
  return peer_info;
}

// Waits for the child; true if it exited with 0.
inline bool peer_succeeded(const Peer& peer) {
  int status = 0;
  return peer.child > 0 && waitpid(peer.child, &status, 0) == peer.child && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

}  // namespace demo
