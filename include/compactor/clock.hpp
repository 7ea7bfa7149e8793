// SPDX-License-Identifier: Apache-2.0
#pragma once
// Time for everything that waits: the system's steady clock, or a manual one that tests move.

#include <compactor/export.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace compactor {

/// Schedules callbacks at points in time. Beacon slots, LocalBus delays and reconnect back-off all
/// go through a Clock, so a test on a ManualClock runs an hour of group life in a second, with
/// the same result every time.
///
/// @note Thread-safe. A callback must not block: the system clock runs all of them on one thread.
class COMPACTOR_API Clock {
 public:
  using duration = std::chrono::steady_clock::duration;      ///< The steady clock's.
  using time_point = std::chrono::steady_clock::time_point;  ///< The steady clock's.
  using Callback = std::function<void()>;                    ///< What a timer runs.
  /// Names one scheduled callback; never 0.
  using TimerId = std::uint64_t;

  virtual ~Clock() = default;

  /// The time now, on this clock.
  virtual time_point now() const = 0;

  /// Runs `callback` once, at or after `when`; callbacks due at the same time run in the order
  /// they were scheduled.
  virtual TimerId schedule(time_point when, Callback callback) = 0;
  /// Runs `callback` once, `delay` from now.
  TimerId schedule_after(duration delay, Callback callback) {
    return schedule(now() + delay, std::move(callback));
  }

  /// True if the callback had not run and now never will. When cancel() returns, the callback is
  /// not running either (unless cancel() was called by the callback itself), so its owner may go.
  virtual bool cancel(TimerId id) = 0;

  /// The steady clock, with one thread for all callbacks, started on first use.
  static Clock& system();
};

/// A clock that stands still until advanced: like libprocess's Clock::pause/advance/settle, but
/// an object, so tests need no global state. Callbacks run on the thread that advances it.
class COMPACTOR_API ManualClock final : public Clock {
 public:
  /// Starts at an arbitrary, fixed point, far from the steady clock's epoch.
  ManualClock();
  ~ManualClock() override;

  time_point now() const override;  ///< Where it was advanced to.
  TimerId schedule(time_point when, Callback callback) override;
  bool cancel(TimerId id) override;

  /// Moves time forward by `by` (or to `until`), running every callback that falls due on the way,
  /// in time order, with now() at each one's due time; returns how many ran.
  ///@{
  std::size_t advance(duration by);
  std::size_t advance_to(time_point until);
  ///@}

  /// Runs the callbacks due now, including those they schedule for now, until none is left.
  std::size_t settle();

  /// When the next callback is due, if any.
  std::optional<time_point> next_due() const;

  class COMPACTOR_NO_EXPORT Queue;

 private:
  std::unique_ptr<Queue> queue_;
};

}  // namespace compactor
