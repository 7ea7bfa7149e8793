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

void wait_for_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
}

}  // namespace compactor::tool
