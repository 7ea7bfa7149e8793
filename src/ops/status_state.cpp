// SPDX-License-Identifier: Apache-2.0
#include "ops/status_page.hpp"

#include "metrics/registry.hpp"
#include "runtime/context_core.hpp"
#include "runtime/process_record.hpp"
#include "util/json_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace compactor::ops {

using util::json_number;
using util::json_string;

std::string status_json(runtime::ContextCore& core) {
  const auto now =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::string json =
      "{\"address\":" + json_string(core.address().to_string()) + ",\"time\":" + json_number(now);
  json += ",\"counters\":{";
  for (const auto& info : runtime::kCounters) {
    if (&info != runtime::kCounters) json += ',';
    json += json_string(info.name) + ":" +
            std::to_string((core.counters().*info.counter).load(std::memory_order_relaxed));
  }
  json += '}';
  json += ",\"drops\":{";
  for (std::size_t reason = 0; reason < std::size(runtime::kDropReasonNames); ++reason) {
    if (reason > 0) json += ',';
    json += json_string(runtime::kDropReasonNames[reason]) + ":" +
            std::to_string(core.counters().dropped_by_reason[reason].load());
  }
  const auto& options = core.options();
  json += fmt::format(
      "}},\"limits\":{{\"mailbox_high_water_messages\":{},\"mailbox_high_water_bytes\":{},"
      "\"peer_high_water_bytes\":{}}}",
      options.mailbox_high_water_messages, options.mailbox_high_water_bytes,
      options.peer_high_water_bytes);

  auto records = core.processes();
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->pid().id < b->pid().id; });
  json += ",\"processes\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& record = *records[i];
    if (i > 0) json += ',';
    json += fmt::format(
        "{{\"id\":{},\"pid\":{},\"mailbox\":{},\"mailbox_bytes\":{},\"handled\":{},"
        "\"busy_secs\":{},\"linkers\":{}}}",
        json_string(record.pid().id), json_string(record.pid_text()), record.queued(),
        record.queued_bytes(), record.handled(),
        json_number(std::chrono::duration<double>(record.busy()).count()),
        records[i]->linker_count());
  }
  json += "],\"connections\":[";
  const auto connections = core.connections();
  for (std::size_t i = 0; i < connections.size(); ++i) {
    const auto& connection = connections[i];
    if (i > 0) json += ',';
    json += fmt::format(
        "{{\"direction\":\"{}\",\"peer\":{},\"state\":{},\"security\":{},\"messages\":{},"
        "\"bytes\":{},\"queued_bytes\":{},\"pauses\":{},\"links\":{}}}",
        connection.inbound ? "inbound" : "outbound", json_string(connection.peer),
        json_string(connection.state), json_string(connection.security), connection.messages,
        connection.bytes, connection.queued_bytes, connection.pauses, connection.links);
  }
  json += "],\"groups\":[";
  const auto groups = metrics::impl_of(core.metrics()).group_status();
  for (std::size_t i = 0; i < groups.size(); ++i) json += (i > 0 ? "," : "") + groups[i];
  return json + "]}";
}

}  // namespace compactor::ops
