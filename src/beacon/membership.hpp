// SPDX-License-Identifier: Apache-2.0
#pragma once
// Who a member has heard from and when: asyncactor keeps no such view; compactor adds it so that
// applications learn when a member falls silent. Sans-I/O, like BeaconState, which owns one.

#include "beacon/name_map.hpp"
#include "util/time.hpp"

#include <compactor/beacon/events.hpp>
#include <compactor/beacon/member_info.hpp>

#include <string>
#include <vector>

namespace compactor::beacon {

class Membership {
 public:
  using Time = util::Time;

  // Reports a node gone after `silence` without a message from it; zero or less: never, and no
  // JoinEvent either.
  explicit Membership(util::Duration silence) : silence_(silence) {}

  // `node` spoke (an `init`, or a `ping` with its `value`) at `now`; a JoinEvent if it is new or
  // was gone.
  void heard(Time now, std::string_view node, const Value* value, std::vector<Event>& events);

  // Reports the nodes silent for too long (GoneEvent each); call at next_check() or later.
  void check(Time now, std::vector<Event>& events);
  Time next_check() const { return next_check_; }

  std::vector<MemberInfo> members(Time now) const;

  // How many nodes not reported gone satisfy `predicate(name)`.
  template <class Predicate>
  std::size_t count_live(Predicate predicate) const {
    std::size_t count = 0;
    for (const auto& [node, heard] : nodes_) count += !heard.gone && predicate(node);
    return count;
  }

 private:
  struct Heard {
    Time at{};
    bool gone = false;
    Value value;  // from its last ping
  };

  util::Duration silence_;
  NameMap<Heard> nodes_;
  // At or before the earliest time a node can be gone; a message only pushes that later, so
  // heard() never moves it and check() recomputes it.
  Time next_check_ = util::kNever;
};

}  // namespace compactor::beacon
