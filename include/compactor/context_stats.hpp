// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a context has done since it started: Context::stats().

#include <compactor/export.hpp>

#include <cstdint>

namespace compactor {

/// Counters of what a context has done since it started.
struct COMPACTOR_API ContextStats {
  std::uint64_t messages_sent_local = 0;       ///< delivered to a mailbox without a socket
  std::uint64_t messages_sent_remote = 0;      ///< queued on an outbound connection
  std::uint64_t messages_received_remote = 0;  ///< parsed from an inbound connection
  std::uint64_t messages_dropped = 0;          ///< no such process, connection failed, ...
  std::uint64_t requests_rejected = 0;         ///< refused: 400, 401, 403, 404, 408, 413 or 503
  std::uint64_t connections_accepted = 0;      ///< inbound connections taken
  std::uint64_t connections_opened = 0;        ///< outbound connections established
  std::uint64_t connections_failed = 0;        ///< refused, reset, closed by the peer, timed out
  /// Inbound connections closed at once: over max_inbound_connections.
  std::uint64_t connections_refused = 0;
  /// Requests answered 408: not whole within request_timeout.
  std::uint64_t requests_timed_out = 0;
  /// Times an inbound connection stopped reading for a mailbox over its high-water mark.
  std::uint64_t reads_paused = 0;
  /// Times a sending process was held for a peer over peer_high_water_bytes, or for a full
  /// mailbox (mailbox_limit, hold_sender).
  std::uint64_t senders_held = 0;
  /// Of messages_dropped: local sends to a full mailbox (mailbox_limit, drop_newest).
  std::uint64_t mailbox_overflows = 0;
  std::uint64_t messages_malformed = 0;  ///< delivered, but the body did not parse (protobuf)
  /// TLS handshakes completed (inbound and outbound), failed (untrusted or missing certificate,
  /// a name that does not match, no common protocol, a peer that did not finish in time), and
  /// connections that went on in plaintext (support_downgrade).
  ///@{
  std::uint64_t tls_handshakes = 0;
  std::uint64_t tls_handshake_failures = 0;
  std::uint64_t connections_downgraded = 0;
  ///@}
  /// Of messages_dropped: meant for a remote context and never written to it (refused, failed or
  /// stalled connection, shutdown); messages that reached the wire are not counted here.
  std::uint64_t messages_unsent = 0;
  /// Inbound connections closed because their answers drained slower than min_answer_rate.
  std::uint64_t answers_too_slow = 0;
  /// Inbound connections closed because they were stuck while the answers held by all
  /// connections exceeded max_buffered_answer_bytes.
  std::uint64_t answers_over_budget = 0;
  /// Replies to Process::ask that came after it ended (timed out): dropped.
  std::uint64_t late_replies = 0;
  /// Exceptions that escaped a process's handler, coroutine (task) or finalize(): logged with the
  /// process's PID, then the process goes on.
  std::uint64_t handler_exceptions = 0;
  /// Asks failed at once because max_asks_in_flight asks were waiting for replies.
  std::uint64_t asks_refused = 0;
  /// With ContextOptions::run_on_io_thread: times a process's handlers ran 10 ms or more on an
  /// I/O thread, whose connections waited meanwhile (each logged, rate-limited).
  std::uint64_t io_thread_stalls = 0;
};

}  // namespace compactor
