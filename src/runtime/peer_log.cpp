// SPDX-License-Identifier: Apache-2.0
#include "runtime/peer_log.hpp"

#include <utility>

namespace compactor::runtime {

PeerLog::PeerLog(Clock& clock, std::size_t burst, Clock::duration interval) : clock_(clock) {
  limiters_.fill(LogLimiter(burst, interval));
}

PeerLog::~PeerLog() { flush(); }

void PeerLog::set_place(std::string place) {
  std::lock_guard lock(mutex_);
  place_ = std::move(place);
}

bool PeerLog::admit(PeerEvent event, std::string_view peer) {
  const auto index = static_cast<std::size_t>(event);
  std::optional<Clock::time_point> due;
  bool logged = false;
  {
    std::lock_guard lock(mutex_);
    logged = limiters_[index].admit(peer, clock_.now(), &due);
  }
  if (due) {
    const auto id = clock_.schedule(*due, [this, index] { summarize(index); });
    std::lock_guard lock(mutex_);
    timers_[index] = id;
  }
  return logged;
}

void PeerLog::summarize(std::size_t event) {
  std::optional<LogLimiter::Summary> summary;
  {
    std::lock_guard lock(mutex_);
    summary = limiters_[event].summary(clock_.now());
    timers_[event] = 0;
  }
  if (summary) write(event, *summary);
}

void PeerLog::write(std::size_t event, const LogLimiter::Summary& summary) {
  std::string place;
  {
    std::lock_guard lock(mutex_);
    place = place_;
  }
  core::log().warn("{}{}{}: {}", kPeerEventNames[event], place.empty() ? "" : " on ", place,
                   describe(summary));
}

void PeerLog::flush() {
  std::array<Clock::TimerId, kEvents> timers;
  {
    std::lock_guard lock(mutex_);
    timers = std::exchange(timers_, {});
  }
  // Cancelled outside the lock: cancel() waits for a summary being written, which takes it.
  for (const auto id : timers) {
    if (id != 0) clock_.cancel(id);
  }
  for (std::size_t event = 0; event < kEvents; ++event) {
    std::optional<LogLimiter::Summary> summary;
    {
      std::lock_guard lock(mutex_);
      summary = limiters_[event].flush(clock_.now());
    }
    if (summary) write(event, *summary);
  }
}

}  // namespace compactor::runtime
