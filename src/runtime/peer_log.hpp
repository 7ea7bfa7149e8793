// SPDX-License-Identifier: Apache-2.0
#pragma once
// Every log line a remote peer can cause goes through here: one LogLimiter per kind of event, so
// that 1,000 attacking connections write a handful of lines and a summary per interval, not
// 1,000 lines. Counters are kept by the callers, exactly, whatever is logged.

#include "core/logging.hpp"
#include "runtime/log_limiter.hpp"

#include <compactor/clock.hpp>

#include <array>
#include <mutex>
#include <string>
#include <string_view>

namespace compactor::runtime {

// What a peer did that is worth a line.
enum class PeerEvent : std::size_t {
  tls_refused,          // a TLS handshake failed or did not finish in time
  tls_failed,           // an established TLS session failed
  request_rejected,     // 400, 413, 503 (bad bytes, too large, over the body budget)
  request_timed_out,    // 408 (slowloris)
  sender_mismatch,      // Libprocess-From's IP is not the connection's (peer address IP match)
  write_stalled,        // an answer or message made no write progress for write_timeout
  write_too_slow,       // answers drained slower than min_answer_rate
  answers_over_budget,  // a connection held answers past max_buffered_answer_bytes, stuck
  connection_lost,      // an outbound connection failed with messages in it
  connection_refused,   // an inbound connection over max_inbound_connections
  accept_failed,        // accept() failed (out of descriptors)
  unknown_receiver,     // a message for no process here
  mailbox_overflow,     // a local send to a full mailbox was dropped (drop_newest)
  malformed_body,       // a message whose body did not parse
  unhandled_message,    // a message no handler takes
  late_reply,           // a reply to an ask that ended (timed out)
  ask_refused,          // an ask over max_asks_in_flight (peers that do not answer)
  io_thread_stall,      // handlers run on an I/O thread (run_on_io_thread) took too long
  count_
};
inline constexpr const char* kPeerEventNames[] = {"TLS handshakes refused",
                                                  "TLS sessions failed",
                                                  "requests rejected",
                                                  "408 request timeout",
                                                  "senders not matching",
                                                  "stalled writes",
                                                  "writes slower than min_answer_rate",
                                                  "answers over max_buffered_answer_bytes",
                                                  "connections lost",
                                                  "connections over max_inbound_connections",
                                                  "accept failures",
                                                  "messages for unknown processes",
                                                  "messages dropped for a full mailbox",
                                                  "malformed messages",
                                                  "unhandled messages",
                                                  "late replies",
                                                  "asks over max_asks_in_flight",
                                                  "handlers that held an I/O thread"};
static_assert(std::size(kPeerEventNames) == static_cast<std::size_t>(PeerEvent::count_));

// @note Thread-safe.
class PeerLog {
 public:
  // Summaries are written when `clock` says an interval ended.
  explicit PeerLog(Clock& clock, std::size_t burst = 5,
                   Clock::duration interval = std::chrono::seconds(10));
  // Writes the summaries still pending.
  ~PeerLog();
  PeerLog(const PeerLog&) = delete;
  PeerLog& operator=(const PeerLog&) = delete;

  // Named in the summary lines (a context's address).
  void set_place(std::string place);

  // A warning about `peer` (an IP, or ip:port), written if the limiter of `event` lets it.
  template <class... Args>
  void warn(PeerEvent event, std::string_view peer, fmt::format_string<Args...> format,
            Args&&... args) {
    if (admit(event, peer)) core::log().warn(format, std::forward<Args>(args)...);
  }

  // Writes a summary of whatever is held back now, and cancels the summaries' timers.
  void flush();

 private:
  static constexpr std::size_t kEvents = static_cast<std::size_t>(PeerEvent::count_);

  bool admit(PeerEvent event, std::string_view peer);
  void summarize(std::size_t event);
  void write(std::size_t event, const LogLimiter::Summary& summary);

  Clock& clock_;
  std::mutex mutex_;  // guards what follows; nothing is logged nor waited for under it
  std::string place_;
  std::array<LogLimiter, kEvents> limiters_;
  std::array<Clock::TimerId, kEvents> timers_{};
};

}  // namespace compactor::runtime
