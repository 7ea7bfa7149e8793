// SPDX-License-Identifier: Apache-2.0
// compactor group: joins a beacon group on an MQTT broker or a Serf agent and prints its events,
// or (--watch) shows the group live without taking part.

#include "commands.hpp"
#include "event_fields.hpp"

#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/names.hpp>
#include <compactor/beacon/singleton.hpp>
#include <compactor/compactor.hpp>

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <tuple>

namespace compactor::tool {
namespace {

struct GroupFlags {
  GroupChannelFlags channel;
  std::string name, value, publish, singleton;
  bool pid = false, json = false, watch = false;
  std::int64_t priority = 0;
  std::string cycle, gap, nodes, splits, n_hosts, version;
  double duration = 0;
  ContextFlags context;
};

// "12" -> 12, "1.5" -> 1.5, "none" -> nil, anything else -> the string: as a Python peer's
// command line would give them.
beacon::Value parse_value(const std::string& text) {
  if (text.empty() || text == "none" || text == "None" || text == "null") return {};
  std::size_t used = 0;
  try {
    if (text.find_first_of(".eE") == std::string::npos) {
      const long long number = std::stoll(text, &used);
      if (used == text.size()) return beacon::Value(static_cast<std::int64_t>(number));
    } else {
      const double number = std::stod(text, &used);
      if (used == text.size()) return beacon::Value(number);
    }
  } catch (const std::exception&) {
  }
  return beacon::Value(text);
}

beacon::Config config_of(const GroupFlags& flags) {
  beacon::Config config;
  const std::pair<const std::string*, beacon::Value*> fields[] = {
      {&flags.cycle, &config.cycle},     {&flags.gap, &config.gap},
      {&flags.nodes, &config.nodes},     {&flags.splits, &config.splits},
      {&flags.n_hosts, &config.n_hosts}, {&flags.version, &config.version}};
  for (const auto& [text, field] : fields) {
    if (!text->empty()) *field = parse_value(*text);
  }
  config.validate();
  return config;
}

// Prints what --pid's process receives.
class Inbox : public Process {
 public:
  explicit Inbox(std::string name) : Process(std::move(name)) {}

 protected:
  void unhandled(const PID& from, std::string_view name, std::string_view body) override {
    fmt::print("recv {} from {} ({} bytes)\n", name, from.to_string(), body.size());
    std::fflush(stdout);
  }
};

// The group as a passive member sees it: who holds the tag, the history, every member.
void print_view(const beacon::Member& member, bool json, double time) {
  const auto holder = member.holder();
  const auto members = member.members();
  const auto channel = member.channel();
  if (json) {
    std::string line = fmt::format(
        R"({{"time":{:.3f},"channel":{},"channel_up":{},"channel_detail":{},"holder":{},"members":[)",
        time, json_string(channel.address), channel.up ? "true" : "false",
        json_string(channel.detail), holder ? json_string(*holder) : "null");
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& m = members[i];
      line += fmt::format(R"({}{{"name":{},"value":{},"silent_for":{:.1f},"gone":{}}})",
                          i ? "," : "", json_string(m.name), json_of(m.value), m.silent_for,
                          m.gone ? "true" : "false");
    }
    fmt::print("{}]}}\n", line);
  } else {
    if (isatty(STDOUT_FILENO)) fmt::print("\x1b[H\x1b[2J");
    std::string history;
    for (const auto& h : member.history()) history += (history.empty() ? "" : " ") + h;
    fmt::print("{:8.1f} s  {}: channel {}{}\n", time, channel.address, channel.up ? "up" : "DOWN",
               channel.detail.empty() ? "" : " (" + channel.detail + ")");
    fmt::print("  holder: {}\n", holder.value_or("(none yet)"));
    fmt::print("  {:<20} {:<30} {:>10}\n", "member", "value", "silent");
    for (const auto& m : members) {
      fmt::print("  {:<20} {:<30} {:>8.1f} s{}\n", m.name, m.value.to_string(), m.silent_for,
                 m.gone ? "  gone" : "");
    }
  }
  std::fflush(stdout);
}

int run_group(const GroupFlags& flags) {
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [started] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  // The inbox is declared first so that it outlives the context, whose destruction terminates
  // it and waits for that.
  std::optional<Inbox> inbox;
  std::optional<Context> context;
  beacon::Value value = parse_value(flags.value);
  std::optional<PID> pid;
  if (flags.pid) {
    inbox.emplace(flags.name);
    context.emplace(flags.context.options());
    pid = context->spawn(*inbox);
    fmt::print("PID {}\n", pid->to_string());
    value = beacon::pid_value(flags.priority, *pid);
  }

  std::mutex output;
  bool failed = false;
  beacon::Member::Options options;
  options.config = config_of(flags);
  options.enabled = !flags.watch;
  // One line per event: the member's, a publication, a singleton's start or stop.
  const auto print = [&](const EventFields& fields) {
    std::lock_guard lock(output);
    if (flags.json) {
      fmt::print("{}\n", as_json_line(seconds(), fields));
    } else {
      fmt::print("{:8.3f} {}\n", seconds(), as_text(fields));
    }
    std::fflush(stdout);
  };
  options.on_event = [&](const beacon::Event& event) {
    if (std::holds_alternative<beacon::ErrorEvent>(event)) failed = true;
    if (flags.watch && !std::holds_alternative<beacon::ChannelEvent>(event)) return;
    print(fields_of(event));
  };
  auto channel = flags.channel.open();
  const bool named = !flags.publish.empty() || !flags.singleton.empty();
  auto names_channel = named ? channel->sibling("names") : nullptr;
  beacon::Member member(flags.name, std::move(channel), options);
  member.set_value(value);
  member.start();
  // With --pid, the context's status page and metrics show the member too.
  std::optional<beacon::Publication> publication;
  if (context) publication.emplace(member, *context);
  std::optional<beacon::Names> names;
  if (names_channel) {
    names.emplace(member, std::move(names_channel));
    names->start();
  }
  // --publish: the inbox's PID under a name the group's members can look up.
  if (!flags.publish.empty()) {
    const auto epoch = names->publish(flags.publish, *pid);
    print({"published",
           {{"name", flags.publish},
            {"pid", pid->to_string()},
            {"epoch", static_cast<std::int64_t>(epoch)}}});
  }
  // --singleton: an Inbox named so, run here while this member holds the singleton.
  std::optional<beacon::Singleton> singleton;
  if (!flags.singleton.empty()) {
    beacon::SingletonOptions singleton_options;
    singleton_options.on_event = [&](const beacon::SingletonEvent& event) {
      const bool started = event.kind == beacon::SingletonEvent::Kind::started;
      EventFields fields{started ? "singleton_started" : "singleton_stopped",
                         {{"name", event.name},
                          {"epoch", static_cast<std::int64_t>(event.epoch)},
                          {"pid", event.pid.to_string()}}};
      if (!started) fields.fields.emplace_back("why", event.why);
      print(fields);
    };
    singleton.emplace(
        member, *names, *context, flags.singleton,
        [name = flags.singleton](std::uint64_t) { return std::make_unique<Inbox>(name); },
        std::move(singleton_options));
  }

  const std::optional<std::chrono::duration<double>> duration =
      flags.duration > 0 ? std::optional(std::chrono::duration<double>(flags.duration))
                         : std::nullopt;
  if (flags.watch) {
    while (!wait_for_signal(std::chrono::seconds(1))) {
      {
        std::lock_guard lock(output);
        print_view(member, flags.json, seconds());
      }
      if (duration && seconds() >= duration->count()) break;
    }
  } else {
    wait_for_signal(duration);
  }
  singleton.reset();         // stops the instance if it runs here
  if (names) names->stop();  // says goodbye: the names go at once
  member.stop();
  return failed ? 2 : 0;
}

}  // namespace

std::function<int()> add_group(CLI::App& app) {
  auto* command = app.add_subcommand(
      "group", "join a beacon group (asyncactor's algorithm) and print its events");
  auto flags = std::make_shared<GroupFlags>();
  flags->channel.add_to(*command);
  command->add_option("--name", flags->name, "this member's name")->required();
  command->add_option("--value", flags->value, "this member's value: a number, none, or text");
  command->add_flag("--pid", flags->pid, "run a context and publish its PID as the value");
  command->add_option("--priority", flags->priority, "with --pid: the value's priority");
  command
      ->add_option("--publish", flags->publish,
                   "with --pid: publish its PID under this name (compactor lookup finds it)")
      ->needs("--pid");
  command
      ->add_option("--singleton", flags->singleton,
                   "with --pid: run a process of this name on one member of the group at a time")
      ->needs("--pid");
  // asyncactor's configuration; every member of a group must use the same.
  const beacon::Config defaults;
  const std::tuple<const char*, std::string*, std::string> settings[] = {
      {"--cycle", &flags->cycle,
       fmt::format("seconds between beacons, C (default {})", defaults.cycle_s())},
      {"--gap", &flags->gap,
       fmt::format("seconds of a collision window, G (default {}; C >= 3 G)", defaults.gap_s())},
      {"--nodes", &flags->nodes,
       fmt::format("members in the history, taking turns (default {}; <= 0: all)",
                   defaults.nodes_count())},
      {"--splits", &flags->splits,
       fmt::format("history entries sent in a beacon (default {})", defaults.splits_count())},
      {"--n-hosts", &flags->n_hosts,
       fmt::format("rough group size, for newcomers' odds (default {})", defaults.hosts_count())},
      {"--version", &flags->version,
       fmt::format("configuration version: a higher one received wins (default {})",
                   defaults.version_number())}};
  for (const auto& [name, field, help] : settings) command->add_option(name, *field, help);
  command->add_option("--duration", flags->duration, "seconds to stay (default 0: until stopped)");
  command->add_flag("--json", flags->json, "JSON lines: time, event, fields");
  command->add_flag("--watch", flags->watch,
                    "do not take part; show the channel, the holder and the members every second");
  flags->context.add_to(*command);
  return [flags] { return run_group(*flags); };
}

}  // namespace compactor::tool
