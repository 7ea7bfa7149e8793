// SPDX-License-Identifier: Apache-2.0
#pragma once
// For the examples that show two OS processes: run one side in a forked child that tells the
// parent its PID through a pipe, and each side's process on a context of its own.

#include <compactor/context.hpp>
#include <compactor/pid.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

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

// The child's side: a P on a context of its own, announced to the parent; 0 once it terminated.
template <class P>
int serve_until_terminated(const std::function<void(const compactor::PID&)>& announce) {
  P process;
  compactor::Context context({.ip = "127.0.0.1", .port = 0});
  const compactor::PID pid = context.spawn(process);
  announce(pid);
  return context.wait(pid, std::chrono::seconds(20)) ? 0 : 1;
}

// The parent's side: `process`, whose done() is a future of its success (bool, or void for
// "it finished"), on a context of its own; true if it succeeded within `timeout`.
template <class P>
bool run_until_done(std::unique_ptr<P> process, std::chrono::seconds timeout) {
  compactor::Context context({.ip = "127.0.0.1", .port = 0});
  auto done = process->done();
  context.spawn(std::move(process));
  if (done.wait_for(timeout) != std::future_status::ready) return false;
  if constexpr (std::is_void_v<decltype(done.get())>) {
    return true;
  } else {
    return done.get();
  }
}

// main() of a two-process example: `peer` in a forked child (before any thread exists), then
// the process `make(the child's PID)` makes, here, until it is done; prints `succeeded` or
// `failed`, and returns the exit code.
template <class Make>
int run_two_processes(
    const std::function<int(const std::function<void(const compactor::PID&)>&)>& peer, Make make,
    std::chrono::seconds timeout, const char* succeeded, const char* failed) {
  std::cout.setf(std::ios::unitbuf);
  const auto child = fork_peer(peer);
  const bool ok = child.pid && run_until_done(make(*child.pid), timeout);
  const bool both = peer_succeeded(child) && ok;
  std::cout << (both ? succeeded : failed) << std::endl;
  return both ? 0 : 1;
}

}  // namespace demo
