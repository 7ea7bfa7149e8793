// SPDX-License-Identifier: Apache-2.0
#include "ops/endpoints.hpp"

#include "metrics/registry.hpp"
#include "ops/prometheus.hpp"
#include "ops/status_page.hpp"
#include "ops/system_stats.hpp"
#include "runtime/context_core.hpp"
#include "runtime/process_record.hpp"
#include "util/json_text.hpp"

#include <compactor/logging.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>

namespace compactor::ops {
namespace {

using runtime::ContextCore;
using util::json_string;

// /__processes__ lists at most this many queued events per process: a full mailbox must not make
// the answer unbounded.
constexpr std::size_t kListedEvents = 1000;

// ... and at most this much of each message's body (then "body_size" says how much there is).
constexpr std::size_t kListedBodyBytes = 4096;

// Pull gauges get this long when /metrics/snapshot names no timeout (libprocess waits for ever).
constexpr std::chrono::milliseconds kDefaultSnapshotTimeout{10000};

http::Response with_type(std::string body, std::string type, int status = 200) {
  return {status, {{"Content-Type", std::move(type)}}, std::move(body)};
}

http::Response not_found() { return http::Response::text("404 Not Found.", 404); }

std::vector<std::shared_ptr<runtime::ProcessRecord>> sorted_processes(ContextCore& core) {
  auto records = core.processes();
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->pid().id < b->pid().id; });
  return records;
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

// A queued event as libprocess's /__processes__ shows it.
std::string event_json(const runtime::Event& event, const std::string& to) {
  using namespace runtime;
  if (const auto* message = std::get_if<MessageEvent>(&event)) {
    const bool cut = message->body.size() > kListedBodyBytes;
    return "{\"type\":\"MESSAGE\",\"name\":" + json_string(message->name) +
           ",\"from\":" + json_string(message->from.to_string()) + ",\"to\":" + json_string(to) +
           ",\"body\":" + json_string(std::string_view(message->body).substr(0, kListedBodyBytes)) +
           (cut ? ",\"body_size\":" + std::to_string(message->body.size()) : "") + "}";
  }
  if (const auto* http = std::get_if<HttpEvent>(&event)) {
    std::string url = http->request->path;
    if (!http->request->query.empty()) url += "?" + http->request->query;
    return "{\"type\":\"HTTP\",\"method\":" + json_string(http->request->method) +
           ",\"url\":" + json_string(url) + "}";
  }
  if (std::holds_alternative<ExitedEvent>(event)) return "{\"type\":\"EXITED\"}";
  if (std::holds_alternative<TerminateEvent>(event)) return "{\"type\":\"TERMINATE\"}";
  return "{\"type\":\"DISPATCH\"}";  // calls, timers, initialize: run on the process
}

// libprocess's shape: [{"id": ..., "events": [...]}]; compactor adds the PID, and how many
// events were left out when there are more than kListedEvents.
void processes(ContextCore& core, const http::Request&, http::Responder respond) {
  std::string body = "[";
  for (const auto& record : sorted_processes(core)) {
    if (body.size() > 1) body += ',';
    std::string events;
    const auto queued = record->inspect_queue(kListedEvents, [&](const runtime::Event& event) {
      if (!events.empty()) events += ',';
      events += event_json(event, record->pid_text());
    });
    body += "{\"id\":" + json_string(record->pid().id) +
            ",\"pid\":" + json_string(record->pid_text()) + ",\"events\":[" + events + "]";
    if (queued > kListedEvents)
      body += ",\"events_omitted\":" + std::to_string(queued - kListedEvents);
    body += "}";
  }
  respond(http::Response::json(body + "]"));
}

// A JSONP callback name: a JavaScript identifier path, nothing that could smuggle script in.
bool valid_callback(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '.';
  });
}

// libprocess answers JSON as `cb(<json>)`, text/javascript, when asked with jsonp=cb.
http::Response json_or_jsonp(const http::Request& request, std::string json) {
  const auto callback = query_value(request.query, "jsonp");
  if (!callback) return http::Response::json(std::move(json));
  if (!valid_callback(*callback)) {
    return http::Response::text("Invalid jsonp callback '" + std::string(*callback) + "'.\n", 400);
  }
  return with_type(std::string(*callback) + "(" + json + ")", "text/javascript");
}

std::string snapshot_json(const metrics::Readings& readings) {
  std::string body = "{";
  for (const auto& [key, value] : flatten(readings)) {
    if (body.size() > 1) body += ',';
    body += json_string(key) + ":" + util::json_number(value);
  }
  return body + "}";
}

// Reads every metric, then answers with `render` of them; pull gauges get timeout= (libprocess's
// duration, "5secs") or kDefaultSnapshotTimeout.
void answer_with_readings(ContextCore& core, const http::Request& request, http::Responder respond,
                          std::function<http::Response(const metrics::Readings&)> render) {
  auto timeout = kDefaultSnapshotTimeout;
  if (const auto text = query_value(request.query, "timeout")) {
    const auto parsed = parse_duration(*text);
    if (!parsed) {
      respond(http::Response::text("Invalid timeout '" + std::string(*text) + "'.\n", 400));
      return;
    }
    timeout = *parsed;
  }
  metrics::impl_of(core.metrics())
      .read(timeout)
      .on_ready([respond, render = std::move(render)](const metrics::Readings& readings) {
        respond(render(readings));
      });
}

void metrics_snapshot(ContextCore& core, const http::Request& request, http::Responder respond) {
  answer_with_readings(core, request, respond, [request](const metrics::Readings& readings) {
    return json_or_jsonp(request, snapshot_json(readings));
  });
}

void prometheus_metrics(ContextCore& core, const http::Request& request, http::Responder respond) {
  answer_with_readings(core, request, respond, [](const metrics::Readings& readings) {
    return with_type(prometheus_text(readings), "text/plain; version=0.0.4; charset=utf-8");
  });
}

void system_stats(ContextCore&, const http::Request& request, http::Responder respond) {
  respond(json_or_jsonp(request, system_stats_json(read_system_stats())));
}

void status_page(ContextCore&, const http::Request&, http::Responder respond) {
  respond(with_type(std::string(kStatusPage), "text/html; charset=utf-8"));
}

void status_state(ContextCore& core, const http::Request&, http::Responder respond) {
  respond(http::Response::json(status_json(core)));
}

// libprocess's toggle, answered at once.
void toggle(ContextCore& core, const http::Request& request, http::Responder respond) {
  respond(toggle_logging(core, request));
}

// The context's own endpoints, as libprocess's built-in processes and their routes.
struct Builtin {
  std::string_view process;
  std::string_view route;  // "" : the process's path itself
  std::string_view help;
  BuiltinEndpoint answer;
};

constexpr Builtin kBuiltins[] = {
    {"__processes__", "", "Every process and its queued events (JSON).", processes},
    {"__status__", "", "The live status page.", status_page},
    {"__status__", "/state.json", "What the status page shows (JSON).", status_state},
    {"logging", "/toggle",
     "Without parameters: how many steps the log level is raised. With `level=N&duration=D`: "
     "logs N steps more verbosely (1: debug, 2: trace) for D (`10secs`, `1mins`), then reverts.",
     toggle},
    {"metrics", "",
     "Every metric in Prometheus's text exposition format (`timeout=D` for pull gauges).",
     prometheus_metrics},
    {"metrics", "/snapshot",
     "Every metric as one JSON object (libprocess's). `jsonp=cb` wraps it as `cb(...)`; "
     "`timeout=D` (`5secs`) leaves out pull gauges that take longer.",
     metrics_snapshot},
    {"system", "/stats.json", "The machine's load, processors and memory (JSON).", system_stats},
};

// Processes listed by /help: the built-in ones with routes (not the __hidden__ ones) and every
// process with routes; for each, its routes and their help.
std::map<std::string, std::map<std::string, std::string>> help_index(ContextCore& core) {
  std::map<std::string, std::map<std::string, std::string>> index;
  for (const auto& builtin : kBuiltins) {
    if (builtin.process.starts_with("__")) continue;
    index[std::string(builtin.process)][std::string(builtin.route)] = builtin.help;
  }
  for (const auto& record : sorted_processes(core)) {
    const auto& process = record->process();
    for (const auto& path : process.routes()) {
      index[record->pid().id][path == "/" ? "" : path] = process.route_help(path).value_or("");
    }
  }
  return index;
}

// libprocess's markdown: /help lists processes, /help/<process> its routes, /help/<process>/<route>
// the route's help.
void help(ContextCore& core, const http::Request& request, http::Responder respond) {
  auto markdown = [](std::string body) { return with_type(std::move(body), "text/x-markdown"); };
  const auto index = help_index(core);
  std::string_view rest = request.path;
  rest.remove_prefix(std::min<std::size_t>(rest.size(), 5));  // "/help"
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) {
    std::string body = "## HELP\n";
    for (const auto& [process, routes] : index) body += "> [/" + process + "][" + process + "]\n";
    body += "\n";
    for (const auto& [process, routes] : index) body += "[" + process + "]: help/" + process + "\n";
    respond(markdown(body));
    return;
  }
  rest.remove_prefix(1);  // '/'
  const auto slash = rest.find('/');
  const std::string process(rest.substr(0, slash));
  const auto found = index.find(process);
  if (found == index.end()) return respond(not_found());
  if (slash == std::string_view::npos) {
    std::string body = "## `/" + process + "` ##\n";
    for (const auto& [route, text] : found->second) {
      body += "> [/" + process + route + "][" + process + route + "]\n";
    }
    body += "\n";
    for (const auto& [route, text] : found->second) {
      body += "[" + process + route + "]: " + process + route + "\n";
    }
    respond(markdown(body));
    return;
  }
  const auto route = found->second.find(std::string(rest.substr(slash)));
  if (route == found->second.end()) return respond(not_found());
  respond(markdown("### USAGE ###\n`/" + process + route->first + "`\n\n" +
                   (route->second.empty() ? "No help page." : route->second) + "\n"));
}

}  // namespace

BuiltinEndpoint find_builtin_endpoint(std::string_view path) {
  if (path.ends_with('/') && path.size() > 1) path.remove_suffix(1);
  if (path == "/help" || path.starts_with("/help/")) return help;
  for (const auto& builtin : kBuiltins) {
    const auto process = builtin.process;
    if (path.size() == 1 + process.size() + builtin.route.size() &&
        path.substr(1).starts_with(process) && path.substr(1 + process.size()) == builtin.route) {
      return builtin.answer;
    }
  }
  return nullptr;
}

}  // namespace compactor::ops
