// SPDX-License-Identifier: Apache-2.0
// Fuzzes what a member does with payloads from a group's names channel: decoding (any bytes give
// a message or an error; a decoded message re-encodes to bytes that decode the same), and a name
// table fed a sequence of such payloads (no crash, the table stays within its bound).

#include "beacon/name_table.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace compactor::beacon;

void check_round_trip(std::string_view payload) {
  const auto decoded = decode_name_message(payload);
  if (const auto* message = std::get_if<NameMessage>(&decoded)) {
    const std::string once = encode(*message);
    const auto again = decode_name_message(once);
    if (!std::holds_alternative<NameMessage>(again) ||
        encode(std::get<NameMessage>(again)) != once) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_round_trip(input);

  // The same bytes as a session: [length][payload]..., the table holding a name of its own.
  NameTable table("m", /*max_names=*/16);
  table.publish({}, "own", "own@127.0.0.1:1");
  std::size_t at = 0;
  while (at < input.size()) {
    const std::size_t length = static_cast<unsigned char>(input[at++]);
    const auto payload = input.substr(at, std::min(length, input.size() - at));
    at += payload.size();
    table.receive({}, payload);
    (void)table.take_actions();
  }
  return 0;
}
