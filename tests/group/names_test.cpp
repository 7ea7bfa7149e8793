// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/names.hpp>  // first: the header compiles on its own

#include "beacon/messages.hpp"
#include "beacon/name_messages.hpp"

#include "support/named_group.hpp"

#include <gtest/gtest.h>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;
using testing::NamedGroup;

const PID kService = PID::parse("svc@127.0.0.1:4000");
const PID kOtherService = PID::parse("svc@127.0.0.1:5000");

TEST(Names, ALookupAsksAndOnlyTheHolderAnswers) {
  NamedGroup group;
  group.add("a");
  group.add("b");
  group.run_for(30s);
  EXPECT_EQ(group["a"].publish("svc", kService), 1u);
  group.run_for(10ms);
  EXPECT_EQ(group["b"].find("svc")->pid, kService) << "b heard the publication";

  group.add("c");  // a newcomer knows nothing, and asks
  const auto before = group.name_payloads().size();
  auto found = group["c"].lookup("svc", 10s);
  EXPECT_TRUE(found.is_pending());
  group.run_for(10ms);
  ASSERT_TRUE(found.is_ready());
  EXPECT_EQ(found.get(), kService);
  EXPECT_EQ(group.name_payloads().size() - before, 2u) << "one ask, one answer (from a only)";
  const auto holder = group["c"].find("svc");
  EXPECT_EQ(holder->member, "a");
  EXPECT_EQ(holder->epoch, 1u);
  EXPECT_TRUE(group["b"].lookup("svc", 1s).is_ready()) << "known: no asking";
}

TEST(Names, ALookupOfANameNobodyHoldsFailsAfterItsTimeout) {
  NamedGroup group;
  group.add("a");
  group.run_for(30s);
  const auto before = group.name_payloads().size();
  auto found = group["a"].lookup("nobody", 10s);
  group.run_for(9900ms);
  EXPECT_TRUE(found.is_pending());
  group.run_for(200ms);
  ASSERT_TRUE(found.is_failed());
  EXPECT_THROW(found.get(), NameNotFound);
  EXPECT_NE(found.failure().find("nobody holds the name 'nobody' on local:group/names"),
            std::string::npos)
      << found.failure();
  // Asked at 0, 1, 3 and 7 s (back-off), then no more.
  EXPECT_EQ(group.name_payloads().size() - before, 4u);
  group.run_for(10min);
  EXPECT_EQ(group.name_payloads().size() - before, 4u);
}

TEST(Names, AWatchSeesEveryHolderThenNobody) {
  NamedGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name);
  group.run_for(30s);
  std::vector<NameEvent> seen_by_b, seen_by_a;
  group["b"].watch("svc", [&](const NameEvent& event) { seen_by_b.push_back(event); });
  group["a"].publish("svc", kService);
  group.run_for(10ms);
  group["a"].watch("svc", [&](const NameEvent& event) { seen_by_a.push_back(event); });
  group["c"].publish("svc", kOtherService);  // outbids a: epoch 2
  group.run_for(10ms);
  group["c"].stop();  // says goodbye
  group.run_for(10ms);

  ASSERT_EQ(seen_by_b.size(), 3u);
  EXPECT_EQ(seen_by_b[0].holder->member, "a");
  EXPECT_EQ(seen_by_b[0].holder->epoch, 1u);
  EXPECT_EQ(seen_by_b[1].holder->member, "c");
  EXPECT_EQ(seen_by_b[1].holder->pid, kOtherService);
  EXPECT_EQ(seen_by_b[1].holder->epoch, 2u);
  EXPECT_FALSE(seen_by_b[2].holder) << "nobody";
  ASSERT_EQ(seen_by_a.size(), 3u) << "the current holder at once, then the changes";
  EXPECT_EQ(seen_by_a[0].holder->member, "a");
  EXPECT_EQ(seen_by_a[1].holder->member, "c") << "a was outbid";
  EXPECT_FALSE(seen_by_a[2].holder);
}

TEST(Names, TheNamesOfAGoneMemberDisappearAndComeBackWithIt) {
  NamedGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name);
  group.run_for(60s);
  group["a"].publish("svc", kService);
  std::vector<NameEvent> seen;
  group.run_for(10ms);
  group["b"].watch("svc", [&](const NameEvent& event) { seen.push_back(event); });
  group.partition("a", 1);
  group.run_for(4min);  // gone after 12 cycles of at most 13.75 s
  EXPECT_FALSE(group["b"].find("svc"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[1].holder);

  group.partition("a", 0);
  group.run_for(2min);
  ASSERT_TRUE(group["b"].find("svc")) << "a came back, and b asked";
  EXPECT_EQ(group["b"].find("svc")->member, "a");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].holder->pid, kService);
}

TEST(Names, TwoHoldersAfterAShortPartitionSettleOnOne) {
  NamedGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name);
  group.run_for(60s);
  group.partition("a", 1);
  group["a"].publish("svc", kService);
  group["b"].publish("svc", kOtherService);  // both epoch 1, each unaware of the other
  group.run_for(30s);
  EXPECT_EQ(group["a"].find("svc")->member, "a");
  EXPECT_EQ(group["c"].find("svc")->member, "b");
  group.partition("a", 0);
  group.run_for(10 * 14s);  // a refresh comes within 10 longest cycles
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(group[name].find("svc")) << name;
    EXPECT_EQ(group[name].find("svc")->member, "b") << name << ": the tie goes to the greater name";
  }
}

TEST(Names, TheGroupChannelCarriesOnlyAsyncactorMessages) {
  NamedGroup group;
  for (const char* name : {"a", "b"}) group.add(name);
  group["a"].publish("svc", kService);
  (void)group["b"].lookup("other", 5s);
  group.run_for(2min);
  ASSERT_FALSE(group.group_payloads().empty());
  ASSERT_FALSE(group.name_payloads().empty());
  for (const auto& payload : group.group_payloads()) {
    EXPECT_TRUE(std::holds_alternative<Message>(decode(payload)));
  }
  for (const auto& payload : group.name_payloads()) {
    EXPECT_TRUE(std::holds_alternative<NameMessage>(decode_name_message(payload)));
  }
}

TEST(Names, StoppingFailsWaitingLookupsAndGarbageIsCounted) {
  NamedGroup group;
  group.add("a");
  group.add("b");
  auto found = group["a"].lookup("svc", 1h);
  EXPECT_THROW(group["b"].publish("svc", PID()), std::invalid_argument) << "no one could use it";
  auto intruder = group.names_channel();
  intruder->send("garbage");
  intruder->send(encode(NameMessage{NameMessage::Kind::hold, "x", "svc", "not a pid", 9}));
  group.run_for(10ms);
  EXPECT_TRUE(found.is_pending()) << "a holder with no usable PID is no answer";
  EXPECT_EQ(group["a"].ignored_messages(), 1u);
  group["a"].stop();
  ASSERT_TRUE(found.is_failed());
  EXPECT_NE(found.failure().find("stopped before 'svc' was found"), std::string::npos);
  EXPECT_TRUE(group["a"].lookup("svc", 1s).is_failed());
}

}  // namespace
}  // namespace compactor::beacon
