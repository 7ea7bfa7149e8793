// SPDX-License-Identifier: Apache-2.0
// compactor ask: sends a request from a fresh __req_res__ PID (Process::ask) and prints the first
// message sent back: "NAME BODY". Exit 1 when none came in time or the peer is gone.

#include "commands.hpp"

#include <compactor/compactor.hpp>

#include <fmt/core.h>

namespace compactor::tool {

std::function<int()> add_ask(CLI::App& app) {
  auto* command = app.add_subcommand(
      "ask", "send a request and print the reply (libprocess's request/response pattern)");
  struct Flags {
    ContextFlags context;
    std::string to, name;
    BodyFlags body;
    double timeout_s = 5;
  };
  auto flags = std::make_shared<Flags>();
  flags->context.add_to(*command);
  command->add_option("pid", flags->to, "receiver, id@ip:port")->required();
  command->add_option("name", flags->name, "request name")->required();
  flags->body.add_to(*command);
  command->add_option("--timeout", flags->timeout_s, "seconds to wait for the reply")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [flags] {
    const PID to = PID::parse(flags->to);
    const std::string body = flags->body.read();
    Context context(flags->context.options());
    Process asker("ask");
    context.spawn(asker);
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(flags->timeout_s));
    auto reply = asker.ask(to, flags->name, body, timeout);
    // The ask's own timer ends it first; this bound only guards against a stuck context.
    const bool ended = reply.await(timeout + std::chrono::seconds(5));
    context.shutdown();  // terminates the asker before it goes
    if (!ended) {
      fmt::print(stderr, "error: ask: no outcome from {}\n", to.to_string());
      return 1;
    }
    try {
      const Message& message = reply.get();
      fmt::print("{} {}\n", message.name, message.body);
      return 0;
    } catch (const FutureFailed& failed) {
      fmt::print(stderr, "error: {}\n", failed.what());
      return 1;
    }
  };
}

}  // namespace compactor::tool
