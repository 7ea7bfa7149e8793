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

// Plays the driver: every request of a read is delivered, every third answered later, as a route
// would.
class Driver final {
 public:
  explicit Driver(InboundLifecycle& life) : life_(life) {}
  void read(std::string_view bytes, compactor::util::Time now) {
    life_.received(bytes);
    while (auto* request = life_.next_request()) {
      if (++count_ % 3 == 0) {
        awaited.push_back(life_.await_answer());
      } else {
        compactor::wire::append_accepted(life_.answer_buffer(), !request->keep_alive);
      }
    }
    life_.read_done(now);
  }
  std::vector<std::uint64_t> awaited;

 private:
  InboundLifecycle& life_;
  unsigned count_ = 0;
};

}  // namespace

// The first bytes are the script, one per step: what the peer or the clock does next; the rest
// are the bytes the peer sends.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::string_view script(reinterpret_cast<const char*>(data), 8);
  std::string_view bytes(reinterpret_cast<const char*>(data) + 8, size - 8);
  InboundLifecycle life({.max_body_size = 4096,
                         .request_timeout = std::chrono::seconds(1),
                         .write_timeout = std::chrono::seconds(1),
                         .answer_backlog_bytes = 512,
                         .awaited_answers = 4});
  Driver driver(life);
  auto now = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  for (const char step : script) {
    const auto choice = static_cast<unsigned char>(step);
    switch (choice % 6) {
      case 0:
      case 1: {  // a read of up to 255 bytes
        const auto take = std::min<std::size_t>(choice, bytes.size());
        if (!life.reading_done() && !life.reads_paused()) driver.read(bytes.substr(0, take), now);
        bytes.remove_prefix(take);
        break;
      }
      case 2:  // the peer takes some answers
        if (life.next_write(now).what == InboundLifecycle::Step::What::write) {
          life.wrote(std::min<std::size_t>(choice, life.unwritten_size()), now);
        }
        break;
      case 3:  // a route answers
        if (!driver.awaited.empty()) {
          life.answer_arrived(driver.awaited.back(), {"late"}, now);
          driver.awaited.pop_back();
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
