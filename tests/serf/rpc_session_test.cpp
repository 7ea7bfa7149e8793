// SPDX-License-Identifier: Apache-2.0
// The Serf RPC session without a socket: its requests against bytes captured from a real agent
// conversation, and the agent's answers (captured and simulated faults) fed back in.

#include "serf/rpc_session.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace compactor::serf {
namespace {

std::string unhex(std::string_view hex) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return raw;
}

// tests/data/serf_rpc.txt: "name hex" lines.
std::map<std::string, std::string> load_capture() {
  std::ifstream in(std::string(COMPACTOR_TEST_DATA) + "/serf_rpc.txt");
  std::map<std::string, std::string> bytes;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    std::string hex;
    fields >> name >> hex;
    bytes[name] = unhex(hex);
  }
  return bytes;
}

const std::map<std::string, std::string> kCapture = load_capture();
const std::string kName = "serftest.actor";

// An answer header as the agent sends it: {"Error": error, "Seq": seq}.
std::string answer(std::uint64_t seq, std::string_view error = "") {
  msgpack::sbuffer buffer;
  msgpack::packer packer(buffer);
  packer.pack_map(2);
  packer.pack(std::string_view("Error")).pack(error);
  packer.pack(std::string_view("Seq")).pack_uint64(seq);
  return {buffer.data(), buffer.size()};
}

// A streamed user event: header, then {"Event": "user", "LTime", "Name", "Payload"}.
std::string record(std::uint64_t seq, std::string_view name, std::string_view payload) {
  msgpack::sbuffer buffer;
  msgpack::packer packer(buffer);
  packer.pack_map(4);
  packer.pack(std::string_view("Event")).pack(std::string_view("user"));
  packer.pack(std::string_view("LTime")).pack(7);
  packer.pack(std::string_view("Name")).pack(name);
  packer.pack(std::string_view("Payload")).pack_bin(static_cast<std::uint32_t>(payload.size()));
  packer.pack_bin_body(payload.data(), static_cast<std::uint32_t>(payload.size()));
  return answer(seq) + std::string(buffer.data(), buffer.size());
}

// A session with its stream acknowledged (handshake Seq 0, stream Seq 1).
RpcSession streaming_session() {
  RpcSession session(kName, "");
  session.begin();
  const auto received = session.received(answer(0) + answer(1));
  EXPECT_TRUE(received.stream_began);
  EXPECT_FALSE(received.failure);
  return session;
}

TEST(SerfRpcSession, OpensWithTheRequestsARealAgentAccepts) {
  RpcSession session(kName, "");
  EXPECT_EQ(session.begin(), kCapture.at("handshake_request") + kCapture.at("stream_request"));
  EXPECT_EQ(session.event(unhex("82a174a4696e6974a46e6f6465a179")), kCapture.at("event_request"));
}

TEST(SerfRpcSession, CapturedAnswersStartTheStreamAndDeliverTheRecord) {
  RpcSession session(kName, "");
  session.begin();
  auto received = session.received(kCapture.at("handshake_response") + answer(1));
  EXPECT_TRUE(received.stream_began);
  EXPECT_TRUE(session.streaming());
  received = session.received(kCapture.at("streamed_record"));
  ASSERT_EQ(received.payloads.size(), 1U);
  EXPECT_EQ(received.payloads[0], unhex("82a174a4696e6974a46e6f6465a178"));
  EXPECT_FALSE(received.failure);
}

TEST(SerfRpcSession, RecordSplitAcrossReadsArrivesOnce) {
  auto session = streaming_session();
  const std::string bytes = kCapture.at("streamed_record");
  std::size_t payloads = 0;
  for (char byte : bytes) {
    const auto received = session.received(std::string_view(&byte, 1));
    ASSERT_FALSE(received.failure);
    payloads += received.payloads.size();
  }
  EXPECT_EQ(payloads, 1U);
}

TEST(SerfRpcSession, EventsOfOtherNamesAreIgnored) {
  auto session = streaming_session();
  const auto received = session.received(record(1, "other.actor", "x") + record(1, kName, "y"));
  ASSERT_EQ(received.payloads.size(), 1U);
  EXPECT_EQ(received.payloads[0], "y");
}

TEST(SerfRpcSession, AuthComesBetweenHandshakeAndStream) {
  RpcSession session(kName, "secret");
  const std::string opening = session.begin();
  EXPECT_NE(opening.find("auth"), std::string::npos);
  EXPECT_NE(opening.find("secret"), std::string::npos);
  const auto refused = session.received(answer(0) + answer(1, "Invalid authentication token"));
  ASSERT_TRUE(refused.failure);
  EXPECT_EQ(*refused.failure, "auth refused: Invalid authentication token");
}

TEST(SerfRpcSession, RefusedStreamGivesTheConnectionUp) {
  RpcSession session(kName, "");
  session.begin();
  const auto received = session.received(answer(0) + answer(1, "bad filter"));
  ASSERT_TRUE(received.failure);
  EXPECT_EQ(*received.failure, "stream refused: bad filter");
  EXPECT_FALSE(session.streaming());
}

TEST(SerfRpcSession, RefusedEventIsReportedAndTheConnectionGoesOn) {
  auto session = streaming_session();
  session.event(std::string(600, 'x'));  // Seq 2
  const auto received =
      session.received(answer(2, "user event exceeds limit of 512 bytes") + record(1, kName, "z"));
  EXPECT_FALSE(received.failure);
  ASSERT_EQ(received.refused_events.size(), 1U);
  EXPECT_EQ(received.payloads.size(), 1U);
}

TEST(SerfRpcSession, HostileOrConfusedAgentIsGivenUp) {
  auto confused = streaming_session();
  EXPECT_EQ(*confused.received(answer(99)).failure, "an answer to no request (Seq 99)");

  auto seqless = streaming_session();
  msgpack::sbuffer buffer;
  msgpack::packer(buffer).pack_map(0);
  EXPECT_EQ(*seqless.received({buffer.data(), buffer.size()}).failure, "a response without Seq");

  auto hostile = streaming_session();
  const auto garbage = hostile.received("\xc1\xc1\xc1 not msgpack");
  ASSERT_TRUE(garbage.failure);
  EXPECT_EQ(garbage.failure->rfind("not Serf RPC", 0), 0U);

  // A string over the limits (16 KB) is not an agent talking.
  auto flooding = streaming_session();
  msgpack::sbuffer big;
  msgpack::packer(big).pack(std::string(64 * 1024, 'x'));
  EXPECT_TRUE(flooding.received({big.data(), big.size()}).failure);
}

TEST(SerfRpcSession, StopEndsTheStreamOnlyWhenStreaming) {
  RpcSession session(kName, "");
  EXPECT_EQ(session.stop(), "");
  session.begin();
  EXPECT_EQ(session.stop(), "");  // not acknowledged yet
  session.received(answer(0) + answer(1));
  const std::string stop = session.stop();
  msgpack::object_handle header = msgpack::unpack(stop.data(), stop.size());
  std::size_t offset = 0;
  header = msgpack::unpack(stop.data(), stop.size(), offset);
  const auto body = msgpack::unpack(stop.data(), stop.size(), offset);
  EXPECT_EQ(offset, stop.size());
  std::map<std::string, msgpack::object> fields;
  body.get().convert(fields);
  EXPECT_EQ(fields.at("Stop").as<std::uint64_t>(), 1U);  // the stream's Seq
}

TEST(SerfRpcSession, ReconnectingStartsAFreshConversationWithNewSeqs) {
  auto session = streaming_session();
  EXPECT_TRUE(session.end());
  EXPECT_FALSE(session.streaming());
  EXPECT_FALSE(session.end());
  session.begin();  // handshake Seq 2, stream Seq 3
  EXPECT_TRUE(session.received(answer(2) + answer(3)).stream_began);
}

TEST(SerfRpcSession, EventSizeIsWhatTheAgentCountsAgainstItsLimit) {
  // 34 bytes of gossip framing, the name with its header, the payload with its header.
  EXPECT_EQ(RpcSession::event_size(kName, 15), 34U + 1 + 14 + 2 + 15);
  EXPECT_EQ(RpcSession::event_size(kName, 300), 34U + 1 + 14 + 3 + 300);
}

}  // namespace
}  // namespace compactor::serf
