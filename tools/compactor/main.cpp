// SPDX-License-Identifier: Apache-2.0
// compactor: a "curl" for libprocess. Serves, sends, asks and pings libprocess messages.

#include "commands.hpp"

#include <fmt/core.h>

#include <compactor/version.hpp>

#include <exception>
#include <string>

int main(int argc, char** argv) {
  using namespace compactor::tool;
  block_termination_signals();
  CLI::App app{"compactor: talk to libprocess (Mesos) and compactor processes, join beacon groups"};
  app.set_version_flag("--version", std::string("compactor ") + compactor::version());
  app.require_subcommand(1);
  std::function<int()> run;
  const auto serve = add_serve(app);
  const auto send = add_send(app);
  const auto ask = add_ask(app);
  const auto ping = add_ping(app);
  const auto group = add_group(app);
  const auto lookup = add_lookup(app);
  const auto top = add_top(app);
  CLI11_PARSE(app, argc, argv);
  try {
    if (app.got_subcommand("serve")) return serve();
    if (app.got_subcommand("send")) return send();
    if (app.got_subcommand("ask")) return ask();
    if (app.got_subcommand("ping")) return ping();
    if (app.got_subcommand("group")) return group();
    if (app.got_subcommand("lookup")) return lookup();
    if (app.got_subcommand("top")) return top();
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return 1;
  }
  return 1;
}
