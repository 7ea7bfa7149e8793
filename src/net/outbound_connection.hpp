// SPDX-License-Identifier: Apache-2.0
#pragma once
// A connection we opened to a remote context: messages out, answers read and discarded.

#include "net/tls_session.hpp"
#include "runtime/congestion.hpp"
#include "runtime/deferred_flush.hpp"
#include "runtime/transport.hpp"
#include "wire/message_encoder.hpp"

#include <compactor/pid.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace compactor::net {

class Network;

// Shared by all processes of a context that talk to one remote address. Persistent once a link
// holds it; otherwise it closes gracefully (shut down writing, read to EOF) once idle, so that
// the peer never sees a reset with our requests unread. When it fails (refused, reset, closed by
// the peer, no write progress for write_timeout, a dead peer found by keep-alive) every linker is
// told exited and any message still queued is counted and logged. With TLS it shakes hands
// after connecting (within dead_peer_timeout of the start, as the connect); when that fails and
// support_downgrade is on, it connects again in plaintext, as libprocess.
//
// The socket is shared by the I/O thread and the workers' direct writes: a worker writes only
// under mutex_ while the state is open and no asynchronous write owns the socket, and the I/O
// thread closes the socket only under mutex_, so a direct write never reaches a closed (and
// perhaps reused) descriptor.
//
// @note enqueue() and add_link() are called from any thread. When nothing is being written, the
// sending thread writes straight to the socket (saving a hop to the I/O thread), and a worker does
// so once per batch of its process's handlers (one system call for many messages); everything
// else runs on the I/O thread.
class OutboundConnection final : public std::enable_shared_from_this<OutboundConnection>,
                                 public runtime::DeferredFlush,
                                 public runtime::Congestion {
 public:
  OutboundConnection(Network& network, Address remote);

  const Address& remote() const { return remote_; }

  // Starts connecting (I/O thread work is posted).
  void start();

  // Starts `successor` (a new connection to the same address) once this one is closed; false if
  // it is closed already (start it now). Called with the network's lock held.
  bool start_after_close(std::shared_ptr<OutboundConnection> successor);

  // Queues a message; false if this connection is closing or closed (open a new one). Over
  // peer_high_water_bytes, holds the sending process, or makes a thread that is not a process
  // wait (std::runtime_error after send_timeout); the I/O thread never waits.
  bool enqueue(std::string_view from_text, std::string_view receiver, std::string_view name,
               std::string_view body);

  // The queue is over its high-water mark until the I/O thread takes it for writing
  // (runtime::Congestion).
  void when_relieved(std::function<void()> relieved) override;

  // Makes the connection persistent and remembers (linker, target); false if closing or closed.
  bool add_link(const PID& linker, const PID& target);

  // Writes what the current batch queued (runtime::DeferredFlush).
  void flush() override;

  // Marks the connection closing if it is open and idle (nothing queued or being written) and no
  // link holds it. Called by Network::begin_closing with the network's lock held.
  bool mark_closing();

  // "TLSv1.2 AES128-SHA", "plaintext", or nothing until connected.
  std::optional<std::string> security() const;

  // Writes what is queued, then closes gracefully (context shutdown).
  void close_when_flushed();
  // For operators; any thread.
  runtime::ConnectionStats stats() const;

 private:
  enum class State { connecting, open, closing, closed };

  void connect();
  void on_connected(const std::error_code& error);
  void on_handshake(const std::optional<std::string>& refused);
  void on_established();
  void write_pending();  // I/O thread: writes pending_
  void write_now();      // under mutex_: writes pending_ directly, or hands it to the I/O thread
  void write_some();     // I/O thread: the next part of writing_, under the progress deadline
  void watch_write_progress();  // I/O thread: arms write_timer_ unless it is armed
  void on_written(const std::error_code& error);
  void read();
  void on_read(const std::error_code& error, std::size_t size);
  void arm_idle_timer();
  void begin_close();  // I/O thread
  void fail(const std::string& reason);
  bool congested() const;       // under mutex_
  bool nothing_queued() const;  // under mutex_
  // Under mutex_: what is queued, as bytes for the wire (sealed with TLS), appended to `out`.
  void take_queued(std::string& out);
  // Under mutex_ (released inside): the congestion is over; wakes waiters and held processes.
  void relieve(std::unique_lock<std::mutex>& lock);
  bool try_write_directly();  // under mutex_

  Network& network_;
  const Address remote_;
  const std::string host_text_;
  asio::ip::tcp::socket socket_;
  bool plaintext_ = true;  // no TLS, or downgraded after a failed handshake
  // With TLS: the session, made for the handshake (then sealing under mutex_).
  std::unique_ptr<TlsSession> tls_;
  asio::steady_timer timer_;        // idle close, then the graceful-close deadline
  asio::steady_timer write_timer_;  // fails the connection when a write makes no progress
  bool write_timer_armed_ = false;  // on the I/O thread
  std::chrono::steady_clock::time_point last_write_progress_;  // on the I/O thread

  mutable std::mutex mutex_;
  State state_ = State::connecting;
  std::optional<std::string> security_;  // once open
  std::string pending_;                  // encoded, not yet handed to a write
  std::string sealed_;  // TLS: records sealed from pending_ that a direct write left unsent
  std::size_t pending_messages_ = 0;
  std::uint64_t messages_sent_ = 0;  // queued on it in all
  std::uint64_t senders_held_ = 0;   // processes held and threads made to wait for it
  std::atomic<std::uint64_t> bytes_written_{0};
  bool write_in_flight_ = false;  // an async write (or its scheduling) owns the socket
  bool flush_deferred_ = false;   // a worker flushes at the end of its batch
  bool persistent_ = false;
  bool close_requested_ = false;
  std::chrono::steady_clock::time_point last_enqueue_;
  std::vector<std::pair<PID, PID>> links_;         // (linker, target)
  std::shared_ptr<OutboundConnection> successor_;  // started when this one is closed
  std::condition_variable relieved_;               // threads waiting in enqueue()
  std::vector<std::function<void()>> held_;        // processes held by this connection

  // I/O thread only.
  std::string writing_;
  std::size_t written_ = 0;  // of writing_
  std::size_t writing_messages_ = 0;
  std::array<char, 16 * 1024> discard_buffer_;
  std::string discarded_;  // TLS: answers opened, then dropped
};

}  // namespace compactor::net
