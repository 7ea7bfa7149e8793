// SPDX-License-Identifier: Apache-2.0
#pragma once
// A group member made visible on a context: its status page and its metrics.

#include <compactor/beacon/member.hpp>
#include <compactor/context.hpp>
#include <compactor/export.hpp>

#include <cstdint>
#include <memory>

namespace compactor::beacon {

/// While it lives, `member` is shown on `context`'s /__status__ page (channel and its state,
/// holder, members and how long each has been silent) and in its metrics, labelled by the
/// member's name: compactor/groups/NAME/members, /gone, /tagged, /holder_known, /channel_up,
/// /dropped_events. Destroy it before the member or the context.
class COMPACTOR_API Publication {
 public:
  /// Publishes `member` on `context` until destroyed.
  Publication(const Member& member, Context& context);
  ~Publication();
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;

 private:
  struct COMPACTOR_NO_EXPORT Shared;
  std::shared_ptr<Shared> shared_;  ///< also held by the readers the context may be running
  Context& context_;
  std::uint64_t id_;
};

}  // namespace compactor::beacon
