// SPDX-License-Identifier: Apache-2.0
#pragma once
// How many lines one kind of event may write: the first few at once, then one summary per
// interval while it goes on, so that a peer cannot fill a disk with log lines. Pure: the time is
// given, nothing is logged here (runtime::PeerLog drives it).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <compactor/detail/string_map.hpp>

namespace compactor::runtime {

class LogLimiter {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  // `burst` lines in full after a quiet interval; then, while the events go on, one summary at
  // the end of each `interval`.
  explicit LogLimiter(std::size_t burst = 5, Duration interval = std::chrono::seconds(10))
      : burst_(burst), interval_(interval) {}

  // What was held back in one interval.
  struct Summary {
    std::uint64_t events = 0;
    std::size_t peers = 0;  // distinct, counted up to kMaxPeers
    bool more_peers = false;
    Duration interval{};
  };
  // Distinct peers remembered per interval, at most (a bound on memory, not on the count).
  static constexpr std::size_t kMaxPeers = 1024;

  // Whether this event gets a line of its own; if not, it is counted for the summary, and
  // `summary_due` (if given) tells when that summary is due when this is the interval's first
  // held-back event (the caller arms a timer for then).
  bool admit(std::string_view peer, Time now, std::optional<Time>* summary_due = nullptr);

  // The summary of the interval that ended by `now`, if anything was held back in it.
  std::optional<Summary> summary(Time now);
  // The summary of what was held back so far, the interval cut short (shutdown).
  std::optional<Summary> flush(Time now);

 private:
  void start_interval(Time now, std::size_t lines_already);

  std::size_t burst_;
  Duration interval_;
  bool open_ = false;  // an interval is under way
  Time interval_start_{};
  std::size_t lines_ = 0;  // written in full in this interval
  std::uint64_t held_ = 0;
  // Found by string_view: a held-back event of a known peer allocates nothing.
  std::unordered_set<std::string, detail::StringHash, std::equal_to<>> peers_;
  bool more_peers_ = false;
};

// "993 more from 412 peers in the last 10 s"
std::string describe(const LogLimiter::Summary& summary);

}  // namespace compactor::runtime
