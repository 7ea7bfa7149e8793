#include "runtime/builtin_endpoints.hpp"

#include "runtime/context_core.hpp"
#include "runtime/process_record.hpp"
#include "util/json_text.hpp"

#include <compactor/logging.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>

namespace compactor::runtime {
namespace {

using util::json_string;

std::vector<std::shared_ptr<ProcessRecord>> sorted_processes(ContextCore& core) {
  auto records = core.processes();
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->pid().id < b->pid().id; });
  return records;
}

http::Response processes(ContextCore& core, const http::Request&) {
  std::string body = "[";
  for (const auto& record : sorted_processes(core)) {
    if (body.size() > 1) body += ',';
    body += "{\"id\":" + json_string(record->pid().id) +
            ",\"pid\":" + json_string(record->pid_text()) +
            ",\"events\":" + std::to_string(record->queued()) + "}";
  }
  return http::Response::json(body + "]");
}

http::Response metrics(ContextCore& core, const http::Request&) {
  const auto stats = core.counters().snapshot();
  const std::pair<const char*, std::uint64_t> counters[] = {
      {"messages_sent_local", stats.messages_sent_local},
      {"messages_sent_remote", stats.messages_sent_remote},
      {"messages_received_remote", stats.messages_received_remote},
      {"messages_dropped", stats.messages_dropped},
      {"messages_malformed", stats.messages_malformed},
      {"messages_unsent", stats.messages_unsent},
      {"requests_rejected", stats.requests_rejected},
      {"connections_accepted", stats.connections_accepted},
      {"connections_opened", stats.connections_opened},
      {"connections_failed", stats.connections_failed},
      {"connections_refused", stats.connections_refused},
      {"requests_timed_out", stats.requests_timed_out},
      {"reads_paused", stats.reads_paused},
      {"senders_held", stats.senders_held},
      {"mailbox_overflows", stats.mailbox_overflows},
      {"tls_handshakes", stats.tls_handshakes},
      {"tls_handshake_failures", stats.tls_handshake_failures},
      {"connections_downgraded", stats.connections_downgraded}};
  std::string body = "{";
  for (const auto& [name, value] : counters) {
    if (body.size() > 1) body += ',';
    body += json_string(std::string("context/") + name) + ":" + std::to_string(value);
  }
  for (const auto& record : sorted_processes(core)) {
    body += "," + json_string("process/" + record->pid().id + "/mailbox") + ":" +
            std::to_string(record->queued());
  }
  return http::Response::json(body + "}");
}

http::Response help(ContextCore& core, const http::Request&) {
  std::string body =
      "/__processes__      every process and its queued events (JSON)\n"
      "/metrics/snapshot   counters and mailbox depths (JSON)\n"
      "/help               this text\n"
      "/logging/toggle     ?level=N&duration=D: log N steps more (1: debug, 2: trace) for D\n";
  for (const auto& record : sorted_processes(core)) {
    for (const auto& path : record->process().routes()) {
      body += "/" + record->pid().id + (path == "/" ? "" : path) + "\n";
    }
  }
  return http::Response::text(std::move(body));
}

// The value of `name` in a query ("a=1&b=2"), not decoded; none if absent.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// A duration as libprocess writes them: a number and a unit, "10secs", "1.5mins", "200ms".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::pair<std::string_view, double> units[] = {
      {"ns", 1e-6},   {"us", 1e-3},    {"ms", 1},         {"secs", 1e3},
      {"mins", 60e3}, {"hrs", 3600e3}, {"days", 86400e3}, {"weeks", 604800e3}};
  for (const auto& [unit, milliseconds] : units) {
    if (!text.ends_with(unit)) continue;
    const std::string number(text.substr(0, text.size() - unit.size()));
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !(value >= 0)) break;
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * milliseconds));
  }
  return std::nullopt;
}

// libprocess's /logging/toggle: without parameters, how many steps the log is raised; with
// level=N&duration=D, raises it N steps for D (N = 0 lowers it back at once).
http::Response toggle_logging(ContextCore&, const http::Request& request) {
  const auto level = query_value(request.query, "level");
  const auto duration = query_value(request.query, "duration");
  if (!level && !duration)
    return http::Response::text(std::to_string(logging::raised_steps()) + "\n");
  if (!duration) return http::Response::text("Expecting 'duration=value' in query.\n", 400);
  if (!level) return http::Response::text("Expecting 'level=value' in query.\n", 400);
  int steps = 0;
  const auto [end, error] = std::from_chars(level->data(), level->data() + level->size(), steps);
  if (error != std::errc() || end != level->data() + level->size() || level->empty()) {
    return http::Response::text("Failed to convert '" + std::string(*level) + "' to number.\n",
                                400);
  }
  if (steps < 0) {
    return http::Response::text("Invalid level '" + std::to_string(steps) + "'.\n", 400);
  }
  const auto parsed = parse_duration(*duration);
  if (!parsed) {
    return http::Response::text("Invalid duration '" + std::string(*duration) + "'.\n", 400);
  }
  logging::raise_for(steps, *parsed);
  return http::Response::text("");
}

}  // namespace

BuiltinEndpoint find_builtin_endpoint(std::string_view path) {
  if (path == "/__processes__") return processes;
  if (path == "/metrics/snapshot") return metrics;
  if (path == "/help") return help;
  if (path == "/logging/toggle") return toggle_logging;
  return nullptr;
}

}  // namespace compactor::runtime
