// SPDX-License-Identifier: Apache-2.0
#pragma once
// The life of a connection we open, without the socket: what happens when it connects, when a
// message is queued, when bytes are written, when time passes. The asio driver
// (net::OutboundConnection) moves the bytes and arms one timer for next_deadline().

#include "connection/record_sealer.hpp"
#include "core/connection_stats.hpp"
#include "util/time.hpp"
#include "wire/message_encoder.hpp"

#include <compactor/pid.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace compactor::connection {

using util::kNever;
using util::Time;

// The rules an outbound connection lives by (ContextOptions; zero durations mean "none").
struct OutboundRules {
  std::size_t high_water_bytes = 0;               // senders held beyond it; 0: no mark
  std::chrono::milliseconds connect_timeout{0};   // TCP and TLS established within it
  std::chrono::milliseconds write_timeout{0};     // a write making no progress this long fails
  std::chrono::milliseconds idle_timeout{0};      // 0: close as soon as everything is written
  std::chrono::milliseconds shutdown_timeout{0};  // for the peer's FIN once we sent ours
  bool tls = false;
  bool support_downgrade = false;  // a refused handshake connects again in plaintext
};

// Connecting -> open -> closing -> closed, or closed from anywhere on a failure. Not started
// until its predecessor to the same address has closed (the ordering rule: a message sent on a
// new connection must not overtake those still on the old one). Temporary unless a link holds
// it: then closed gracefully once idle (we shut down writing, the peer answers with its FIN once
// it has read everything) so that the peer never sees a reset with our requests unread.
//
// @note Not thread-safe: the driver calls it under its lock (senders queue from any thread).
class OutboundLifecycle {
 public:
  enum class State { connecting, open, closing, closed };

  OutboundLifecycle(const OutboundRules& rules, Time now);

  State state() const { return state_; }
  const char* state_name() const;

  // --- Connecting
  // Connecting begins now: the connect deadline runs from here.
  void start(Time now);
  // The TCP connection is up: shake hands (TLS) or open.
  bool wants_handshake() const { return !plaintext_; }
  enum class Refusal { connect_plaintext, fail, ignore };
  // The TLS handshake failed: connect again in plaintext (support_downgrade), or fail; ignore
  // if the connection failed meanwhile.
  Refusal handshake_refused();
  enum class Opened {
    ignore,  // no longer connecting (it failed meanwhile)
    write,   // messages were queued: a write owns the connection from now on
    idle,
    close,  // asked to close meanwhile, with nothing queued
  };
  // Established, in plaintext or TLS with `sealer`.
  Opened established(std::string security, RecordSealer* sealer);
  bool is_established() const { return security_.has_value(); }
  const std::optional<std::string>& security() const { return security_; }

  // --- Sending
  enum class Queued {
    refused,   // closing or closed: open a new connection
    later,     // written by a write under way, a flush promised, or once connected
    writable,  // nothing is being written: flush (now, or at the end of the sender's batch)
  };
  Queued enqueue(const wire::OutgoingMessage& message, Time now);
  // Over the high-water mark: senders are held until the queue is taken for writing.
  bool congested() const;
  bool closing_or_closed() const { return state_ == State::closing || state_ == State::closed; }
  std::size_t queued_bytes() const { return pending_.size() + sealed_.size(); }
  // A sender was held, or made to wait, by congested().
  void count_held_sender() { ++senders_held_; }

  // A sending worker flushes at the end of its batch (one system call for its messages).
  void promise_flush() { flush_promised_ = true; }
  // The batch ended: true if what is queued is to be written now.
  bool flush();

  // The sender's thread may write to the socket itself (saving a hop to the I/O thread), unless
  // a zero idle timeout wants every write seen by the driver's I/O side.
  bool may_write_directly() const;
  // The bytes for a direct write (sealed with TLS, in the order sealed); none if sealing failed
  // (take_for_writing() then says fail).
  const std::string* bytes_for_direct_write();
  // `size` of them were written; true if all were, else the rest is for an asynchronous write.
  bool wrote_directly(std::size_t size);
  // An asynchronous write owns the connection from now on (until take_for_writing() ends it).
  void hand_to_writer() { write_in_flight_ = true; }

  // --- Asynchronous writes
  enum class Next {
    write,  // `bytes` are to be written
    idle,   // nothing queued (or not open): the write is over
    close,  // nothing queued and the connection is to close (asked to, or temporary with no
            // idle time)
    fail,   // the TLS session could not seal the queue: kSealingFailed
  };
  static constexpr const char* kSealingFailed = "TLS session failed while sealing records";
  // What the writer does next, all decided here: what to write, and when a deadline is next due
  // (the write's own, or the idle timeout once nothing is left).
  struct WriteStep {
    Next next = Next::idle;
    std::string_view bytes;  // for write: valid until wrote() says all of them went out
    Time deadline = kNever;
  };
  // Takes what is queued for writing; congestion, if any, is relieved.
  WriteStep take_for_writing(Time now);
  // `size` bytes of the write were written: what is left of it (empty once all of it went).
  std::string_view wrote(std::size_t size, Time now);

  // --- Links, closing, failing
  // Makes it persistent and remembers (linker, target); false if closing or closed.
  bool add_link(const PID& linker, const PID& target);
  // Write what is queued, then close (context shutdown): true if it may close now.
  bool request_close();
  // Open, idle and no link holds it: closing from now (a graceful close begins). Else false.
  bool begin_closing(Time now);
  // Start `successor` once this one is closed; false if it is closed already (start it now).
  bool start_successor_after_close();
  // Why reading ended means: empty for a graceful close (we were closing), else the failure.
  std::string read_ended(bool eof, const std::string& error) const;

  struct Ended {
    bool now = false;  // false: it had ended already
    std::size_t lost_messages = 0;
    std::vector<std::pair<PID, PID>> links;  // (linker, target): each is told exited
    bool start_successor = false;
  };
  Ended end();

  // --- Time
  // When something is next due (kNever: nothing is).
  Time next_deadline() const;
  struct Due {
    enum class What { nothing, fail, close, end } what = What::nothing;
    std::string reason;  // for fail
  };
  // What is due at `now`; the driver arms its timer again for next_deadline().
  Due on_deadline(Time now);

  core::ConnectionStats stats() const;

 private:
  bool nothing_queued() const { return pending_.empty() && sealed_.empty(); }
  bool idle() const { return !write_in_flight_ && nothing_queued(); }
  Next take_next(Time now);
  // False if sealing failed: the queue is lost with the connection.
  bool take_queued(std::string& out);

  const OutboundRules rules_;
  State state_ = State::connecting;
  bool started_ = false;
  bool plaintext_;
  RecordSealer* sealer_ = nullptr;
  std::optional<std::string> security_;
  Time connect_deadline_ = kNever;
  Time closing_since_ = kNever;
  Time last_enqueue_;
  Time last_write_progress_ = kNever;

  std::string pending_;  // encoded, not yet handed to a write
  std::string sealed_;   // TLS: records sealed from pending_ that a direct write left unsent
  std::size_t pending_messages_ = 0;
  std::string writing_;  // the asynchronous write under way
  std::size_t written_ = 0;
  std::size_t writing_messages_ = 0;
  bool write_in_flight_ = false;
  bool flush_promised_ = false;
  bool sealing_failed_ = false;
  bool persistent_ = false;
  bool close_requested_ = false;
  bool successor_waits_ = false;
  std::vector<std::pair<PID, PID>> links_;

  std::uint64_t messages_sent_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t senders_held_ = 0;
};

}  // namespace compactor::connection
