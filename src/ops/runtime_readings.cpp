// SPDX-License-Identifier: Apache-2.0
#include "ops/runtime_readings.hpp"

#include "ops/system_stats.hpp"
#include "runtime/context_core.hpp"
#include "runtime/process_record.hpp"

#include <algorithm>

namespace compactor::ops {
namespace {

using Kind = metrics::Reading::Kind;

void read_counters(const runtime::StatsCounters& counters, metrics::Readings& out) {
  for (const auto& info : runtime::kCounters) {
    out.push_back(
        {.key = "compactor/" + std::string(info.name),
         .help = std::string(info.help),
         .kind = Kind::counter,
         .value = static_cast<double>((counters.*info.counter).load(std::memory_order_relaxed))});
  }
  for (std::size_t reason = 0; reason < std::size(runtime::kDropReasonNames); ++reason) {
    const std::string name = runtime::kDropReasonNames[reason];
    out.push_back({.key = "compactor/messages_dropped/" + name,
                   .help = "Messages dropped, by reason.",
                   .kind = Kind::counter,
                   .value = static_cast<double>(
                       counters.dropped_by_reason[reason].load(std::memory_order_relaxed)),
                   .family = "compactor_drops",
                   .labels = {{"reason", name}}});
  }
}

void read_processes(runtime::ContextCore& core, metrics::Readings& out) {
  auto records = core.processes();
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->pid().id < b->pid().id; });
  out.push_back({.key = "compactor/processes",
                 .help = "Processes running.",
                 .value = static_cast<double>(records.size())});
  for (const auto& record : records) {
    const auto& id = record->pid().id;
    metrics::LabelledReadings process(out, "compactor/processes/" + id + "/", {{"process", id}});
    process.add("mailbox_depth", Kind::gauge, static_cast<double>(record->queued()),
                "compactor_process_mailbox_depth", "Events queued for the process.");
    process.add("mailbox_bytes", Kind::gauge, static_cast<double>(record->queued_bytes()),
                "compactor_process_mailbox_bytes", "Bytes of the events queued for the process.");
    process.add("events_handled", Kind::counter, static_cast<double>(record->handled()),
                "compactor_process_events_handled", "Events the process handled.");
    process.add("busy_secs", Kind::counter, std::chrono::duration<double>(record->busy()).count(),
                "compactor_process_busy_seconds", "Time the process spent in its handlers.");
    process.add("linkers", Kind::gauge, static_cast<double>(record->linker_count()),
                "compactor_process_linkers", "Processes linked to the process.");
  }
}

// By peer, not by connection: a short-lived connection must not make a series of its own
// (runtime::PeerSeries bounds them).
void read_connections(runtime::ContextCore& core, metrics::Readings& out) {
  double open[2] = {0, 0};  // outbound, inbound
  for (const auto& traffic : core.traffic()) {
    const char* direction = traffic.inbound ? "inbound" : "outbound";
    open[traffic.inbound] += static_cast<double>(traffic.open);
    metrics::LabelledReadings readings(
        out, std::string("compactor/connections/") + direction + "/" + traffic.peer + "/",
        {{"direction", direction}, {"peer", traffic.peer}});
    readings.add("messages", Kind::counter, static_cast<double>(traffic.messages),
                 "compactor_connection_messages",
                 "Messages sent (outbound) or received (inbound), by peer.");
    readings.add("bytes", Kind::counter, static_cast<double>(traffic.bytes),
                 "compactor_connection_bytes", "Bytes written (outbound) or read (inbound).");
    readings.add("pauses", Kind::counter, static_cast<double>(traffic.pauses),
                 "compactor_connection_pauses",
                 "Flow control: senders held (outbound), reads paused (inbound).");
    readings.add("open", Kind::gauge, static_cast<double>(traffic.open),
                 "compactor_connection_open", "Connections open to or from the peer.");
    if (!traffic.inbound) {
      readings.add("queued_bytes", Kind::gauge, static_cast<double>(traffic.queued_bytes),
                   "compactor_connection_queued_bytes", "Bytes waiting to be written.");
      readings.add("links", Kind::gauge, static_cast<double>(traffic.links),
                   "compactor_connection_links", "Links the connections carry.");
    }
  }
  for (const bool inbound : {true, false}) {
    const std::string direction = inbound ? "inbound" : "outbound";
    out.push_back({.key = "compactor/connections/" + direction,
                   .help = "Open connections, by direction.",
                   .value = open[inbound],
                   .family = "compactor_connections",
                   .labels = {{"direction", direction}}});
  }
}

}  // namespace

void read_runtime(runtime::ContextCore& core, metrics::Readings& out) {
  read_counters(core.counters(), out);
  read_processes(core, out);
  read_connections(core, out);
  append_system_readings(read_system_stats(), out);
}

}  // namespace compactor::ops
