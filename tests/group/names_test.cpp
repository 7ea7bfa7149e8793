// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/names.hpp>  // first: the header compiles on its own

#include "beacon/messages.hpp"
#include "beacon/name_messages.hpp"

#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>

#include <gtest/gtest.h>

#include <map>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;

// Members with names on a LocalBus on a ManualClock: hours of group life in a second.
class NamedGroup {
 public:
  struct Node {
    Channel* channel = nullptr;  // the member's, for partitions (its sibling follows it)
    std::unique_ptr<Member> member;
    std::unique_ptr<Names> names;  // after the member: destroyed first
  };

  NamedGroup() : bus_("group", &clock_) {
    bus_.set_default_link({.delay = 1ms});
    // Every payload of either lane, to check what travels where.
    for (auto* lane : {&group_payloads_, &name_payloads_}) {
      auto& probe = probes_.emplace_back(
          lane == &group_payloads_ ? bus_.channel() : bus_.channel()->sibling("names"));
      probe->open([lane](std::string_view payload) { lane->emplace_back(payload); }, nullptr);
    }
  }

  Node& add(const std::string& name) {
    auto& node = nodes_[name];
    auto channel = bus_.channel();
    auto names_channel = channel->sibling("names");
    node.channel = channel.get();
    Member::Options options;
    options.seed = nodes_.size();
    options.clock = &clock_;
    node.member = std::make_unique<Member>(name, std::move(channel), options);
    node.member->set_value(1);
    node.member->start();
    node.names = std::make_unique<Names>(*node.member, std::move(names_channel),
                                         NamesOptions{.clock = &clock_});
    node.names->start();
    return node;
  }

  Names& operator[](const std::string& name) { return *nodes_.at(name).names; }
  void partition(const std::string& name, int partition) {
    bus_.set_partition(*nodes_.at(name).channel, partition);
  }
  void run_for(Clock::duration duration) { clock_.advance(duration); }
  std::unique_ptr<Channel> names_channel() { return bus_.channel()->sibling("names"); }

  const std::vector<std::string>& group_payloads() const { return group_payloads_; }
  const std::vector<std::string>& name_payloads() const { return name_payloads_; }

 private:
  ManualClock clock_;
  LocalBus bus_;
  std::vector<std::string> group_payloads_, name_payloads_;
  std::vector<std::unique_ptr<Channel>> probes_;
  std::map<std::string, Node> nodes_;
};

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
