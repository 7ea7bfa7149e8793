// SPDX-License-Identifier: Apache-2.0
#pragma once
// Hash maps keyed by std::string and found by std::string_view without building a std::string
// (heterogeneous lookup): message names, process ids, node names.

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace compactor::detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

}  // namespace compactor::detail
