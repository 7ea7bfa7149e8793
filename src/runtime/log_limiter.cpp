// SPDX-License-Identifier: Apache-2.0
#include "runtime/log_limiter.hpp"

#include <fmt/core.h>

namespace compactor::runtime {

void LogLimiter::start_interval(Time now, std::size_t lines_already) {
  open_ = true;
  interval_start_ = now;
  lines_ = lines_already;
  held_ = 0;
  peers_.clear();
  more_peers_ = false;
}

bool LogLimiter::admit(std::string_view peer, Time now, std::optional<Time>* summary_due) {
  // An interval that ended with nothing held back was quiet: the next event gets a full burst.
  if (!open_ || (now >= interval_start_ + interval_ && held_ == 0)) start_interval(now, 0);
  if (lines_ < burst_) {
    ++lines_;
    return true;
  }
  if (held_++ == 0 && summary_due != nullptr) *summary_due = interval_start_ + interval_;
  if (!peers_.contains(peer)) {
    if (peers_.size() < kMaxPeers) {
      peers_.emplace(peer);
    } else {
      more_peers_ = true;
    }
  }
  return false;
}

std::optional<LogLimiter::Summary> LogLimiter::summary(Time now) {
  if (!open_ || held_ == 0 || now < interval_start_ + interval_) return std::nullopt;
  Summary summary{held_, peers_.size(), more_peers_, interval_};
  // The events go on: the next interval starts with its burst spent, so a flood that lasts
  // writes one line per interval.
  start_interval(interval_start_ + interval_, burst_);
  return summary;
}

std::optional<LogLimiter::Summary> LogLimiter::flush(Time now) {
  if (!open_ || held_ == 0) return std::nullopt;
  Summary summary{held_, peers_.size(), more_peers_,
                  std::chrono::duration_cast<Duration>(now - interval_start_)};
  open_ = false;
  held_ = 0;
  peers_.clear();
  return summary;
}

std::string describe(const LogLimiter::Summary& summary) {
  const double seconds = std::chrono::duration<double>(summary.interval).count();
  return fmt::format("{} more from {}{} peer{} in the last {:g} s", summary.events, summary.peers,
                     summary.more_peers ? "+" : "", summary.peers == 1 ? "" : "s", seconds);
}

}  // namespace compactor::runtime
