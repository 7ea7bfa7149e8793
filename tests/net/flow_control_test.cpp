// Flow control: a process that cannot keep up slows its remote senders down through TCP instead
// of letting its mailbox grow, and nothing is lost or reordered.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

// Handles "m" only once opened; records the bodies in order.
class GatedSink : public Process {
 public:
  GatedSink() : Process("sink") {}

  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

  bool wait_count(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return bodies_.size() >= count; });
  }

  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 protected:
  void initialize() override {
    install("m", [this](const PID&, std::string_view body) {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return open_; });
      bodies_.emplace_back(body);
      changed_.notify_all();
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  std::vector<std::string> bodies_;
};

// The events queued for `id`, as /__processes__ reports them.
std::size_t queued_events(std::uint16_t port, const std::string& id) {
  RawClient client("127.0.0.1", port);
  client.write("GET /__processes__ HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string answer = client.read_until_close(10s);
  std::smatch match;
  const std::regex events("\"id\":\"" + id + "\"[^}]*\"events\":(\\d+)");
  if (!std::regex_search(answer, match, events)) throw std::runtime_error(answer);
  return std::stoul(match[1]);
}

TEST(FlowControl, AStuckReceiverStopsReadingAndLosesNothing) {
  constexpr std::size_t kMark = 100;
  constexpr int kCount = 20000;
  GatedSink sink;
  Context context({.mailbox_high_water_messages = kMark});
  context.spawn(sink);
  std::thread sender([port = context.address().port] {
    RawClient client("127.0.0.1", port);
    std::string batch;
    for (int i = 0; i < kCount; ++i) {
      const std::string body = std::to_string(i);
      batch += "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    client.write(batch);  // blocks while the context does not read
    client.shutdown_write();
    client.read_until_close(60s);
  });
  // The sink is stuck in its first handler: the connection must pause.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (context.stats().reads_paused == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(context.stats().reads_paused, 0u);
  // Over the mark by at most what one read (64 KiB, ~90 bytes a message) carried.
  EXPECT_LT(queued_events(context.address().port, "sink"), kMark + 1000);
  sink.open();
  ASSERT_TRUE(sink.wait_count(kCount, 60s)) << sink.bodies().size();
  sender.join();
  const auto bodies = sink.bodies();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(bodies[i], std::to_string(i));
  EXPECT_EQ(context.stats().messages_dropped, 0u);
}

}  // namespace
}  // namespace compactor
