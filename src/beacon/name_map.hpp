#pragma once
// Hash maps keyed by node name, found by std::string_view without building a std::string.

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace compactor::beacon {

struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name);
  }
};

template <class T>
using NameMap = std::unordered_map<std::string, T, NameHash, std::equal_to<>>;

}  // namespace compactor::beacon
