// SPDX-License-Identifier: Apache-2.0
#pragma once
// A connection we opened to a remote context: messages out, answers read and discarded.

#include "connection/outbound_lifecycle.hpp"
#include "net/deadline_timer.hpp"
#include "net/tls_session.hpp"
#include "runtime/congestion.hpp"
#include "runtime/deferred_flush.hpp"
#include "runtime/transport.hpp"

#include <compactor/pid.hpp>

#include <asio/ip/tcp.hpp>

#include <array>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace compactor::net {

class Network;

// The asio driver of a connection::OutboundLifecycle, which has the rules (connecting, closing
// when idle, failing on a stuck write, holding senders over the high-water mark, the order of
// successive connections to one address). Shared by all processes of a context that talk to one
// remote address. When it fails (refused, reset, closed by the peer, no write progress for
// write_timeout, a dead peer found by keep-alive) every linker is told exited and any message
// still queued is counted and logged. With TLS it shakes hands after connecting; when that
// fails and support_downgrade is on, it connects again in plaintext, as libprocess.
//
// The socket is shared by the I/O thread and the workers' direct writes: a worker writes only
// under mutex_ while the connection is open and no asynchronous write owns the socket, and the
// I/O thread closes the socket only under mutex_, so a direct write never reaches a closed (and
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

  // Starts connecting (on the I/O thread).
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
  core::ConnectionStats stats() const;

 private:
  void connect();
  void on_connected(const std::error_code& error);
  void on_handshake(const std::optional<std::string>& refused);
  void on_established();
  void write_now();  // under mutex_: writes directly, or hands the queue to the I/O thread
  // I/O thread, owning the writes: takes the queue and writes it (under mutex_, released).
  void write_pending();
  void write_pending(std::unique_lock<std::mutex>& lock);
  void write(std::string_view bytes);  // I/O thread: an asynchronous write, then the rest
  void read();
  void on_read(const std::error_code& error, std::size_t size);
  void begin_close();  // I/O thread
  void fail(const std::string& reason);
  // Under mutex_ (released inside): the congestion is over; wakes waiters and held processes.
  void relieve(std::unique_lock<std::mutex>& lock);
  // I/O thread: the timer follows the lifecycle's next deadline.
  void watch_deadlines();
  void watch_deadlines(util::Time due);
  void on_deadline();

  Network& network_;
  const Address remote_;
  const std::string host_text_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsSession> tls_;  // with TLS: made for the handshake, then seals records
  DeadlineTimer timer_;

  mutable std::mutex mutex_;
  connection::OutboundLifecycle life_;             // guarded by mutex_
  std::shared_ptr<OutboundConnection> successor_;  // started when this one is closed
  std::condition_variable relieved_;               // threads waiting in enqueue()
  std::vector<std::function<void()>> held_;        // processes held by this connection

  // I/O thread only.
  std::array<char, 16 * 1024> discard_buffer_;
  std::string discarded_;  // TLS: answers opened, then dropped
};

}  // namespace compactor::net
