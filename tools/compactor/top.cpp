// SPDX-License-Identifier: Apache-2.0
// compactor top: a remote context's processes, mailboxes, rates, connections and groups, live in
// the terminal, from its /__status__/state.json.

#include "commands.hpp"

#include <compactor/pid.hpp>

#include <fmt/core.h>
#include <unistd.h>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <map>
#include <string>

namespace compactor::tool {
namespace {

using nlohmann::json;

struct TopFlags {
  std::string target;
  double interval = 1;
  unsigned count = 0;
};

// "ip:port" or a PID "id@ip:port".
Address address_of(const std::string& target) {
  if (auto address = Address::try_parse(target)) return *address;
  if (auto pid = PID::try_parse(target)) return pid->address;
  throw std::invalid_argument("top wants HOST:PORT or a PID, not '" + target + "'");
}

// GET `path` from the context at `address`, within five seconds.
json fetch(const Address& address, const std::string& path) {
  asio::ip::tcp::iostream stream;
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(address.ip, std::to_string(address.port));
  if (!stream) throw std::runtime_error("cannot connect to " + address.to_string());
  stream << "GET " << path << " HTTP/1.1\r\nHost: " << address.to_string()
         << "\r\nConnection: close\r\n\r\n"
         << std::flush;
  const std::string answer((std::istreambuf_iterator<char>(stream)), {});
  const auto body = answer.find("\r\n\r\n");
  if (!answer.starts_with("HTTP/1.1 200") || body == std::string::npos) {
    throw std::runtime_error(address.to_string() + path + ": " +
                             (answer.empty() ? "no answer" : answer.substr(0, answer.find('\r'))));
  }
  return json::parse(answer.substr(body + 4));
}

std::string amount(double n) {
  if (n >= 1e9) return fmt::format("{:.1f} G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.1f} M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.1f} k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string bytes(double n) {
  if (n >= 1 << 30) return fmt::format("{:.1f} GiB", n / (1 << 30));
  if (n >= 1 << 20) return fmt::format("{:.1f} MiB", n / (1 << 20));
  if (n >= 1 << 10) return fmt::format("{:.1f} KiB", n / (1 << 10));
  return fmt::format("{:.0f} B", n);
}

// Per second between two states, "-" for the first frame.
std::string rate(const json* before, const json& now, const char* key, double seconds) {
  if (!before || seconds <= 0) return "-";
  return amount(std::max(0.0, (now[key].get<double>() - (*before)[key].get<double>()) / seconds));
}

void print_frame(const json& state, const json* previous) {
  const double seconds =
      previous ? state["time"].get<double>() - (*previous)["time"].get<double>() : 0;
  const auto& counters = state["counters"];
  const std::time_t now = std::time(nullptr);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", std::localtime(&now));
  fmt::print("compactor top {}  {}\n", state["address"].get<std::string>(), clock);
  fmt::print(
      "processes {}  connections {}  sent remote {}/s  received remote {}/s  sent local {}/s  "
      "dropped {}\n\n",
      state["processes"].size(), state["connections"].size(),
      rate(previous ? &(*previous)["counters"] : nullptr, counters, "messages_sent_remote",
           seconds),
      rate(previous ? &(*previous)["counters"] : nullptr, counters, "messages_received_remote",
           seconds),
      rate(previous ? &(*previous)["counters"] : nullptr, counters, "messages_sent_local", seconds),
      amount(counters["messages_dropped"].get<double>()));

  std::map<std::string, const json*> before;
  if (previous) {
    for (const auto& process : (*previous)["processes"]) before[process["id"]] = &process;
  }
  fmt::print("{:<24} {:>8} {:>10} {:>9} {:>9} {:>5} {:>7}\n", "PROCESS", "MAILBOX", "BYTES",
             "EVENTS/S", "HANDLED", "BUSY", "LINKERS");
  for (const auto& process : state["processes"]) {
    const auto found = before.find(process["id"]);
    const json* old = found == before.end() ? nullptr : found->second;
    const double busy =
        old && seconds > 0
            ? (process["busy_secs"].get<double>() - (*old)["busy_secs"].get<double>()) / seconds
            : 0;
    fmt::print("{:<24} {:>8} {:>10} {:>9} {:>9} {:>4.0f}% {:>7}\n",
               process["id"].get<std::string>(), amount(process["mailbox"].get<double>()),
               bytes(process["mailbox_bytes"].get<double>()),
               rate(old, process, "handled", seconds), amount(process["handled"].get<double>()),
               100 * std::min(1.0, busy), process["linkers"].get<int>());
  }

  std::map<std::string, const json*> connections_before;
  if (previous) {
    for (const auto& connection : (*previous)["connections"]) {
      connections_before[connection["direction"].get<std::string>() +
                         connection["peer"].get<std::string>()] = &connection;
    }
  }
  fmt::print("\n{:<26} {:<10} {:>8} {:>9} {:>10} {:>10} {:>6} {:>5}\n", "CONNECTION", "STATE",
             "MSGS/S", "MESSAGES", "BYTES", "QUEUED", "PAUSES", "LINKS");
  for (const auto& connection : state["connections"]) {
    const auto direction = connection["direction"].get<std::string>();
    const auto peer = connection["peer"].get<std::string>();
    const auto found = connections_before.find(direction + peer);
    fmt::print(
        "{:<26} {:<10} {:>8} {:>9} {:>10} {:>10} {:>6} {:>5}\n",
        (direction == "inbound" ? "<- " : "-> ") + peer, connection["state"].get<std::string>(),
        rate(found == connections_before.end() ? nullptr : found->second, connection, "messages",
             seconds),
        amount(connection["messages"].get<double>()), bytes(connection["bytes"].get<double>()),
        bytes(connection["queued_bytes"].get<double>()), amount(connection["pauses"].get<double>()),
        connection["links"].get<int>());
  }

  for (const auto& group : state["groups"]) {
    const bool up = group["channel_up"].get<bool>();
    fmt::print("\nGROUP member {} on {}: channel {}{}  holder: {}{}\n",
               group["name"].get<std::string>(), group["channel"].get<std::string>(),
               up ? "up" : "DOWN",
               up ? "" : " (" + group["channel_detail"].get<std::string>() + ")",
               group["holder"].is_null() ? "(none)" : group["holder"].get<std::string>(),
               group["tagged"].get<bool>() ? " (this member)" : "");
    for (const auto& member : group["members"]) {
      fmt::print("  {:<22} silent {:>6.1f} s{}\n", member["name"].get<std::string>(),
                 member["silent_secs"].get<double>(), member["gone"].get<bool>() ? "  gone" : "");
    }
  }
  std::fflush(stdout);
}

int run_top(const TopFlags& flags) {
  const auto address = address_of(flags.target);
  const bool terminal = isatty(STDOUT_FILENO);
  json previous;
  for (unsigned frame = 0; flags.count == 0 || frame < flags.count; ++frame) {
    if (frame > 0 && wait_for_signal(std::chrono::duration<double>(flags.interval))) break;
    const auto state = fetch(address, "/__status__/state.json");
    if (terminal) fmt::print("\x1b[H\x1b[2J");
    print_frame(state, frame > 0 ? &previous : nullptr);
    if (!terminal) fmt::print("\n");
    previous = state;
  }
  return 0;
}

}  // namespace

std::function<int()> add_top(CLI::App& app) {
  auto* command = app.add_subcommand(
      "top", "show a context's processes, mailboxes, rates, connections and groups, live");
  auto flags = std::make_shared<TopFlags>();
  command->add_option("target", flags->target, "the context: HOST:PORT, or a PID on it")
      ->required();
  command->add_option("--interval", flags->interval, "seconds between frames")
      ->default_val(1.0)
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--count", flags->count, "frames to show, then exit (default 0: until stopped)")
      ->default_val(0);
  return [flags] { return run_top(*flags); };
}

}  // namespace compactor::tool
