// SPDX-License-Identifier: Apache-2.0
// The libprocess wire codec: encoding a message, and decoding a stream of pipelined messages
// with the picohttpparser-based RequestDecoder (bytes/s and messages/s).

#include "wire/message_encoder.hpp"
#include "wire/message_head.hpp"
#include "wire/request_decoder.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace compactor::wire;

std::string pipelined(std::size_t messages, std::size_t body_size) {
  std::string bytes;
  const std::string body(body_size, 'b');
  for (std::size_t i = 0; i < messages; ++i) {
    encode_message(bytes, {"ping@127.0.0.1:40001", "pong", "127.0.0.1:5051", "ping", body});
  }
  return bytes;
}

void Encode(benchmark::State& state) {
  const std::string body(static_cast<std::size_t>(state.range(0)), 'b');
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode_message(out, {"ping@127.0.0.1:40001", "pong", "127.0.0.1:5051", "ping", body});
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Encode)->Arg(0)->Arg(200)->Arg(4096);

class CountingSink : public RequestSink {
 public:
  bool on_request(Request& request) override {
    // What an inbound connection does with each request: find the sender and the receiver.
    auto sender = message_sender(request);
    auto target = split_target(request.target, decoded_target);
    benchmark::DoNotOptimize(sender);
    benchmark::DoNotOptimize(target);
    ++count;
    return true;
  }
  std::size_t count = 0;
  std::string decoded_target;
};

void Decode(benchmark::State& state) {
  constexpr std::size_t kMessages = 1000;
  const std::string bytes = pipelined(kMessages, static_cast<std::size_t>(state.range(0)));
  CountingSink sink;
  RequestDecoder decoder(sink, 64 << 20);
  for (auto _ : state) {
    // Reads of 64 KiB, as an inbound connection does them.
    for (std::size_t at = 0; at < bytes.size(); at += 65536) {
      decoder.feed(bytes.data() + at, std::min<std::size_t>(65536, bytes.size() - at));
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMessages));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(Decode)->Arg(0)->Arg(200)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
