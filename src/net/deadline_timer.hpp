// SPDX-License-Identifier: Apache-2.0
#pragma once
// One asio timer for a sans-I/O lifecycle's next deadline (src/connection/).

#include "util/time.hpp"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <system_error>
#include <utility>

namespace compactor::net {

// Armed again only when a deadline comes sooner than the one armed: progress that pushes a
// deadline later costs nothing, and when the timer fires the lifecycle looks at the time, says
// what is due and when to look next. So a connection has one timer, not one per write or read.
//
// @note I/O thread only.
class DeadlineTimer {
 public:
  explicit DeadlineTimer(asio::io_context& io) : timer_(io) {}

  // True if `due` comes before the deadline armed (arm() it then).
  bool sooner(util::Time due) const { return due < armed_for_; }

  // Calls `on_due` (which must keep the timer's owner alive) at `due`, instead of at the
  // deadline armed.
  template <typename OnDue>
  void arm(util::Time due, OnDue on_due) {
    armed_for_ = due;
    timer_.expires_at(due);
    timer_.async_wait([this, on_due = std::move(on_due)](const std::error_code& error) mutable {
      if (error) return;  // cancelled: armed again sooner, or closed
      armed_for_ = util::kNever;
      on_due();
    });
  }

  void cancel() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  util::Time armed_for_ = util::kNever;
};

}  // namespace compactor::net
