// SPDX-License-Identifier: Apache-2.0
// Fuzzes what an inbound connection does with bytes off the network: HTTP decoding (split at an
// arbitrary point, as reads split it), gzip, Accept-Encoding, and the libprocess reading of each
// request.

#include "core/pid_text.hpp"
#include "wire/message_head.hpp"
#include "wire/request_decoder.hpp"
#include "wire/response_writer.hpp"

#include <cstddef>
#include <cstdint>

namespace {

class Sink : public compactor::wire::RequestSink {
 public:
  bool on_request(compactor::wire::Request& request) override {
    std::string answers;
    (void)compactor::wire::accepts_gzip(request.header("Accept-Encoding"));
    if (auto sender = compactor::wire::message_sender(request)) {
      auto from = compactor::detail::parse_literal_pid(*sender);
      std::string decoded;
      auto target = compactor::wire::split_target(request.target, decoded);
      if (target && from) {
        compactor::wire::append_accepted(answers, !request.keep_alive);
      } else {
        compactor::wire::append_not_found(answers, !request.keep_alive);
      }
    }
    return request.keep_alive;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t split = data[0] % size;
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  const std::size_t length = size - 1;
  Sink sink;
  compactor::wire::RequestDecoder decoder(sink, 64 * 1024);
  const auto first = std::min(split, length);
  if (decoder.feed(bytes, first) == compactor::wire::DecodeStatus::ok) {
    decoder.feed(bytes + first, length - first);
  }
  return 0;
}
