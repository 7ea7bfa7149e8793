// SPDX-License-Identifier: Apache-2.0
// compactor send: sends one message and waits until it is written and the connection closed.

#include "commands.hpp"

#include <compactor/compactor.hpp>

#include <fmt/core.h>

namespace compactor::tool {
std::function<int()> add_send(CLI::App& app) {
  auto* command = app.add_subcommand("send", "send one message to a PID");
  struct Flags {
    ContextFlags context;
    std::string to, name;
    BodyFlags body;
  };
  auto flags = std::make_shared<Flags>();
  flags->context.add_to(*command);
  command->add_option("pid", flags->to, "receiver, id@ip:port")->required();
  command->add_option("name", flags->name, "message name")->required();
  flags->body.add_to(*command);
  return [flags] {
    const PID to = PID::parse(flags->to);
    const std::string body = flags->body.read();
    Context context(flags->context.options());
    Process sender("send");
    context.spawn(sender);
    sender.send(to, flags->name, body);
    context.shutdown();  // writes the message and closes gracefully
    const auto stats = context.stats();
    // Only what never reached the wire: an answer to our terminated sender (serve's pong) is
    // dropped here too, but says nothing about our message.
    if (stats.messages_unsent > 0) {
      fmt::print(stderr, "error: '{}' was not delivered to {}: its connection failed\n",
                 flags->name, to.to_string());
      return 1;
    }
    return 0;
  };
}

}  // namespace compactor::tool
