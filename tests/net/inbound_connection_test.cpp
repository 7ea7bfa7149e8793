// SPDX-License-Identifier: Apache-2.0
// net::InboundConnection, on loopback: what a context answers on its listening port (limits,
// sender checks, plain HTTP, resets).

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::wait_until;

std::string message(const std::string& from, const std::string& body) {
  return "POST /sink/m HTTP/1.1\r\nLibprocess-From: " + from +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(InboundConnection, BodyOverTheLimitIs413BeforeTheBodyIsSent) {
  testing::Recorder sink("sink");
  Context context({.max_body_size = 1024});
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  client.write(
      "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: 9437184\r\n\r\n");
  bool closed = false;
  const std::string answer = client.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << answer;
  EXPECT_NE(answer.find("body of 9437184 bytes exceeds max_body_size 1024"), std::string::npos);
  EXPECT_EQ(context.stats().requests_rejected, 1u);
}

TEST(InboundConnection, PeerAddressMatchOffAcceptsAnySenderIp) {
  testing::Recorder sink("sink");
  Context context;
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  client.write(message("spoof@192.0.2.1:1", "x"));
  client.shutdown_write();
  EXPECT_TRUE(client.read_until_close(10s).starts_with("HTTP/1.1 202 Accepted\r\n"));
  EXPECT_TRUE(sink.wait_messages(1));
}

TEST(InboundConnection, PeerAddressMatchOnRejectsSpoofedSenders) {
  testing::Recorder sink("sink");
  Context context({.require_peer_address_ip_match = true});
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  client.write(message("spoof@192.0.2.1:1", "spoofed") + message("honest@127.0.0.1:1", "honest"));
  client.shutdown_write();
  const std::string answers = client.read_until_close(10s);
  EXPECT_TRUE(answers.starts_with("HTTP/1.1 400 Bad Request\r\n")) << answers;
  EXPECT_NE(answers.find("does not match the connection's peer IP 127.0.0.1"), std::string::npos);
  EXPECT_NE(answers.find("HTTP/1.1 202 Accepted\r\n"), std::string::npos);
  ASSERT_TRUE(sink.wait_messages(1));
  EXPECT_EQ(sink.messages().size(), 1u);
  EXPECT_EQ(sink.messages()[0].body, "honest");
}

TEST(InboundConnection, PlainHttpWithoutRoutesIs404) {
  Context context;
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET /anything/here HTTP/1.1\r\nHost: x\r\n\r\n");
  client.shutdown_write();
  EXPECT_TRUE(client.read_until_close(10s).starts_with("HTTP/1.1 404 Not Found\r\n"));
}

TEST(InboundConnection, RequestsParsedBeforeAResetAreDelivered) {
  testing::Recorder sink("sink");
  Context context;
  context.spawn(sink);
  constexpr int kCount = 500;
  std::string batch;
  for (int i = 0; i < kCount; ++i) batch += message("a@127.0.0.1:1", std::to_string(i));
  {
    RawClient client("127.0.0.1", context.address().port);
    client.write(batch);
    client.reset();  // RST right behind the requests, with their answers unread
  }
  ASSERT_TRUE(sink.wait_messages(kCount));
  const auto messages = sink.messages();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(messages[i].body, std::to_string(i));
}

TEST(InboundConnection, AChunkSizeOverTheLimitIsRefusedAtOnce) {
  testing::Recorder sink("sink");
  Context context({.max_body_size = 1024});
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  client.write(
      "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n7FFFFFFF\r\nonly a few bytes");
  bool closed = false;
  const std::string answer = client.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << answer;
  EXPECT_NE(answer.find("makes the body 2147483647 bytes"), std::string::npos) << answer;
}

// Two connections each declare a body that fits max_body_size; together they do not fit the
// context's body budget, so the second is refused before any of its body arrives.
TEST(InboundConnection, TheBodyBudgetIsSharedByAllConnections) {
  testing::Recorder sink("sink");
  Context context({.max_body_size = 1000, .max_buffered_body_bytes = 1500});
  context.spawn(sink);
  auto head = [](std::size_t size) {
    return "POST /sink/m HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\nContent-Length: " +
           std::to_string(size) + "\r\n\r\n";
  };
  RawClient first("127.0.0.1", context.address().port);
  first.write(head(1000) + std::string(10, 'x'));  // holds 1000 of the budget, stalls
  RawClient second("127.0.0.1", context.address().port);
  second.write(head(600));
  bool closed = false;
  const std::string answer = second.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << answer;
  EXPECT_NE(answer.find("of the context's 1500 body bytes are buffered"), std::string::npos);
  // The first one completes; its bytes go back to the budget, and a third fits.
  first.write(std::string(990, 'x'));
  ASSERT_TRUE(sink.wait_messages(1));
  RawClient third("127.0.0.1", context.address().port);
  third.write(head(600) + std::string(600, 'y'));
  third.shutdown_write();
  EXPECT_TRUE(third.read_until_close(10s).starts_with("HTTP/1.1 202 Accepted\r\n"));
}

// Slowloris: a request dribbled in is answered 408 and closed once request_timeout passed since
// its first byte; a connection idle between requests is left alone (libprocess holds those).
TEST(InboundConnection, ARequestNotWholeInTimeIs408ButIdleConnectionsStay) {
  testing::Recorder sink("sink");
  Context context({.request_timeout = 300ms});
  context.spawn(sink);
  RawClient idle("127.0.0.1", context.address().port);
  idle.write(message("a@127.0.0.1:1", "first"));  // a whole request, then silence
  RawClient slow("127.0.0.1", context.address().port);
  slow.write("POST /sink/m HTTP/1.1\r\nLibprocess-Fr");
  bool closed = false;
  const std::string answer = slow.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << answer;
  EXPECT_EQ(context.stats().requests_timed_out, 1u);
  // The idle connection outlived the slow one's deadline and still carries messages.
  idle.write(message("a@127.0.0.1:1", "second"));
  idle.shutdown_write();
  const std::string answers = idle.read_until_close(10s);
  EXPECT_EQ(answers.find("408"), std::string::npos) << answers;
  ASSERT_TRUE(sink.wait_messages(2));
}

// The deadline is each request's own: a healthy stream whose every read ends inside a message
// (so the connection is never between requests when a read ends) must not be timed out.
TEST(InboundConnection, AStreamThatAlwaysEndsMidMessageIsNotTimedOut) {
  testing::Recorder sink("sink");
  Context context({.request_timeout = 300ms});
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  std::string rest;  // the second half of the previous message
  int sent = 0;
  for (const auto end = std::chrono::steady_clock::now() + 1200ms;
       std::chrono::steady_clock::now() < end; ++sent) {
    const std::string next = message("a@127.0.0.1:1", std::to_string(sent));
    client.write(rest + next.substr(0, next.size() / 2));
    rest = next.substr(next.size() / 2);
    std::this_thread::sleep_for(20ms);
  }
  client.write(rest);
  ASSERT_TRUE(sink.wait_messages(static_cast<std::size_t>(sent)));
  EXPECT_EQ(context.stats().requests_timed_out, 0u);
}

TEST(InboundConnection, ConnectionsOverTheCapAreClosedAndCounted) {
  Context context({.max_inbound_connections = 2});
  RawClient first("127.0.0.1", context.address().port);
  RawClient second("127.0.0.1", context.address().port);
  RawClient third("127.0.0.1", context.address().port);
  bool closed = false;
  third.read_until_close(10s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(context.stats().connections_refused, 1u);
  EXPECT_EQ(context.stats().connections_accepted, 2u);
}

// Routes for the answer-backlog tests: /big answers 64 KiB at once; /slow answers its path's
// number once opened, in order.
class Pages : public Process {
 public:
  Pages() : Process("pages") {}
  std::size_t served() const { return served_.load(); }
  // The highest number asked of /big, or -1.
  long highest_big() const { return highest_big_.load(); }
  void open() {
    std::vector<std::pair<std::string, http::Responder>> waiting;
    {
      std::lock_guard lock(mutex_);
      open_ = true;
      waiting.swap(waiting_);
    }
    for (auto& [body, respond] : waiting) respond(http::Response::text(body));
  }

 protected:
  void initialize() override {
    route("/big", [this](const http::Request& request, http::Responder respond) {
      ++served_;
      const long number = std::stol(request.query);
      for (long seen = highest_big_.load(); number > seen;) {
        if (highest_big_.compare_exchange_weak(seen, number)) break;
      }
      respond(http::Response::text(std::string(64 * 1024, 'b')));
    });
    route("/slow", [this](const http::Request& request, http::Responder respond) {
      ++served_;
      std::lock_guard lock(mutex_);
      if (open_) {
        respond(http::Response::text(request.query));
      } else {
        waiting_.emplace_back(request.query, std::move(respond));
      }
    });
  }

 private:
  std::atomic<std::size_t> served_{0};
  std::atomic<long> highest_big_{-1};
  std::mutex mutex_;
  bool open_ = false;
  std::vector<std::pair<std::string, http::Responder>> waiting_;
};

std::string pipelined(const std::string& path, int from, int count) {
  std::string requests;
  for (int i = from; i < from + count; ++i) {
    requests += "GET /pages" + path + "?" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  }
  return requests;
}

// A peer that pipelines requests and never reads the answers: past 1 MiB of answers not taken
// the connection stops reading requests, and after write_timeout without progress it is closed.
TEST(InboundConnection, APeerThatDoesNotReadItsAnswersIsPausedThenClosed) {
  Pages pages;
  // write_timeout well beyond the batches below: a connection that times out is reset, and a
  // write after that fails.
  Context context({.write_timeout = 5s});
  context.spawn(pages);
  RawClient client("127.0.0.1", context.address().port);
  // Batches of 200 (12.5 MiB of answers each) until the connection stops reading: the backlog
  // is looked at after each read (the first batch's answers come after its read), so when it
  // pauses depends on how TCP cut the bytes.
  int batches = 0;
  while (context.stats().reads_paused == 0 && batches < 3) {
    client.write(pipelined("/big", 200 * batches++, 200));
    wait_until([&] { return context.stats().reads_paused > 0; }, 1s);
  }
  ASSERT_GE(context.stats().reads_paused, 1u);
  // What was read before the pause may still be handled (the route is behind under load); none
  // of the batch written after it may be.
  const long first_unread = 200 * batches;
  client.write(pipelined("/big", first_unread, 200));
  std::this_thread::sleep_for(300ms);  // a window for the last batch not to be read
  EXPECT_LT(pages.highest_big(), first_unread) << "read on while the answers wait";
  EXPECT_TRUE(wait_until([&] { return context.stats().connections_failed >= 1; }, 10s))
      << "closed after write_timeout without progress";
}

// A route that does not answer: past 1,024 awaited answers the connection stops reading, so its
// mailbox does not grow with what the peer pipelines; once it answers, all come, in order.
TEST(InboundConnection, ASlowRouteStopsTheReadingAtItsBacklog) {
  Pages pages;
  Context context;
  context.spawn(pages);
  RawClient client("127.0.0.1", context.address().port);
  // 1,000 are read whatever way TCP cuts them; past 1,024 the reading stops (after the read
  // that went over), so the third 1,000 are never read while the route does not answer.
  client.write(pipelined("/slow", 0, 1000));
  ASSERT_TRUE(wait_until([&] { return pages.served() == 1000; }, 10s));
  client.write(pipelined("/slow", 1000, 1000));
  ASSERT_TRUE(wait_until([&] { return pages.served() > 1024; }, 10s));
  client.write(pipelined("/slow", 2000, 1000));
  std::this_thread::sleep_for(300ms);  // a window for the third batch not to be read
  EXPECT_LE(pages.served(), 2000u);
  pages.open();
  std::string answers;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::size_t seen = 0;
  while (seen < 3000 && std::chrono::steady_clock::now() < deadline) {
    answers += client.read_some(1s);
    for (std::size_t at; (at = answers.find("\r\n\r\n")) != std::string::npos;) {
      const auto length_at = answers.find("Content-Length: ");
      ASSERT_NE(length_at, std::string::npos);
      const std::size_t length = std::stoul(answers.substr(length_at + 16));
      if (answers.size() < at + 4 + length) break;
      ASSERT_EQ(answers.substr(at + 4, length), std::to_string(seen)) << "in order";
      ++seen;
      answers.erase(0, at + 4 + length);
    }
  }
  EXPECT_EQ(seen, 3000u);
}

}  // namespace
}  // namespace compactor
