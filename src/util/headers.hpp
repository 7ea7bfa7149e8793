// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP header names compare ignoring ASCII case; the one lookup of a header in a list of them;
// the reading of a value that is a comma-separated list ("keep-alive, Upgrade").

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

// `text` without the spaces and tabs around it (HTTP's optional whitespace).
inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls `visit(element)` for each element of the comma-separated `list`, trimmed, until it
// returns true; true if one did.
template <class Visit>
bool any_list_element(std::string_view list, Visit visit) {
  for (;;) {
    const auto comma = list.find(',');
    if (visit(trim_whitespace(list.substr(0, comma)))) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

// True when the comma-separated `list` holds `token` (any case): Connection's "close".
inline bool has_token(std::string_view list, std::string_view token) {
  return any_list_element(list, [&](std::string_view element) { return iequals(element, token); });
}

}  // namespace compactor::util
