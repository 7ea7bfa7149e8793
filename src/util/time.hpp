// SPDX-License-Identifier: Apache-2.0
#pragma once
// The one time of the sans-I/O cores (the beacon, the name table, the connection lifecycles):
// the steady clock's time point, which is compactor::Clock's too. The cores never read a clock;
// their drivers pass the time in (a test passes any it likes, from Time{} on).

#include <chrono>

namespace compactor::util {

using Time = std::chrono::steady_clock::time_point;
using Duration = Time::duration;

// A deadline that never comes: nothing is due.
inline constexpr Time kNever = Time::max();

// Seconds as asyncactor's configuration and the wire give them (floats), as a Duration.
constexpr Duration seconds(double count) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(count));
}

// A Duration as seconds (for the wire, the events and the arithmetic of the beacon's slots).
constexpr double in_seconds(Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace compactor::util
