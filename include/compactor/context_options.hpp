// SPDX-License-Identifier: Apache-2.0
#pragma once
// How a context listens, advertises itself, runs its processes and bounds what peers may cost it.

#include <compactor/authentication.hpp>
#include <compactor/clock.hpp>
#include <compactor/exit_reason.hpp>
#include <compactor/export.hpp>
#include <compactor/pid.hpp>
#include <compactor/tls.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace compactor {

/// How a context listens, advertises itself and runs its processes.
struct COMPACTOR_API ContextOptions {
  /// The IP to listen on. "0.0.0.0" listens on every interface and advertises the host name's IP.
  std::string ip = "127.0.0.1";
  /// The port to listen on; 0 picks a free one.
  std::uint16_t port = 0;
  /// What goes into PIDs instead of ip/port, for NAT and containers.
  ///@{
  std::optional<std::string> advertise_ip{};
  std::optional<std::uint16_t> advertise_port{};
  ///@}
  /// Worker threads running processes; 0 means one per core.
  unsigned workers = 0;
  /// For tests, as CAF's deterministic test coordinator: no worker threads; processes run only
  /// when the test calls Context::run_once() or Context::run(), on the test's thread, one at a
  /// time in the order they became runnable. Network I/O and timers still run on their own
  /// threads and only queue events. settle(), wait() and shutdown() run what is runnable
  /// themselves. `workers` is ignored.
  bool deterministic = false;
  /// Runs a remote message's handlers on the I/O thread that read it, once the rest of that read
  /// is parsed, when its process was idle and that message is all it has to handle; otherwise, and
  /// for local messages, a worker runs them as always. A round trip at one in flight then skips
  /// the hand-over to a worker on each side (on a VM, waking a parked vCPU: about half of it).
  /// Handlers must be short and must not block: one that blocks stalls every connection of the
  /// context (counted as io_thread_stalls from 10 ms on, and logged), and Future::get() on a
  /// pending future throws std::logic_error there (the reply could not be read). Off by default.
  /// COMPACTOR_RUN_ON_IO_THREAD.
  bool run_on_io_thread = false;
  /// Largest request body accepted; larger ones are answered 413 before the body is read.
  std::size_t max_body_size = 64 * 1024 * 1024;
  /// Reject (400) a message whose Libprocess-From IP differs from the socket's peer IP. With TLS
  /// and require_client_cert, this makes a peer prove the sender IP it claims (docs/security.md).
  bool require_peer_address_ip_match = false;
  /// TLS on every connection, as libprocess's SSL (off by default).
  TlsOptions tls{};
  /// HTTP authentication by realm (docs/security.md). A route installed with a realm, and the
  /// built-in endpoints when builtin_endpoints_realm is set, answer only requests that realm's
  /// authenticator accepts; others get 401 with its challenge (so does every request to a realm
  /// that has no authenticator: it fails closed).
  ///@{
  std::map<std::string, std::shared_ptr<const http::Authenticator>> http_authenticators{};
  std::optional<std::string> builtin_endpoints_realm{};
  ///@}
  /// HTTP paths answered 403 Forbidden, as Mesos's disabled-endpoints firewall rule: exact paths
  /// such as "/__processes__" or "/sink/status". Messages are not HTTP endpoints: not affected.
  std::vector<std::string> disabled_endpoints{};
  /// How long an outbound connection that no link holds open stays open once idle, before it is
  /// closed gracefully. Zero closes it as soon as everything queued has been written.
  std::chrono::milliseconds idle_connection_timeout{1000};
  /// How long destruction waits for queued outbound messages to be written and acknowledged by
  /// the peer closing its side.
  std::chrono::milliseconds shutdown_timeout{5000};

  // Flow control and failure detection (docs/flow-control.md). Each can
  // also be set by the environment variable named after it (from_environment).

  /// A peer that acknowledges nothing for this long is taken as gone: its connections fail and
  /// linkers get exited, on a silent partition too. TCP keep-alive probes while a connection is
  /// idle, TCP_USER_TIMEOUT while data waits for an acknowledgement. Idle connections are never
  /// closed while the peer answers. Zero keeps the system's defaults (about two hours).
  /// COMPACTOR_DEAD_PEER_TIMEOUT_MS.
  std::chrono::milliseconds dead_peer_timeout{20000};
  /// An outbound connection whose writes make no progress for this long fails (a peer that
  /// accepts but never reads); its queued messages are counted as dropped and linkers get
  /// exited. Zero: never. COMPACTOR_WRITE_TIMEOUT_MS.
  std::chrono::milliseconds write_timeout{20000};
  /// A request must arrive whole, headers and body, within this time of its first byte, or it is
  /// answered 408 and its connection closed (slowloris). Between requests a connection may stay
  /// idle. Zero: no limit. COMPACTOR_REQUEST_TIMEOUT_MS.
  std::chrono::milliseconds request_timeout{30000};
  /// Request body bytes that all inbound connections together may buffer; a request that would
  /// go over is answered 503 and its connection closed. COMPACTOR_MAX_BUFFERED_BODY_BYTES.
  std::size_t max_buffered_body_bytes = 128 * 1024 * 1024;
  /// Answer bytes that all inbound connections together may hold, not yet taken by their readers
  /// (a body shared by several answers counts for each). Past it, a connection that holds
  /// answers reads no new request until its reader took them, and one that holds more than 64
  /// KiB and makes no write progress for a second is closed (answers_over_budget).
  /// COMPACTOR_MAX_BUFFERED_ANSWER_BYTES.
  std::size_t max_buffered_answer_bytes = 128 * 1024 * 1024;
  /// Asks (Process::ask) this context may have waiting for replies at once; an ask over it fails
  /// at once with FutureFailed (counted as asks_refused): asks that a peer never answers cannot
  /// pile up for their whole timeout. COMPACTOR_MAX_ASKS_IN_FLIGHT.
  std::size_t max_asks_in_flight = 1'000'000;
  /// While an inbound connection holds more than 64 KiB of answers, they must drain at this
  /// many bytes per second at least, averaged over write_timeout, or the connection is closed
  /// (answers_too_slow): a reader that takes a few bytes now and then cannot hold its answers as
  /// long as it likes (the slow-read attack). Zero: no minimum. COMPACTOR_MIN_ANSWER_RATE.
  std::size_t min_answer_rate = 1024;
  /// An inbound TLS handshake must be done within this time of the connection's start, or the
  /// connection is closed. Zero: no limit. COMPACTOR_TLS_HANDSHAKE_TIMEOUT_MS.
  std::chrono::milliseconds tls_handshake_timeout{10000};
  /// Inbound connections open at once; more are closed as soon as they are accepted, and
  /// counted. Zero: no limit. COMPACTOR_MAX_INBOUND_CONNECTIONS.
  std::size_t max_inbound_connections = 0;
  /// A process's mailbox high-water mark, in messages and in bytes (bodies and names): while it
  /// is over either, the connections that feed it are not read, so TCP slows the remote senders
  /// down; reading resumes as the process gets through its queued events (a large batch counts
  /// until handled), so a sender makes progress all along, and what is queued or in hand stays
  /// within the mark plus one read of the connection.
  /// Local senders are never held back by it. Zero: no mark.
  /// COMPACTOR_MAILBOX_HIGH_WATER_MESSAGES, COMPACTOR_MAILBOX_HIGH_WATER_BYTES.
  ///@{
  std::size_t mailbox_high_water_messages = 10000;
  std::size_t mailbox_high_water_bytes = 8 * 1024 * 1024;
  ///@}
  /// Bytes queued for one remote context beyond which senders are held back: a sending process
  /// is held after its current handler (its later events wait, nothing is dropped) until the
  /// queue is being written; a thread that is not a process waits in send() for up to
  /// send_timeout, then send() throws std::runtime_error. At most about twice this is buffered
  /// per peer (queued, plus the write in progress), plus what one handler sends. Zero: no mark.
  /// COMPACTOR_PEER_HIGH_WATER_BYTES, COMPACTOR_SEND_TIMEOUT_MS.
  ///@{
  std::size_t peer_high_water_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds send_timeout{30000};
  ///@}
  /// An optional bound on each mailbox against local senders (processes and threads of this OS
  /// process, which the high-water mark does not slow down), in events queued. Zero, the
  /// default: no bound, as in libprocess and CAF. What a local send to a full mailbox does:
  ///  - hold_sender: the message is queued; a sending process is held after its handler until
  ///    the receiver takes its queue, or for send_timeout at most (two processes full of each
  ///    other's messages thus go on, late); a thread that is not a process waits for room up to
  ///    send_timeout, then send() throws std::runtime_error. Nothing is lost; as with the
  ///    high-water mark, the batch the receiver is handling comes on top of the limit.
  ///  - drop_newest: the message is dropped, counted (mailbox_overflows, messages_dropped) and
  ///    logged at the 1st, 2nd, 4th... drop; the sender goes on.
  /// A process sending to itself is never held nor dropped.
  /// COMPACTOR_MAILBOX_LIMIT, COMPACTOR_MAILBOX_OVERFLOW (hold_sender or drop_newest).
  ///@{
  enum class MailboxOverflow { hold_sender, drop_newest };
  std::size_t mailbox_limit = 0;
  MailboxOverflow mailbox_overflow = MailboxOverflow::hold_sender;
  ///@}

  /// What a process does when an exception escapes its handler, task or initialize(), unless it
  /// chose itself (Process::on_exception): carry on (libprocess's behaviour, the default) or
  /// terminate, its linkers learning why (ExitReason). COMPACTOR_ON_EXCEPTION (carry_on or
  /// terminate).
  OnException on_exception = OnException::carry_on;

  /// Per-process activity for the metrics (/metrics/snapshot, /metrics, /__status__): events
  /// handled and time spent in handlers, two clock reads per batch of events. Mailbox depths,
  /// connection traffic and the context's counters are kept either way.
  /// COMPACTOR_RUNTIME_METRICS.
  bool runtime_metrics = true;
  /// The clock of the processes' timers (Process::delay, every); none: Clock::system(). A test
  /// passes a ManualClock and moves time itself. It must outlive the context.
  Clock* clock = nullptr;

  /// Options from LIBPROCESS_IP, LIBPROCESS_PORT, LIBPROCESS_ADVERTISE_IP,
  /// LIBPROCESS_ADVERTISE_PORT, LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH, LIBPROCESS_SSL_* (see
  /// TlsOptions::from_environment) and the COMPACTOR_* variables named above. Throws
  /// std::invalid_argument naming the variable when one holds an invalid value.
  static ContextOptions from_environment();
};

}  // namespace compactor
