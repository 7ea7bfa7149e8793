// SPDX-License-Identifier: Apache-2.0
// Fuzzes the downgrade detection: how a listener that takes TLS and plaintext on one port tells
// them apart from a connection's first bytes.

#include "net/tls.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using compactor::net::FirstBytes;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The listener peeks at most kFirstBytesNeeded; every prefix is what a slow peer shows first.
  const std::string_view peeked = bytes.substr(0, compactor::net::kFirstBytesNeeded);
  std::optional<FirstBytes> decided;
  for (std::size_t length = 0; length <= peeked.size(); ++length) {
    const FirstBytes seen = compactor::net::classify_first_bytes(peeked.substr(0, length));
    // Once decided, more bytes never change the decision.
    if (decided && seen != *decided) __builtin_trap();
    if (seen != FirstBytes::too_few) decided = seen;
  }
  // Six bytes are always enough to decide.
  if (peeked.size() == compactor::net::kFirstBytesNeeded && !decided) __builtin_trap();
  // An HTTP request is never taken for TLS.
  if (decided == FirstBytes::tls && std::isupper(static_cast<unsigned char>(peeked[0]))) {
    __builtin_trap();
  }
  return 0;
}
