// SPDX-License-Identifier: Apache-2.0
#pragma once
// One entry of a member's view of its group: who it heard from, and how long ago.

#include <compactor/beacon/value.hpp>

#include <string>

namespace compactor::beacon {

/// What a member knows of another (Member::members()).
struct MemberInfo {
  std::string name;         ///< its name in the group
  Value value;              ///< the value of its last ping (nil: not ready, or none yet)
  double silent_for = 0;    ///< seconds since its last `init` or `ping`
  bool gone = false;        ///< silent for longer than the member's `gone_after_cycles`
  bool in_history = false;  ///< on this member's history, so it takes turns holding the tag
};

}  // namespace compactor::beacon
