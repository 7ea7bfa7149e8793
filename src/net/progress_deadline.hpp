#pragma once
// A deadline that moves with progress (a write that goes on), on one asio timer armed at most
// once per timeout rather than once per operation: when the timer fires it looks at the time of
// the last progress and, if there was some, waits for the rest.

#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <system_error>

namespace compactor::net {

// @note Used on the I/O thread only.
class ProgressDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ProgressDeadline(asio::io_context& io) : timer_(io) {}

  // Progress now: the deadline is a timeout from here.
  void progress() { last_progress_ = Clock::now(); }

  // Unless it watches already: calls `expired(owner, timeout)` once `timeout` passes without
  // progress while `waiting(owner)` holds; a zero timeout never expires. The timer keeps `owner`
  // (which holds this deadline) alive; `waiting` and `expired` capture nothing, so a call that
  // finds the timer armed costs nothing.
  template <class Owner, class Waiting, class Expired>
  void watch(std::chrono::milliseconds timeout, Owner& owner, Waiting waiting, Expired expired) {
    if (timeout.count() == 0 || armed_) return;
    armed_ = true;
    timer_.expires_at(last_progress_ + timeout);
    timer_.async_wait([this, timeout, owner = owner.shared_from_this(), waiting,
                       expired](const std::error_code& error) {
      armed_ = false;
      if (error || !waiting(*owner)) return;
      if (Clock::now() - last_progress_ < timeout) {
        watch(timeout, *owner, waiting, expired);
      } else {
        expired(*owner, timeout);
      }
    });
  }

  void cancel() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  bool armed_ = false;
  Clock::time_point last_progress_;
};

}  // namespace compactor::net
