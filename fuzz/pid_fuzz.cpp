// SPDX-License-Identifier: Apache-2.0
// Fuzzes PID text parsing: splitting and IP literal checks, with no name resolution (a fuzzer
// must not query DNS).

#include "core/pid_text.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pid = compactor::detail::parse_literal_pid(text);
  if (pid) {
    // Formatting and parsing again gives the same PID.
    auto again = compactor::detail::parse_literal_pid(pid->to_string());
    if (!again || *again != *pid) __builtin_trap();
  }
  return 0;
}
