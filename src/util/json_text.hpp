// SPDX-License-Identifier: Apache-2.0
#pragma once
// JSON string literals, for the few JSON documents compactor writes (endpoints, tool output).

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

namespace compactor::util {

// `text` as a quoted JSON string; bytes >= 0x80 pass through (UTF-8 stays UTF-8).
inline std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// `value` as a JSON number: integers without a fraction, non-finite values (which JSON cannot
// write) as null.
inline std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;  // shortest exact form
  return std::string(text, end);
}

}  // namespace compactor::util
