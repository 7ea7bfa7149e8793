// SPDX-License-Identifier: Apache-2.0
#pragma once
// The subcommands of the `compactor` tool: each registers its options and returns the code to
// exit with.

#include <compactor/context.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace compactor::beacon {
class Channel;
}

namespace compactor::tool {

// Options every subcommand has: where its own context listens.
struct ContextFlags {
  std::string ip;
  std::uint16_t port = 0;
  unsigned workers = 0;

  void add_to(CLI::App& command);
  // LIBPROCESS_* from the environment, overridden by the flags given.
  ContextOptions options() const;
};

// Where a beacon group is: an MQTT broker or a Serf agent, and the group's topic.
struct GroupChannelFlags {
  std::string mqtt, serf, topic;
  std::string mqtt_ca, mqtt_cert, mqtt_key;

  void add_to(CLI::App& command);
  // The group's channel; std::invalid_argument without exactly one of --mqtt and --serf.
  std::unique_ptr<beacon::Channel> open() const;
};

// A message body: the positional argument, `-` for standard input, or --file.
struct BodyFlags {
  std::string argument, file;

  void add_to(CLI::App& command);
  std::string read() const;
};

// Each returns the function that runs the subcommand once the command line is parsed.
std::function<int()> add_serve(CLI::App& app);
std::function<int()> add_send(CLI::App& app);
std::function<int()> add_ask(CLI::App& app);
std::function<int()> add_ping(CLI::App& app);
std::function<int()> add_group(CLI::App& app);
std::function<int()> add_lookup(CLI::App& app);
std::function<int()> add_top(CLI::App& app);

// Blocks SIGINT and SIGTERM in this and every thread started later, so that wait_for_signal()
// can take them; call first in main.
void block_termination_signals();
// Waits until SIGINT or SIGTERM arrives (true), or `timeout` passed (false).
bool wait_for_signal(std::optional<std::chrono::duration<double>> timeout = std::nullopt);

}  // namespace compactor::tool
