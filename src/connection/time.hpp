// SPDX-License-Identifier: Apache-2.0
#pragma once
// The time the connection lifecycles are told (they never read a clock themselves).

#include <chrono>

namespace compactor::connection {

using Time = std::chrono::steady_clock::time_point;
// A deadline that never comes: nothing is due.
inline constexpr Time kNever = Time::max();

}  // namespace compactor::connection
