// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP header names compare ignoring ASCII case; the one lookup of a header in a list of them;
// the reading of a value that is a comma-separated list ("keep-alive, Upgrade").

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace compactor::util {

// True when `a` and `b` are equal ignoring ASCII case, as HTTP header names compare.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // the usual match: a name in the case it is looked up in
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    const auto lower = static_cast<unsigned char>(x | 0x20);  // only letters differ by 0x20
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
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

// Calls `visit(element)` for each element of the comma-separated `list`, trimmed.
template <class Visit>
void for_each_list_element(std::string_view list, Visit visit) {
  for (;;) {
    const auto comma = list.find(',');
    visit(trim_whitespace(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace compactor::util
