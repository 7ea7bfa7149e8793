// SPDX-License-Identifier: Apache-2.0
#include "beacon/messages.hpp"

#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace compactor::beacon {
namespace {

using testing::from_hex;

// The payloads of a capture: lines "<time> <topic> <length> <hex>".
std::vector<std::string> payloads(const std::string& name) {
  std::ifstream in(testing::data_path("asyncactor/" + name));
  std::vector<std::string> result;
  std::string time, topic, hex;
  std::size_t length = 0;
  while (in >> time >> topic >> length >> hex) {
    result.push_back(from_hex(hex));
    EXPECT_EQ(result.back().size(), length);
  }
  return result;
}

TEST(BeaconMessages, EveryCapturedPayloadDecodesAndEncodesByteForByte) {
  std::size_t seen = 0;
  for (const char* capture : {"capture-default.txt", "capture-split.txt", "capture-force.txt"}) {
    for (const auto& payload : payloads(capture)) {
      const auto decoded = decode(payload);
      ASSERT_TRUE(std::holds_alternative<Message>(decoded))
          << capture << ": " << std::get<DecodeError>(decoded).reason;
      EXPECT_EQ(encode(std::get<Message>(decoded)), payload) << capture;
      ++seen;
    }
  }
  EXPECT_GT(seen, 90u);
}

TEST(BeaconMessages, DefaultVersMatchesTheSpecBytes) {
  // spec section 5: vers with the defaults, node "a".
  const std::string expected = from_hex(
      "89a174a476657273a46e6f6465a161a56379636c650aa3676170cb3ff8000000000000a56e6f64657305a673706c"
      "69747304a76e5f686f7374730aa776657273696f6e00a8666f7263655f696e00");
  EXPECT_EQ(encode(SetupMessage{"a", Config{}}), expected);
  EXPECT_EQ(encode(InitMessage{"a"}), from_hex("82a174a4696e6974a46e6f6465a161"));
}

TEST(BeaconMessages, PingAndHistRoundTrip) {
  const PingMessage ping{
      "n1", Value(Value::Array{Value(3), Value("n1@127.0.0.1:5051")}), {"n1", "n2"}};
  const auto decoded = std::get<Message>(decode(encode(ping)));
  const auto& back = std::get<PingMessage>(decoded);
  EXPECT_EQ(back.node, "n1");
  EXPECT_EQ(back.value, ping.value);
  EXPECT_EQ(back.history, ping.history);

  const HistoryMessage hist{Value(31), {"n1", "n3"}};
  const auto hist_back = std::get<HistoryMessage>(std::get<Message>(decode(encode(hist))));
  EXPECT_EQ(node_of(Message(hist_back)), "n1");
  EXPECT_EQ(encode(hist).find("node"), std::string::npos);  // never a node key in hist
}

std::string reason_for(const std::string& payload) {
  const auto decoded = decode(payload);
  return std::holds_alternative<DecodeError>(decoded) ? std::get<DecodeError>(decoded).reason : "";
}

TEST(BeaconMessages, MalformedPayloadsAreErrorsNotCrashes) {
  EXPECT_NE(reason_for("garbage"), "");                      // not msgpack / trailing bytes
  EXPECT_EQ(reason_for(from_hex("93010203")), "not a map");  // [1,2,3]
  EXPECT_EQ(reason_for(from_hex("81c40174a4696e6974")), "a key that is not a str");  // bin key
  EXPECT_EQ(reason_for(from_hex("81a174a3666f6f")), "unknown message type 'foo'");
  EXPECT_EQ(reason_for(from_hex("81a16e01")), "no str 't'");
  EXPECT_EQ(reason_for(from_hex("82a174a4696e6974a46e6f646501")), "init without a str 'node'");
  // hist with a node key, as an asyncactor peer would choke on
  EXPECT_EQ(
      reason_for(from_hex("84a174a468697374a46e6f6465a161a576616c7565c0a7686973746f727991a161")),
      "hist with a 'node' key");
  // ping whose history holds a number
  EXPECT_NE(
      reason_for(from_hex("84a174a470696e67a46e6f6465a161a576616c7565c0a7686973746f72799101")), "");
  // an array far larger than any history: rejected by the unpacker's limits
  std::string huge = from_hex("dd00100000");  // array32 of 1 Mi elements, no elements present
  EXPECT_NE(reason_for(huge), "");
  // truncated vers
  const std::string vers = encode(SetupMessage{"a", Config{}});
  EXPECT_NE(reason_for(vers.substr(0, vers.size() - 3)), "");
}

TEST(BeaconMessages, IntegralFloatsStayFloat64) {
  // cycle=2.0 in capture-split.txt is a float; msgpack-cxx alone would write it as the int 2.
  const std::string packed = encode(PingMessage{"a", Value(2.0), {"a"}});
  EXPECT_NE(packed.find(from_hex("cb4000000000000000")), std::string::npos);
}

TEST(BeaconMessages, VersWithoutNodeIsAccepted) {
  // update_config() sends vers without a node (spec 2.2).
  const SetupMessage setup{std::nullopt, Config{}};
  const auto back = std::get<SetupMessage>(std::get<Message>(decode(encode(setup))));
  EXPECT_FALSE(back.node);
  EXPECT_EQ(back.config.gap, Value(1.5));
}

}  // namespace
}  // namespace compactor::beacon
