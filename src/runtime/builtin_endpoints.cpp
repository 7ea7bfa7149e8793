#include "runtime/builtin_endpoints.hpp"

#include "runtime/context_core.hpp"
#include "runtime/process_record.hpp"
#include "util/json_text.hpp"

#include <algorithm>

namespace compactor::runtime {
namespace {

using util::json_string;

std::vector<std::shared_ptr<ProcessRecord>> sorted_processes(ContextCore& core) {
  auto records = core.processes();
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->pid().id < b->pid().id; });
  return records;
}

http::Response processes(ContextCore& core) {
  std::string body = "[";
  for (const auto& record : sorted_processes(core)) {
    if (body.size() > 1) body += ',';
    body += "{\"id\":" + json_string(record->pid().id) +
            ",\"pid\":" + json_string(record->pid_text()) +
            ",\"events\":" + std::to_string(record->queued()) + "}";
  }
  return http::Response::json(body + "]");
}

http::Response metrics(ContextCore& core) {
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

http::Response help(ContextCore& core) {
  std::string body =
      "/__processes__      every process and its queued events (JSON)\n"
      "/metrics/snapshot   counters and mailbox depths (JSON)\n"
      "/help               this text\n";
  for (const auto& record : sorted_processes(core)) {
    for (const auto& path : record->process().routes()) {
      body += "/" + record->pid().id + (path == "/" ? "" : path) + "\n";
    }
  }
  return http::Response::text(std::move(body));
}

}  // namespace

BuiltinEndpoint find_builtin_endpoint(std::string_view path) {
  if (path == "/__processes__") return processes;
  if (path == "/metrics/snapshot") return metrics;
  if (path == "/help") return help;
  return nullptr;
}

}  // namespace compactor::runtime
