// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP header names compare ignoring ASCII case; the one lookup of a header in a list of them.

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace compactor::util {

// True when `a` and `b` are equal ignoring ASCII case, as HTTP header names compare.
inline bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// The value of the first header named `name` (any case) in `headers`, a list of (name, value)
// pairs or of {name, value} fields; nullopt when there is none (an empty value is a value).
template <class Headers>
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    const auto& [key, value] = header;
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace compactor::util
