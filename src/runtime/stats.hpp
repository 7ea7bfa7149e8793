// SPDX-License-Identifier: Apache-2.0
#pragma once
// The counters behind ContextStats, updated from any thread.

#include <compactor/context.hpp>

#include <array>
#include <atomic>
#include <cstdint>

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
  std::atomic<std::uint64_t> messages_sent_local{0};
  std::atomic<std::uint64_t> messages_sent_remote{0};
  std::atomic<std::uint64_t> messages_received_remote{0};
  std::atomic<std::uint64_t> messages_dropped{0};
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
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DropReason::count_)>
      dropped_by_reason{};

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  ContextStats snapshot() const {
    auto get = [](const std::atomic<std::uint64_t>& c) {
      return c.load(std::memory_order_relaxed);
    };
    // Designated, so that a counter added in the middle cannot shift the others.
    return {.messages_sent_local = get(messages_sent_local),
            .messages_sent_remote = get(messages_sent_remote),
            .messages_received_remote = get(messages_received_remote),
            .messages_dropped = get(messages_dropped),
            .requests_rejected = get(requests_rejected),
            .connections_accepted = get(connections_accepted),
            .connections_opened = get(connections_opened),
            .connections_failed = get(connections_failed),
            .connections_refused = get(connections_refused),
            .requests_timed_out = get(requests_timed_out),
            .reads_paused = get(reads_paused),
            .senders_held = get(senders_held),
            .mailbox_overflows = get(mailbox_overflows),
            .messages_malformed = get(messages_malformed),
            .tls_handshakes = get(tls_handshakes),
            .tls_handshake_failures = get(tls_handshake_failures),
            .connections_downgraded = get(connections_downgraded),
            .messages_unsent = get(messages_unsent)};
  }
};

}  // namespace compactor::runtime
