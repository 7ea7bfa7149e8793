// SPDX-License-Identifier: Apache-2.0
// compactor serve: answers every `ping` with a `pong` carrying the same body.

#include "commands.hpp"

#include <compactor/compactor.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <set>

namespace compactor::tool {
namespace {

class PongServer : public Process {
 public:
  PongServer(std::string name, bool quiet) : Process(std::move(name)), quiet_(quiet) {}

 protected:
  void initialize() override { install("ping", &PongServer::ping); }

  void ping(const PID& from, std::string_view body) {
    report("ping", from, body);
    if (from.empty()) return;
    // Link back to each new peer, so that its death is reported as "exited"; not to an ask's
    // PID (__req_res__(N), compactor ask, Process::ask), which lives for one reply.
    if (!is_asker(from) && linked_.insert(from).second) link(from);
    send(from, "pong", body);
  }

  void unhandled(const PID& from, std::string_view name, std::string_view body) override {
    report(name, from, body);
  }

  void exited(const PID& pid) override {
    linked_.erase(pid);
    if (!quiet_) print("exited {}\n", pid.to_string());
  }

 private:
  void report(std::string_view name, const PID& from, std::string_view body) {
    if (!quiet_) print("recv {} from {} ({} bytes)\n", name, from.to_string(), body.size());
  }

  template <class... Args>
  static void print(fmt::format_string<Args...> format, Args&&... args) {
    fmt::print(format, std::forward<Args>(args)...);
    std::fflush(stdout);
  }

  bool quiet_;
  std::set<PID> linked_;
};

}  // namespace

std::function<int()> add_serve(CLI::App& app) {
  auto* command = app.add_subcommand("serve", "run a process that answers ping with pong");
  struct Flags {
    ContextFlags context;
    std::string name = "pong";
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  flags->context.add_to(*command);
  command->add_option("--name", flags->name, "process id (default: pong)");
  command->add_flag("--quiet", flags->quiet, "print only the PID line");
  return [flags] {
    Context context(flags->context.options());
    const PID pid = context.spawn(std::make_unique<PongServer>(flags->name, flags->quiet));
    fmt::print("PID {}\n", pid.to_string());
    std::fflush(stdout);
    wait_for_signal();
    return 0;
  };
}

}  // namespace compactor::tool
