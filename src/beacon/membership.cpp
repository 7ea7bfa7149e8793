// SPDX-License-Identifier: Apache-2.0
#include "beacon/membership.hpp"

#include <algorithm>

namespace compactor::beacon {

void Membership::heard(Time now, std::string_view node, const Value* value,
                       std::vector<Event>& events) {
  auto it = nodes_.find(node);
  const bool added = it == nodes_.end();
  if (added) it = nodes_.emplace(std::string(node), Heard{}).first;
  auto& heard = it->second;
  const bool returned = heard.gone;
  heard.at = now;
  heard.gone = false;
  if (value != nullptr) heard.value = *value;
  if (silence_ <= util::Duration::zero()) return;  // a view without events
  if (added || returned) events.push_back(JoinEvent{std::string(node)});
  next_check_ = std::min(next_check_, now + silence_);
}

void Membership::check(Time now, std::vector<Event>& events) {
  if (now < next_check_) return;
  next_check_ = util::kNever;
  for (auto& [node, heard] : nodes_) {
    if (heard.gone) continue;
    const Time due = heard.at + silence_;
    if (due <= now) {
      heard.gone = true;
      events.push_back(GoneEvent{node, util::in_seconds(now - heard.at)});
    } else {
      next_check_ = std::min(next_check_, due);
    }
  }
}

std::vector<MemberInfo> Membership::members(Time now) const {
  std::vector<MemberInfo> members;
  members.reserve(nodes_.size());
  for (const auto& [node, heard] : nodes_) {
    members.push_back({node, heard.value, util::in_seconds(now - heard.at), heard.gone});
  }
  std::sort(members.begin(), members.end(),
            [](const MemberInfo& a, const MemberInfo& b) { return a.name < b.name; });
  return members;
}

}  // namespace compactor::beacon
