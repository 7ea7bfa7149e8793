// What a context answers on its listening port: limits, sender checks, plain HTTP, resets.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"

#include <gtest/gtest.h>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

std::string message(const std::string& from, const std::string& body) {
  return "POST /sink/m HTTP/1.1\r\nLibprocess-From: " + from +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(InboundLimits, BodyOverTheLimitIs413BeforeTheBodyIsSent) {
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

TEST(InboundLimits, PeerAddressMatchOffAcceptsAnySenderIp) {
  testing::Recorder sink("sink");
  Context context;
  context.spawn(sink);
  RawClient client("127.0.0.1", context.address().port);
  client.write(message("spoof@192.0.2.1:1", "x"));
  client.shutdown_write();
  EXPECT_TRUE(client.read_until_close(10s).starts_with("HTTP/1.1 202 Accepted\r\n"));
  EXPECT_TRUE(sink.wait_messages(1));
}

TEST(InboundLimits, PeerAddressMatchOnRejectsSpoofedSenders) {
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

TEST(InboundLimits, PlainHttpWithoutRoutesIs404) {
  Context context;
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET /anything/here HTTP/1.1\r\nHost: x\r\n\r\n");
  client.shutdown_write();
  EXPECT_TRUE(client.read_until_close(10s).starts_with("HTTP/1.1 404 Not Found\r\n"));
}

TEST(InboundLimits, RequestsParsedBeforeAResetAreDelivered) {
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

}  // namespace
}  // namespace compactor
