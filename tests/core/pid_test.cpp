// SPDX-License-Identifier: Apache-2.0
#include <compactor/pid.hpp>  // first: the header compiles on its own

#include "core/pid_text.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <unordered_set>

namespace compactor {
namespace {

TEST(Pid, ParsesAndFormatsIpv4) {
  const PID pid = PID::parse("pong@127.0.0.1:5051");
  EXPECT_EQ(pid.id, "pong");
  EXPECT_EQ(pid.address.ip, "127.0.0.1");
  EXPECT_EQ(pid.address.port, 5051);
  EXPECT_EQ(pid.to_string(), "pong@127.0.0.1:5051");
  std::ostringstream out;
  out << pid;
  EXPECT_EQ(out.str(), "pong@127.0.0.1:5051");
}

TEST(Pid, SplitsAtFirstAtThenFirstColon) {
  // As libprocess: the id keeps everything before the first '@'; generated ids have parentheses.
  const PID pid = PID::parse("slave(1)@10.0.0.2:5051");
  EXPECT_EQ(pid.id, "slave(1)");
  EXPECT_EQ(pid.address.port, 5051);
  EXPECT_FALSE(PID::try_parse("a@b@127.0.0.1:1"));  // host "b@127.0.0.1" does not resolve
}

TEST(Pid, ParsesBracketedIpv6) {
  const PID pid = PID::parse("pong@[::1]:5051");
  EXPECT_EQ(pid.address.ip, "::1");
  EXPECT_EQ(pid.to_string(), "pong@[::1]:5051");
  EXPECT_EQ(PID::parse("x@[0:0:0:0:0:0:0:1]:7").address.ip, "::1");  // canonical form
  EXPECT_THROW(PID::parse("x@[127.0.0.1]:7"), std::invalid_argument);
  EXPECT_THROW(PID::parse("x@[::1:7"), std::invalid_argument);
}

TEST(Pid, ResolvesHostNamesToIpv4) {
  const PID pid = PID::parse("pong@localhost:5051");
  EXPECT_EQ(pid.address.ip, "127.0.0.1");
}

TEST(Pid, RejectsInvalidTextWithAClearMessage) {
  for (const char* text : {"", "pong", "@127.0.0.1:1", "pong@", "pong@127.0.0.1", "pong@:1",
                           "pong@127.0.0.1:", "pong@127.0.0.1:65536", "pong@127.0.0.1:-1",
                           "pong@127.0.0.1:1x", "pong@no.such.host.invalid:1"}) {
    EXPECT_FALSE(PID::try_parse(text)) << text;
    EXPECT_THROW(PID::parse(text), std::invalid_argument) << text;
  }
  try {
    PID::parse("pong@127.0.0.1:99999");
    FAIL();
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "invalid PID 'pong@127.0.0.1:99999': invalid port '99999'");
  }
}

TEST(Pid, EmptyPidFormatsAsEmpty) {
  EXPECT_TRUE(PID().empty());
  EXPECT_EQ(PID().to_string(), "");
}

TEST(Pid, ComparesAndHashes) {
  std::unordered_set<PID> set{PID::parse("a@127.0.0.1:1"), PID::parse("a@127.0.0.1:1"),
                              PID::parse("a@127.0.0.1:2")};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_LT(PID::parse("a@127.0.0.1:1"), PID::parse("b@127.0.0.1:1"));
}

TEST(Pid, LiteralParsingNeverResolves) {
  EXPECT_TRUE(detail::parse_literal_pid("a@127.0.0.1:1"));
  EXPECT_FALSE(detail::parse_literal_pid("a@localhost:1"));
  EXPECT_FALSE(detail::parse_literal_pid("garbage"));
}

TEST(Address, ParsesHostPortAsAPidsAddress) {
  EXPECT_EQ(Address::parse("127.0.0.1:5051"), (Address{"127.0.0.1", 5051}));
  EXPECT_EQ(Address::parse("[::1]:80"), (Address{"::1", 80}));
  EXPECT_EQ(Address::parse("localhost:1").ip, "127.0.0.1");
  EXPECT_EQ(Address::parse("10.0.0.1:0").port, 0);
  for (const char* bad : {"", ":1", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "[::1:1",
                          "[127.0.0.1]:1", "no.such.host.invalid:1", "1.2.3.4:5x"}) {
    EXPECT_THROW(Address::parse(bad), std::invalid_argument) << bad;
    EXPECT_FALSE(Address::try_parse(bad)) << bad;
  }
  EXPECT_EQ(PID::parse("a@127.0.0.1:9").address, Address::parse("127.0.0.1:9"));
}

}  // namespace
}  // namespace compactor
