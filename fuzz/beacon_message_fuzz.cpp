// Fuzzes the decoding of beacon payloads from a broadcast channel: any bytes must give a message
// or an error, never a crash; a decoded message must encode to bytes that decode to the same.

#include "beacon/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace compactor::beacon;
  const auto decoded = decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (const auto* message = std::get_if<Message>(&decoded)) {
    const std::string once = encode(*message);
    const auto again = decode(once);
    if (!std::holds_alternative<Message>(again) || encode(std::get<Message>(again)) != once) {
      __builtin_trap();
    }
  }
  return 0;
}
