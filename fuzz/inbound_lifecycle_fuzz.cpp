// SPDX-License-Identifier: Apache-2.0
// Fuzzes an inbound connection's rules with a hostile peer: the bytes it sends, how reads split
// them, and when its answers are taken, congestion and time come, all chosen by the input.

#include "connection/inbound_lifecycle.hpp"
#include "wire/response_writer.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using compactor::connection::InboundLifecycle;

class Sink final : public compactor::wire::RequestSink {
 public:
  bool on_request(compactor::wire::Request& request) override {
    // Every third request is answered later, as a route would.
    if (life != nullptr && ++count % 3 == 0) {
      awaited.push_back(life->await_answer());
    } else if (life != nullptr) {
      compactor::wire::append_accepted(life->answer_buffer(), !request.keep_alive);
    }
    return request.keep_alive;
  }
  InboundLifecycle* life = nullptr;
  std::vector<std::uint64_t> awaited;
  unsigned count = 0;
};

}  // namespace

// The first bytes are the script, one per step: what the peer or the clock does next; the rest
// are the bytes the peer sends.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::string_view script(reinterpret_cast<const char*>(data), 8);
  std::string_view bytes(reinterpret_cast<const char*>(data) + 8, size - 8);
  Sink sink;
  InboundLifecycle life({.max_body_size = 4096,
                         .request_timeout = std::chrono::seconds(1),
                         .write_timeout = std::chrono::seconds(1),
                         .answer_backlog_bytes = 512,
                         .awaited_answers = 4},
                        sink);
  sink.life = &life;
  auto now = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  for (const char step : script) {
    const auto choice = static_cast<unsigned char>(step);
    switch (choice % 6) {
      case 0:
      case 1: {  // a read of up to 255 bytes
        const auto take = std::min<std::size_t>(choice, bytes.size());
        if (!life.reading_done() && !life.reads_paused()) life.received(bytes.substr(0, take), now);
        bytes.remove_prefix(take);
        break;
      }
      case 2:  // the peer takes some answers
        if (life.next_write(now).what == InboundLifecycle::Step::What::write) {
          life.wrote(std::min<std::size_t>(choice, life.unwritten_size()), now);
        }
        break;
      case 3:  // a route answers
        if (!sink.awaited.empty()) {
          life.answer_arrived(sink.awaited.back(), {"late"}, now);
          sink.awaited.pop_back();
        }
        break;
      case 4:  // the mailbox is taken, or fills
        if (choice & 8) {
          life.resume_for_mailbox(now);
        } else {
          life.mailbox_congested();
        }
        break;
      case 5:  // time passes
        now += std::chrono::milliseconds(choice * 8);
        if (life.next_deadline() <= now) life.on_deadline(now);
        break;
    }
  }
  return 0;
}
