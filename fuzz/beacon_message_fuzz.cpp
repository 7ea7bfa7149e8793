// SPDX-License-Identifier: Apache-2.0
// Fuzzes what a beacon member does with payloads from a broadcast channel: decoding (any bytes
// give a message or an error; a decoded message re-encodes to bytes that decode the same), and
// the state machine fed a sequence of such payloads and timer expiries (no crash, no hang).

#include "beacon/beacon_state.hpp"
#include "beacon/messages.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace compactor::beacon;

void check_round_trip(std::string_view payload) {
  const auto decoded = decode(payload);
  if (const auto* message = std::get_if<Message>(&decoded)) {
    const std::string once = encode(*message);
    const auto again = decode(once);
    if (!std::holds_alternative<Message>(again) || encode(std::get<Message>(again)) != once) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_round_trip(input);

  // The same bytes as a session: [length][time step][payload]...
  double coin = 0.25;
  BeaconState member("m", Config{.cycle = 2.0, .gap = 0.3}, {}, [&coin] {
    coin = coin * 3.9 * (1 - coin);  // deterministic chaos in (0, 1)
    return coin;
  });
  Time now{};
  member.start(now);
  member.on_payload(now, encode(InitMessage{"m"}));
  std::size_t at = 0;
  while (at + 2 <= input.size()) {
    const std::size_t length = static_cast<unsigned char>(input[at]);
    now += std::chrono::milliseconds(static_cast<unsigned char>(input[at + 1]) * 1000 / 16);
    at += 2;
    const auto payload = input.substr(at, std::min(length, input.size() - at));
    at += payload.size();
    for (int i = 0; i < 1000 && member.next_deadline() <= now; ++i)
      member.on_deadline(member.next_deadline());
    member.on_payload(now, payload);
    (void)member.take_actions();
  }
  return 0;
}
