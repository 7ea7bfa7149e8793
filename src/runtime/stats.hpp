// SPDX-License-Identifier: Apache-2.0
#pragma once
// The counters behind ContextStats, updated from any thread.

#include "util/cache_line.hpp"

#include <compactor/context_stats.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace compactor::runtime {

// Why a message was dropped; every drop is counted under one.
enum class DropReason : std::size_t {
  no_receiver,   // no process of that id here
  terminated,    // its receiver terminated before handling it
  mailbox_full,  // mailbox_limit with drop_newest, or a send that timed out waiting for room
  unsent,        // for a remote context, never written (refused, failed, stalled, shut down)
  rejected,      // its sender's IP did not match the connection's (peer address IP match)
  count_
};
inline constexpr const char* kDropReasonNames[] = {"no_receiver", "terminated", "mailbox_full",
                                                   "unsent", "rejected"};
static_assert(std::size(kDropReasonNames) == static_cast<std::size_t>(DropReason::count_));

struct StatsCounters {
  // Counted for every message, the first two by workers, the third by I/O threads: each on its
  // own cache line, and the rarely counted ones on the lines after them.
  alignas(util::kCacheLine) std::atomic<std::uint64_t> messages_sent_local{0};
  alignas(util::kCacheLine) std::atomic<std::uint64_t> messages_sent_remote{0};
  alignas(util::kCacheLine) std::atomic<std::uint64_t> messages_received_remote{0};
  alignas(util::kCacheLine) std::atomic<std::uint64_t> messages_dropped{0};
  std::atomic<std::uint64_t> requests_rejected{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> connections_failed{0};
  std::atomic<std::uint64_t> messages_malformed{0};
  std::atomic<std::uint64_t> messages_unsent{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> requests_timed_out{0};
  std::atomic<std::uint64_t> reads_paused{0};
  std::atomic<std::uint64_t> senders_held{0};
  std::atomic<std::uint64_t> mailbox_overflows{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> connections_downgraded{0};
  std::atomic<std::uint64_t> answers_too_slow{0};
  std::atomic<std::uint64_t> answers_over_budget{0};
  std::atomic<std::uint64_t> late_replies{0};
  std::atomic<std::uint64_t> handler_exceptions{0};
  std::atomic<std::uint64_t> asks_refused{0};
  std::atomic<std::uint64_t> io_thread_stalls{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DropReason::count_)>
      dropped_by_reason{};

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  // The counters as ContextStats, read one by one (each is exact, the set is not a snapshot).
  ContextStats snapshot() const;
};

// Every counter, once: its name (its metric is compactor/<name>), its place in ContextStats and
// in StatsCounters, and what it counts. Whatever lists the counters reads this table.
struct CounterInfo {
  std::string_view name;
  std::uint64_t ContextStats::*stat;
  std::atomic<std::uint64_t> StatsCounters::*counter;
  std::string_view help;
};
#define COMPACTOR_COUNTER(name, help) \
  CounterInfo { #name, &ContextStats::name, &StatsCounters::name, help }
inline constexpr CounterInfo kCounters[] = {
    COMPACTOR_COUNTER(messages_sent_local, "Messages delivered within this OS process."),
    COMPACTOR_COUNTER(messages_sent_remote, "Messages queued for remote contexts."),
    COMPACTOR_COUNTER(messages_received_remote, "Messages read from peers."),
    COMPACTOR_COUNTER(messages_dropped, "Messages dropped, for any reason."),
    COMPACTOR_COUNTER(messages_malformed, "Messages whose body did not parse."),
    COMPACTOR_COUNTER(messages_unsent, "Messages for peers never written."),
    COMPACTOR_COUNTER(requests_rejected, "Requests refused (400, 401, 403, 404, 408, 413, 503)."),
    COMPACTOR_COUNTER(connections_accepted, "Inbound connections accepted."),
    COMPACTOR_COUNTER(connections_opened, "Outbound connections opened."),
    COMPACTOR_COUNTER(connections_failed, "Connections refused, reset or timed out."),
    COMPACTOR_COUNTER(connections_refused, "Inbound connections over the cap."),
    COMPACTOR_COUNTER(requests_timed_out, "Requests not whole in request_timeout."),
    COMPACTOR_COUNTER(reads_paused, "Times a connection stopped reading (flow control)."),
    COMPACTOR_COUNTER(senders_held, "Times a sender was held (flow control)."),
    COMPACTOR_COUNTER(mailbox_overflows, "Messages dropped for a full mailbox."),
    COMPACTOR_COUNTER(tls_handshakes, "TLS handshakes completed."),
    COMPACTOR_COUNTER(tls_handshake_failures, "TLS handshakes failed."),
    COMPACTOR_COUNTER(connections_downgraded, "Connections left in plaintext."),
    COMPACTOR_COUNTER(answers_too_slow, "Connections closed: answers drained too slowly."),
    COMPACTOR_COUNTER(answers_over_budget, "Connections closed: stuck over the answer budget."),
    COMPACTOR_COUNTER(late_replies, "Replies to asks that had ended (timed out), dropped."),
    COMPACTOR_COUNTER(handler_exceptions, "Exceptions that escaped a handler, task or finalize."),
    COMPACTOR_COUNTER(asks_refused, "Asks failed at once: max_asks_in_flight were waiting."),
    COMPACTOR_COUNTER(io_thread_stalls, "Handlers that ran 10 ms or more on an I/O thread."),
};
#undef COMPACTOR_COUNTER
static_assert(std::size(kCounters) * sizeof(std::uint64_t) == sizeof(ContextStats),
              "every ContextStats field has its row in kCounters");

inline ContextStats StatsCounters::snapshot() const {
  ContextStats stats;
  for (const auto& info : kCounters) {
    stats.*info.stat = (this->*info.counter).load(std::memory_order_relaxed);
  }
  return stats;
}

}  // namespace compactor::runtime
