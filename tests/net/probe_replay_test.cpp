// SPDX-License-Identifier: Apache-2.0
// Replays every request real libprocess was probed with (tests/data/probe_lp.txt) against a
// context and compares the answers with libprocess's.

#include <compactor/context.hpp>

#include "support/raw_client.hpp"
#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

// Answers without the parts that differ by time or are optional (Date, Connection).
std::string normalized(std::string answer) {
  static const std::regex varying("(Date|Connection): [^\r]*\r\n");
  if (answer.ends_with("<EOF>")) answer.resize(answer.size() - 5);
  return std::regex_replace(answer, varying, "");
}

// The capture abbreviates the 8 MiB body; restore it from the Content-Length.
std::string complete_request(std::string request) {
  static const std::regex length("Content-Length: (\\d+)\r\n");
  std::smatch match;
  const auto head_end = request.find("\r\n\r\n");
  if (head_end == std::string::npos || !std::regex_search(request, match, length)) return request;
  const std::size_t declared = std::stoul(match[1]);
  const std::size_t present = request.size() - head_end - 4;
  if (present < declared && request.find("Content-Encoding") == std::string::npos) {
    request.append(declared - present, 'x');
  }
  return request;
}

TEST(ProbeReplay, AnswersAsRealLibprocessDoes) {
  testing::Recorder pong("pong");
  Context context;
  context.spawn(pong);
  const auto cases = testing::read_probe_capture(testing::data_path("probe_lp.txt"));
  ASSERT_EQ(cases.size(), 18u);
  for (const auto& probe : cases) {
    SCOPED_TRACE(probe.title);
    RawClient client("127.0.0.1", context.address().port);
    client.write(complete_request(probe.request));
    const bool libprocess_closed = probe.answer.ends_with("<EOF>");
    if (!libprocess_closed) client.shutdown_write();  // we close after answering everything
    bool closed = false;
    const std::string answer = client.read_until_close(10s, &closed);
    EXPECT_TRUE(closed);
    if (probe.title.find("GET route") != std::string::npos) {
      // libprocess answered from a route the probe had installed; routes are not served yet.
      EXPECT_TRUE(answer.starts_with("HTTP/1.1 404 Not Found\r\n")) << answer;
    } else if (probe.answer == "<EOF>") {
      // libprocess closes without a word on bytes that are not HTTP; we say 400 first.
      EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 Bad Request\r\n")) << answer;
    } else {
      EXPECT_EQ(normalized(answer), normalized(probe.answer));
    }
  }
  // Every message libprocess accepted (202) was delivered, in order.
  ASSERT_TRUE(pong.wait_messages(14));
  const auto messages = pong.messages();
  ASSERT_EQ(messages.size(), 14u);
  EXPECT_EQ(messages[0].body, "hello");
  EXPECT_EQ(messages[0].from, PID::parse("probe@127.0.0.1:1"));
  EXPECT_EQ(messages[1].body, "hi");  // chunked, legacy User-Agent
  EXPECT_EQ(messages[3].name, "nosuchmsg");
  EXPECT_TRUE(messages[4].from.empty());  // "Libprocess-From: garbage"
  EXPECT_EQ(messages[6].name, "");        // "/pong" alone
  EXPECT_EQ(messages[7].name, "a/b");
  EXPECT_EQ(messages[8].name, "hello");   // "/%70ong/hello"
  EXPECT_EQ(messages[9].body, "zipped");  // gzip body
  EXPECT_EQ(messages[13].body.size(), 8u * 1024 * 1024);
}

}  // namespace
}  // namespace compactor
