// SPDX-License-Identifier: Apache-2.0
#include "wire/message_encoder.hpp"

#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace compactor::wire {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(MessageEncoder, MatchesRealLibprocessBytesWithBody) {
  // lp_hello_message.bin: what libprocess sender@127.0.0.1:5061 sent to pong@127.0.0.1:5060.
  std::string out;
  encode_message(out, {"sender@127.0.0.1:5061", "pong", "127.0.0.1:5060", "hello", "hi there"});
  EXPECT_EQ(out, read_file(testing::data_path("lp_hello_message.bin")));
}

TEST(MessageEncoder, MatchesRealLibprocessBytesWithoutBody) {
  // lp_send_to_sink.txt, connection 2: an empty body has no Transfer-Encoding and no chunk.
  std::string out;
  encode_message(out, {"sender@127.0.0.1:5062", "pong", "127.0.0.1:5060", "ping", ""});
  EXPECT_EQ(out,
            "POST /pong/ping HTTP/1.1\r\nUser-Agent: libprocess/sender@127.0.0.1:5062\r\n"
            "Libprocess-From: sender@127.0.0.1:5062\r\nConnection: Keep-Alive\r\n"
            "Host: 127.0.0.1:5060\r\n\r\n");
}

TEST(MessageEncoder, MatchesLinkedMessagesCapture) {
  // lp_linked_msgs_to_sink.txt: two messages back to back on one connection.
  std::string out;
  for (int i = 0; i < 2; ++i) {
    encode_message(out, {"client@127.0.0.1:5064", "pong", "127.0.0.1:5060", "ping", "xxx"});
  }
  const std::string capture = read_file(testing::data_path("lp_linked_msgs_to_sink.txt"));
  const auto start = capture.find("b'") + 2;
  const auto end = capture.rfind('\'');
  EXPECT_EQ(out, testing::decode_python_bytes(capture.substr(start, end - start)));
}

TEST(MessageEncoder, ChunkLengthIsLowercaseHex) {
  std::string out;
  encode_message(out, {"a@127.0.0.1:1", "b", "127.0.0.1:2", "m", std::string(255, 'z')});
  EXPECT_NE(out.find("\r\n\r\nff\r\n"), std::string::npos);
}

TEST(MessageEncoder, EscapesOnlyWhatARequestLineCannotCarry) {
  std::string out;
  encode_message(out, {"a@127.0.0.1:1", "b", "127.0.0.1:2", "a/b c%", ""});
  EXPECT_TRUE(out.starts_with("POST /b/a/b%20c%25 HTTP/1.1\r\n")) << out;
  // Escapes first, last and side by side; a receiver's slash is escaped, a name's is not.
  out.clear();
  encode_message(out, {"a@127.0.0.1:1", "x/y?", "127.0.0.1:2", "%lead/ #trail ", ""});
  EXPECT_TRUE(out.starts_with("POST /x%2Fy%3F/%25lead/%20%23trail%20 HTTP/1.1\r\n")) << out;
}

}  // namespace
}  // namespace compactor::wire
