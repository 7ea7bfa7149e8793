// SPDX-License-Identifier: Apache-2.0
// Fuzzes what the Serf channel does with bytes from an agent: the RPC session's decoding of
// answers and streamed records, split at an arbitrary point, as reads split them.

#include "serf/rpc_session.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = data[0] % size;
  compactor::serf::RpcSession session("fuzz.actor", (data[0] & 1) != 0 ? "key" : "");
  session.begin();
  session.event("payload");
  const auto first = session.received(bytes.substr(0, split));
  if (!first.failure) session.received(bytes.substr(std::min(split, bytes.size())));
  (void)session.stop();
  return 0;
}
