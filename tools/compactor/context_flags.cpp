// SPDX-License-Identifier: Apache-2.0
#include "commands.hpp"

#include <csignal>

namespace compactor::tool {

void ContextFlags::add_to(CLI::App& command) {
  command.add_option("--ip", ip, "IP to listen on (default: LIBPROCESS_IP or 127.0.0.1)");
  command.add_option("--port", port, "port to listen on (default: LIBPROCESS_PORT or any)");
  command.add_option("--workers", workers, "worker threads (default: one per core)");
}

ContextOptions ContextFlags::options() const {
  auto options = ContextOptions::from_environment();
  if (!ip.empty()) options.ip = ip;
  if (port != 0) options.port = port;
  options.workers = workers;
  return options;
}

void block_termination_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

bool wait_for_signal(std::optional<std::chrono::duration<double>> timeout) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (!timeout) {
    int received = 0;
    sigwait(&signals, &received);
    return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const timespec wait{static_cast<time_t>(left.count() / 1'000'000'000),
                        static_cast<long>(left.count() % 1'000'000'000)};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) return true;  // else timeout or EINTR
  }
}

}  // namespace compactor::tool
