// SPDX-License-Identifier: Apache-2.0
#pragma once
// Service discovery through a beacon group: a member's value can carry its libprocess PID.

#include <compactor/beacon/value.hpp>
#include <compactor/export.hpp>
#include <compactor/pid.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace compactor::beacon {

/// The value `[priority, "id@ip:port"]`: Python peers compare it element by element (priority
/// first, then the PID text), so it stays usable in has_priority, unlike a map.
COMPACTOR_API Value pid_value(std::int64_t priority, const PID& pid);

/// The PID carried by a value made by pid_value (or any array whose second element is PID
/// text with an IP literal); nullopt otherwise. Never resolves host names.
COMPACTOR_API std::optional<PID> pid_in(const Value& value);

class Member;

/// The PID in the value of the tag holder `member` knows of (itself included), if it carries one.
COMPACTOR_API std::optional<PID> holder_pid(const Member& member);

/// The PIDs of every member heard from and not gone, and of `member` itself.
COMPACTOR_API std::vector<PID> live_pids(const Member& member);

}  // namespace compactor::beacon
