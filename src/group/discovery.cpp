// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/member.hpp>

#include "core/pid_text.hpp"

namespace compactor::beacon {

Value pid_value(std::int64_t priority, const PID& pid) {
  return Value(Value::Array{Value(priority), Value(pid.to_string())});
}

std::optional<PID> pid_in(const Value& value) {
  const auto* array = std::get_if<Value::Array>(&value.storage());
  if (array == nullptr || array->size() < 2) return std::nullopt;
  const auto* text = std::get_if<std::string>(&(*array)[1].storage());
  if (text == nullptr) return std::nullopt;
  return detail::parse_literal_pid(*text);
}

std::optional<PID> holder_pid(const Member& member) {
  const auto holder = member.holder();
  if (!holder) return std::nullopt;
  return pid_in(member.value_of(*holder));
}

std::vector<PID> live_pids(const Member& member) {
  std::vector<PID> pids;
  if (auto own = pid_in(member.value())) pids.push_back(std::move(*own));
  for (const auto& info : member.members()) {
    if (info.gone) continue;
    if (auto pid = pid_in(info.value)) pids.push_back(std::move(*pid));
  }
  return pids;
}

}  // namespace compactor::beacon
