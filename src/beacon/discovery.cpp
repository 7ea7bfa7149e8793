#include <compactor/beacon/discovery.hpp>

#include "pid_text.hpp"

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

}  // namespace compactor::beacon
