// SPDX-License-Identifier: Apache-2.0
#pragma once
// Percent-encoding of URL path segments (RFC 3986), as libprocess decodes request paths.

#include <optional>
#include <string>
#include <string_view>

namespace compactor::wire {

// Appends `text` to `out`, escaping bytes that cannot appear raw in a request line ('%', '?',
// '#', space, controls, non-ASCII). Plain ids and names go out unchanged, as libprocess sends them.
// With `keep_slash` false a '/' is escaped too.
void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash);

// Decodes %XX escapes; nullopt if an escape is malformed.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace compactor::wire
