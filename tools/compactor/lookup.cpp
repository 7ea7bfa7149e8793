// SPDX-License-Identifier: Apache-2.0
// compactor lookup: finds who holds a name in a beacon group (beacon::Names) and prints its PID
// as the last line; exit 1 when nobody holds it within --timeout. Takes no part in the group:
// it only asks on the group's names channel.

#include "commands.hpp"

#include <compactor/beacon/member.hpp>
#include <compactor/beacon/names.hpp>

#include <fmt/core.h>
#include <unistd.h>

#include <map>
#include <random>

namespace compactor::tool {

std::function<int()> add_lookup(CLI::App& app) {
  auto* command =
      app.add_subcommand("lookup", "print the PID a beacon group's member published under a name");
  struct Flags {
    GroupChannelFlags channel;
    std::string name;
    double timeout_s = 10;
  };
  auto flags = std::make_shared<Flags>();
  command->add_option("name", flags->name, "the name, as published")->required();
  flags->channel.add_to(*command);
  command
      ->add_option("--timeout", flags->timeout_s, "how long to wait for an answer, e.g. 10s, 500ms")
      ->transform(CLI::AsNumberWithUnit(
          std::map<std::string, double>{{"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}},
          CLI::AsNumberWithUnit::CASE_SENSITIVE, "UNIT"))
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [flags] {
    // A member that never starts: it names this asker on the names channel, nothing more.
    const std::string asker =
        fmt::format("lookup-{}-{:x}", getpid(), std::random_device{}() & 0xffffffu);
    auto channel = flags->channel.open();
    auto names_channel = channel->sibling("names");
    beacon::Member member(asker, std::move(channel), {});
    beacon::Names names(member, std::move(names_channel));
    names.start();
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(flags->timeout_s));
    auto found = names.lookup(flags->name, timeout);
    // The lookup's own timer ends it; this bound only guards against a stuck channel.
    found.await(timeout + std::chrono::seconds(5));
    const auto holder = names.find(flags->name);
    names.stop();
    if (!found.is_ready()) {
      fmt::print(stderr, "error: {}\n",
                 found.is_failed() ? found.failure() : "no outcome of the lookup");
      return 1;
    }
    if (holder) fmt::print("held by {} since epoch {}\n", holder->member, holder->epoch);
    fmt::print("{}\n", found.get().to_string());
    return 0;
  };
}

}  // namespace compactor::tool
