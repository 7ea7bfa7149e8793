// SPDX-License-Identifier: Apache-2.0
#pragma once
// The life of a connection a peer opened to us, without the socket: requests decoded from the
// bytes read, answers kept in request order, reading paused and resumed (flow control), and
// the deadlines of the handshake, of each request and of each write. The asio driver
// (net::InboundConnection) moves the bytes and delivers the requests the decoder finds.

#include "connection/record_sealer.hpp"
#include "connection/time.hpp"
#include "wire/request_decoder.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace compactor::connection {

struct InboundRules {
  std::size_t max_body_size = 0;
  std::chrono::milliseconds request_timeout{0};  // handshake, then each request; 0: none
  std::chrono::milliseconds write_timeout{0};    // a write making no progress this long fails
  // Answers the peer has not taken (queued, being written) beyond which reading pauses: a peer
  // that pipelines without reading, or a slow route, must not make them grow.
  std::size_t answer_backlog_bytes = 1 << 20;
  std::size_t awaited_answers = 1024;  // answers still awaited from routes, at most
};

// Reading -> (paused <-> reading) -> reading done -> (everything answered) finished; closed
// on a failure from anywhere. Every request decoded completely is handed to the sink, even if
// the peer resets the connection right after. Bytes that are not HTTP (400), a body over
// max_body_size (413) or over the body budget (503), and a request not whole within
// request_timeout of its first byte (408) are answered and end reading.
//
// @note Not thread-safe: one thread (the I/O thread) drives it.
class InboundLifecycle final : private wire::RequestSink {
 public:
  InboundLifecycle(const InboundRules& rules, wire::RequestSink& sink,
                   wire::BodyBudget* budget = nullptr);

  // --- TLS handshake: no request is read until it is done, within request_timeout.
  void begin_handshake(Time now);
  void handshake_done(RecordSealer* sealer);
  bool handshaking() const { return handshaking_; }

  // --- Reading
  // The sink's delivery put a mailbox over its high-water mark: reading pauses after this read.
  void mailbox_congested() { mailbox_congested_ = true; }
  enum class AfterRead {
    read,               // read on
    pause_for_mailbox,  // until the congested mailbox is taken (resume_for_mailbox())
    pause_for_answers,  // until the peer took its answers (next_write() resumes)
    stop,               // reading is done: answer what there is, then finish
  };
  // Decodes what a read brought (plaintext), the sink getting each whole request.
  AfterRead received(std::string_view bytes, Time now);
  // After a rejection (stop with a 400, 413 or 503 queued, or a 408 on_deadline()): the status
  // and why, for the log.
  struct Rejection {
    int status = 0;
    std::string detail;
  };
  const Rejection& rejection() const { return rejection_; }
  // No more bytes will be read (EOF, the peer's close_notify).
  void reading_ended() { reading_done_ = true; }
  bool reading_done() const { return reading_done_; }
  bool reads_paused() const { return paused_for_mailbox_ || paused_for_answers_; }
  // The congested mailbox was taken: true if reading resumes.
  bool resume_for_mailbox(Time now);

  // --- Answers, in request order
  // Where the next answer goes (behind any answer still awaited).
  std::string& answer_buffer();
  // An answer that comes later (a route): its place is kept.
  std::uint64_t await_answer();
  void answer_arrived(std::uint64_t slot, std::string bytes);
  bool all_answered() const { return answers_.empty() && awaited_.empty(); }

  // --- Writing
  struct Step {
    bool resume_reading = false;  // the backlog of answers went down: read again
    // finish: all answered, close; fail: the TLS session could not seal the answers, close
    enum class What { wait, write, finish, fail } what = What::wait;
  };
  // What follows now that no write is under way.
  Step next_write(Time now);
  std::string_view unwritten() const;
  void wrote(std::size_t size, Time now);
  bool writing() const { return write_in_flight_; }
  std::size_t unsent_bytes() const { return writing_.size() - written_ + answers_.size(); }

  // --- Time
  Time next_deadline() const;
  enum class Due {
    nothing,
    handshake_timeout,  // close
    request_timeout,    // a 408 is queued and reading is done: write, then finish
    write_timeout,      // close
  };
  Due on_deadline(Time now);

 private:
  bool on_request(wire::Request& request) override;
  bool answers_backlogged() const;
  // Starts timing the request under way (from the read that began it), or stops timing.
  void time_request(Time now);

  const InboundRules rules_;
  wire::RequestSink& sink_;
  wire::RequestDecoder decoder_;
  std::uint64_t requests_ = 0;  // decoded in all
  RecordSealer* sealer_ = nullptr;
  bool handshaking_ = false;
  Time handshake_deadline_ = kNever;
  bool mailbox_congested_ = false;
  bool paused_for_mailbox_ = false;
  bool paused_for_answers_ = false;
  bool reading_done_ = false;
  Rejection rejection_;
  // When the request under way began (kNever: between requests, or reading paused by us), and
  // how many requests had been decoded then.
  Time request_since_ = kNever;
  std::uint64_t requests_at_since_ = 0;

  std::string answers_;  // ready, not being written yet
  struct Slot {
    std::uint64_t id;
    bool ready;
    std::string bytes;
  };
  std::deque<Slot> awaited_;  // from the first answer still awaited
  std::uint64_t next_slot_ = 0;
  std::string writing_;
  std::size_t written_ = 0;
  bool write_in_flight_ = false;
  Time last_write_progress_ = kNever;
};

}  // namespace compactor::connection
