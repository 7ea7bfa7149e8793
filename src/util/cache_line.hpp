// SPDX-License-Identifier: Apache-2.0
#pragma once
// The unit of sharing between cores. A counter or lock written by one thread on every message
// must not share its line with one another thread writes just as often: each write would take
// the line from the other core ("false sharing"), a cache miss per message on both.

#include <cstddef>

namespace compactor::util {

// std::hardware_destructive_interference_size is what this is, but GCC warns that its value may
// change between compiler versions (an ABI hazard in a header); 64 bytes is every x86-64 and
// most ARM64 cores.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace compactor::util
