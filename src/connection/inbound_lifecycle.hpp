// SPDX-License-Identifier: Apache-2.0
#pragma once
// The life of a connection a peer opened to us, without the socket: requests decoded from the
// bytes read, answers kept in request order, reading paused and resumed (flow control), and
// the deadlines of the handshake, of each request and of each write. The asio driver
// (net::InboundConnection) moves the bytes and delivers the requests this hands out.

#include "connection/record_sealer.hpp"
#include "util/time.hpp"
#include "wire/byte_budget.hpp"
#include "wire/request_decoder.hpp"
#include "wire/response_writer.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace compactor::connection {

using util::kNever;
using util::Time;

struct InboundRules {
  std::size_t max_body_size = 0;
  std::chrono::milliseconds handshake_timeout{0};  // the TLS handshake; 0: none
  std::chrono::milliseconds request_timeout{0};    // each request; 0: none
  std::chrono::milliseconds write_timeout{0};      // a write making no progress this long fails
  // Answers the peer has not taken (queued, being written) beyond which reading pauses: a peer
  // that pipelines without reading, or a slow route, must not make them grow.
  std::size_t answer_backlog_bytes = 1 << 20;
  std::size_t awaited_answers = 1024;  // answers still awaited from routes, at most
  // While a connection holds more than min_rate_floor bytes of answers, they must drain at
  // min_answer_rate bytes per second, averaged over write_timeout, or it is closed (a reader
  // that takes a few bytes now and then). 0: no minimum.
  std::size_t min_answer_rate = 0;
  std::size_t min_rate_floor = 64 * 1024;
  // While the context's answer budget is exceeded, a connection holding more than min_rate_floor
  // whose writes made no progress for this long is closed.
  std::chrono::milliseconds over_budget_grace{1000};
};

// Reading -> (paused <-> reading) -> reading done -> (everything answered) finished; closed
// on a failure from anywhere. Every request decoded completely is handed out, even if the peer
// resets the connection right after; a request that does not keep the connection alive is the
// last. Bytes that are not HTTP (400), a body over
// max_body_size (413) or over the body budget (503), and a request not whole within
// request_timeout of its first byte (408) are answered and end reading.
//
// @note Not thread-safe: one thread (the I/O thread) drives it.
class InboundLifecycle final {
 public:
  static constexpr std::size_t kMaxSlices = 64;  // buffers in one gathering write

  // `body_budget` bounds the request bodies being decoded, `answer_budget` the answers held, by
  // all the connections of a context together.
  explicit InboundLifecycle(const InboundRules& rules, wire::ByteBudget* body_budget = nullptr,
                            wire::ByteBudget* answer_budget = nullptr);
  ~InboundLifecycle();
  InboundLifecycle(const InboundLifecycle&) = delete;
  InboundLifecycle& operator=(const InboundLifecycle&) = delete;

  // --- TLS handshake: no request is read until it is done, within handshake_timeout.
  void begin_handshake(Time now);
  void handshake_done(RecordSealer* sealer);
  bool handshaking() const { return handshaking_; }

  // --- Reading: received(bytes), then next_request() until none, then read_done().
  // What a read brought (plaintext), to decode; the bytes must stay valid until read_done().
  void received(std::string_view bytes) { unread_ = bytes; }
  // The next request decoded from them, for the driver to deliver and answer (answer_buffer(),
  // await_answer()); none once they are used up or reading ended. Valid until the next call.
  wire::Request* next_request();
  // A delivery put a mailbox over its high-water mark: reading pauses after this read.
  void mailbox_congested() { mailbox_congested_ = true; }
  enum class AfterRead {
    read,               // read on
    pause_for_mailbox,  // until the congested mailbox is taken (resume_for_mailbox())
    pause_for_answers,  // until the peer took its answers (next_write() resumes)
    stop,               // reading is done: answer what there is, then finish
  };
  // Every request of the read was handed out: what now.
  AfterRead read_done(Time now);
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
  // Where the next small answer goes (behind any answer still awaited).
  std::string& answer_buffer();
  // An answer that comes later (a route): its place is kept.
  std::uint64_t await_answer();
  void answer_arrived(std::uint64_t slot, wire::Answer answer, Time now);
  bool all_answered() const { return ready_.empty() && awaited_.empty(); }

  // --- Writing
  struct Step {
    bool resume_reading = false;  // the backlog of answers went down: read again
    bool reads_paused = false;    // reads_paused() after this step
    // finish: all answered, close; fail: the TLS session could not seal the answers, close
    enum class What { wait, write, finish, fail } what = What::wait;
    // For write: unwritten(), the buffers of one gathering write.
    std::span<const std::string_view> slices;
  };
  // What follows now that no write is under way.
  Step next_write(Time now);
  // What to write, as buffers to write in one gathering write: the answers' heads and their
  // bodies where they are (plaintext), or sealed records (TLS).
  std::span<const std::string_view> unwritten() const { return {slices_.data(), slice_count_}; }
  std::size_t unwritten_size() const;
  void wrote(std::size_t size, Time now);
  bool writing() const { return write_in_flight_; }
  // Answers written but not yet taken by the reader wait in the socket's send queue, which the
  // kernel may let grow to megabytes: the minimum rate counts them too. When this is true, the
  // driver tells (socket_queued) how many bytes the socket still holds.
  bool wants_socket_queue() const;
  void socket_queued(std::size_t bytes, Time now);
  // Answer bytes the reader has not taken: held here (queued, awaited, being written; a shared
  // body counts for every connection that holds it) and in the socket's send queue, as last seen.
  std::size_t unsent_bytes() const { return held_ + socket_queued_; }

  // --- Time
  Time next_deadline() const;
  enum class Due {
    nothing,
    handshake_timeout,  // close
    request_timeout,    // a 408 is queued and reading is done: write, then finish
    write_timeout,      // close
    too_slow,           // answers drain slower than min_answer_rate: close
    over_budget,        // stuck while the answer budget is exceeded: close
  };
  Due on_deadline(Time now);

 private:
  // A run of answer bytes: owned (heads, small answers), or a body shared with other answers.
  struct Piece {
    std::string owned;
    std::shared_ptr<const std::string> shared;
    std::string_view bytes() const { return shared ? std::string_view(*shared) : owned; }
  };
  static constexpr std::size_t kSealSlice = 64 * 1024;  // plaintext sealed at a time (TLS)

  bool answers_backlogged() const;
  Step decide_write(Time now);  // next_write() but for what it reports of the state
  // Starts timing the request under way (from the read that began it), or stops timing.
  void time_request(Time now);
  // Where a ready answer goes, behind the others.
  std::string& ready_buffer();
  void queue(wire::Answer answer);
  // Recounts the bytes held, charges the change to the answer budget, and starts or stops
  // measuring the drain rate.
  void account(Time now);
  bool holds_much() const { return held_ + socket_queued_ > rules_.min_rate_floor; }
  // Bytes the reader took, as far as the last look at the socket's queue tells.
  std::uint64_t taken() const { return written_total_ - socket_queued_; }
  // Takes `size` written bytes off the front of the ready answers.
  void consume(std::size_t size);
  // Picks what the next write sends; false if nothing is ready. Sealing can fail (`failed`).
  bool gather(bool& failed);

  const InboundRules rules_;
  wire::RequestDecoder decoder_;
  std::string_view unread_;                              // of the last read, not yet decoded
  wire::DecodeStatus decoded_ = wire::DecodeStatus::ok;  // stopped: after a closing request
  wire::ByteBudget* answer_budget_;
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

  std::deque<Piece> ready_;      // answers in order, not yet written (or sealed, with TLS)
  std::size_t front_taken_ = 0;  // bytes of ready_.front() written (or sealed) already
  std::size_t in_write_ = 0;     // pieces of ready_ the write under way points into
  struct Slot {
    std::uint64_t id;
    bool ready;
    wire::Answer answer;
  };
  std::deque<Slot> awaited_;  // from the first answer still awaited
  std::uint64_t next_slot_ = 0;
  std::string sealed_;  // TLS records of answers, being written
  std::size_t sealed_written_ = 0;
  std::array<std::string_view, kMaxSlices> slices_{};
  std::size_t slice_count_ = 0;
  bool write_in_flight_ = false;
  Time last_write_progress_ = kNever;
  std::size_t held_ = 0;  // as charged to the answer budget
  std::uint64_t written_total_ = 0;
  std::size_t socket_queued_ = 0;      // at the last look
  std::uint64_t written_at_look_ = 0;  // written_total_ then
  // The drain rate is measured from rate_since_ (kNever: holding little), when taken() was
  // rate_taken_.
  Time rate_since_ = kNever;
  std::uint64_t rate_taken_ = 0;
  Time budget_check_ = kNever;  // when to look at the answer budget again (holding much)
};

}  // namespace compactor::connection
