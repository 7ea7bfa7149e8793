// SPDX-License-Identifier: Apache-2.0
#include "wire/percent_encoding.hpp"

namespace compactor::wire {
namespace {

bool needs_escape(unsigned char c, bool keep_slash) {
  if (c <= 0x20 || c >= 0x7f) return true;
  if (c == '/') return !keep_slash;
  return c == '%' || c == '?' || c == '#';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Runs of characters kept as they are are appended at once: ids and names rarely need escapes.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c, keep_slash)) continue;
    out.append(text, kept, i - kept);
    const char escape[] = {'%', kHex[c >> 4], kHex[c & 0xf]};
    out.append(escape, sizeof escape);
    kept = i + 1;
  }
  out.append(text, kept);
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return decoded;
}

}  // namespace compactor::wire
