// SPDX-License-Identifier: Apache-2.0
#include "beacon/name_table.hpp"

#include "beacon/messages.hpp"
#include "support/virtual_time.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace compactor::beacon {
namespace {

using Kind = NameMessage::Kind;
using testing::time_at;
using namespace std::chrono_literals;

// Tests without leases do not care what time it is.
const util::Time kT0{};

NameMessage decoded(const std::string& payload) {
  auto result = decode_name_message(payload);
  if (auto* error = std::get_if<NameDecodeError>(&result)) {
    ADD_FAILURE() << error->reason;
    return {};
  }
  return std::get<NameMessage>(result);
}

std::string hold(const std::string& member, const std::string& name, const std::string& pid,
                 std::uint64_t epoch) {
  return encode(NameMessage{Kind::hold, member, name, pid, epoch});
}

std::vector<NameMessage> broadcasts_of(NameTable& table) {
  std::vector<NameMessage> messages;
  for (const auto& payload : table.take_actions().broadcasts) messages.push_back(decoded(payload));
  return messages;
}

TEST(NameMessages, EachKindRoundTrips) {
  const NameMessage messages[] = {{Kind::hold, "a", "svc", "svc@127.0.0.1:1", 7},
                                  {Kind::drop, "a", "svc", "", 7},
                                  {Kind::ask, "b", "svc", "", 0},
                                  {Kind::bye, "c", "", "", 0},
                                  {Kind::vacant, "d", "svc", "", 4}};
  for (const auto& message : messages) {
    const auto back = decoded(encode(message));
    EXPECT_EQ(back.kind, message.kind);
    EXPECT_EQ(back.member, message.member);
    EXPECT_EQ(back.name, message.name);
    EXPECT_EQ(back.pid, message.pid);
    EXPECT_EQ(back.epoch, message.epoch);
  }
}

TEST(NameMessages, WhatIsNotOneIsRefusedWithAReason) {
  auto reason = [](std::string_view payload) {
    auto result = decode_name_message(payload);
    return std::holds_alternative<NameDecodeError>(result)
               ? std::get<NameDecodeError>(result).reason
               : std::string("(accepted)");
  };
  EXPECT_NE(reason("\xc1").find("not msgpack"), std::string::npos);
  EXPECT_EQ(reason("\x91\x01"), "not a map");
  // A beacon ping (the group's own channel) is not a name message.
  EXPECT_EQ(reason(encode(Message{PingMessage{"a", Value(1), {"a"}}})), "no str 'names'");
  NameMessage bad{Kind::hold, "a", "svc", "", 1};
  EXPECT_EQ(reason(encode(bad)), "hold without a 'pid'");
  bad = {Kind::ask, "a", "", "", 0};
  EXPECT_EQ(reason(encode(bad)), "ask without a 'name'");
  bad = {Kind::bye, "", "", "", 0};
  EXPECT_EQ(reason(encode(bad)), "no 'member'");
}

TEST(NameTable, APublicationGoesAboveEveryEpochSeen) {
  NameTable table("a");
  EXPECT_EQ(table.publish(kT0, "svc", "svc@127.0.0.1:1"), 1u);
  auto sent = broadcasts_of(table);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, Kind::hold);
  EXPECT_EQ(sent[0].epoch, 1u);

  table.receive(kT0, hold("b", "svc", "svc@127.0.0.1:2", 5));  // outbids ours
  ASSERT_NE(table.find("svc"), nullptr);
  EXPECT_EQ(table.find("svc")->member, "b");
  const auto changes = table.take_actions().changes;  // since broadcasts_of() took ours
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].holding->epoch, 5u);
  EXPECT_EQ(table.publish(kT0, "svc", "svc@127.0.0.1:1"), 6u);
}

TEST(NameTable, TheHolderDefendsItsNameAgainstALowerEpoch) {
  NameTable table("a");
  table.publish(kT0, "svc", "svc@127.0.0.1:1");
  table.publish(kT0, "svc", "svc@127.0.0.1:1");  // epoch 2
  table.take_actions().broadcasts;
  table.receive(kT0, hold("b", "svc", "svc@127.0.0.1:2", 1));  // the other side of a healed cut
  EXPECT_EQ(table.find("svc")->member, "a");
  const auto sent = broadcasts_of(table);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, Kind::hold);
  EXPECT_EQ(sent[0].epoch, 2u);

  // A tie goes to the greater member name, on every member alike.
  NameTable other("x");
  other.receive(kT0, hold("b", "svc", "svc@127.0.0.1:2", 3));
  other.receive(kT0, hold("a", "svc", "svc@127.0.0.1:1", 3));
  EXPECT_EQ(other.find("svc")->member, "b");
}

TEST(NameTable, OnlyTheHolderAnswersAnAsk) {
  NameTable holder("a"), bystander("c");
  holder.publish(kT0, "svc", "svc@127.0.0.1:1");
  bystander.receive(kT0, hold("a", "svc", "svc@127.0.0.1:1", 1));
  holder.take_actions().broadcasts;
  const auto ask = encode(NameMessage{Kind::ask, "b", "svc", "", 0});
  holder.receive(kT0, ask);
  bystander.receive(kT0, ask);
  EXPECT_EQ(broadcasts_of(holder).size(), 1u);
  EXPECT_TRUE(bystander.take_actions().broadcasts.empty());
}

TEST(NameTable, WhileNobodyHoldsANameEveryoneWhoSawItSaysHowHighItWent) {
  NameTable witness("w"), newcomer("n");
  witness.receive(kT0, hold("a", "svc", "svc@127.0.0.1:1", 4));
  witness.receive(kT0, encode(NameMessage{Kind::bye, "a", "", "", 0}));
  witness.take_actions().broadcasts;
  witness.receive(kT0, encode(NameMessage{Kind::ask, "n", "svc", "", 0}));
  const auto sent = witness.take_actions().broadcasts;
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(decoded(sent[0]).kind, Kind::vacant);
  newcomer.receive(kT0, sent[0]);
  EXPECT_EQ(newcomer.find("svc"), nullptr);
  EXPECT_EQ(newcomer.publish(kT0, "svc", "svc@127.0.0.1:2"), 5u);
  // A name never seen gets no answer from bystanders.
  witness.receive(kT0, encode(NameMessage{Kind::ask, "n", "other", "", 0}));
  EXPECT_TRUE(witness.take_actions().broadcasts.empty());
}

TEST(NameTable, NamesGoWithTheirMember) {
  NameTable table("x");
  table.receive(kT0, hold("a", "one", "one@127.0.0.1:1", 1));
  table.receive(kT0, hold("a", "two", "two@127.0.0.1:1", 1));
  table.receive(kT0, hold("b", "three", "three@127.0.0.1:2", 1));
  table.receive(kT0,
                encode(NameMessage{Kind::drop, "a", "one", "", 0}));  // an older holding's drop
  EXPECT_NE(table.find("one"), nullptr);
  table.receive(kT0, encode(NameMessage{Kind::bye, "a", "", "", 0}));
  EXPECT_EQ(table.find("one"), nullptr);
  EXPECT_EQ(table.find("two"), nullptr);
  table.forget_member("b");
  EXPECT_EQ(table.find("three"), nullptr);
  EXPECT_EQ(table.take_actions().changes.size(), 6u);
}

TEST(NameTable, AnUnreachablePidLosesItsNamesHereOnly) {
  NameTable table("x");
  table.publish(kT0, "mine", "p@127.0.0.1:9");
  table.receive(kT0, hold("a", "one", "p@127.0.0.1:1", 1));
  table.receive(kT0, hold("a", "two", "q@127.0.0.1:1", 1));
  table.take_actions().broadcasts;
  table.forget_pid("p@127.0.0.1:1");
  EXPECT_EQ(table.find("one"), nullptr);
  EXPECT_NE(table.find("two"), nullptr);
  table.forget_pid("p@127.0.0.1:9");
  EXPECT_NE(table.find("mine"), nullptr) << "its own names are not for its links to judge";
  EXPECT_TRUE(table.take_actions().broadcasts.empty()) << "a local view: nothing said";
}

// Serf's gossip does not keep one sender's events in order: a goodbye can come before a
// publication sent earlier, which must not bring the name back.
TEST(NameTable, ALateMessageFromAMemberIsDropped) {
  NameTable sender("a", NameTable::kMostNames, /*first_seq=*/100), table("x");
  sender.publish(kT0, "svc", "svc@127.0.0.1:1");
  const auto publication = sender.take_actions().broadcasts;
  sender.leave();
  const auto goodbye = sender.take_actions().broadcasts;
  table.receive(kT0, goodbye[0]);
  table.receive(kT0, publication[0]);  // overtaken on the way
  EXPECT_EQ(table.find("svc"), nullptr);
  // The same member run again counts from higher up (the driver: the time in µs).
  NameTable again("a", NameTable::kMostNames, /*first_seq=*/1000);
  again.publish(kT0, "svc", "svc@127.0.0.1:2");
  table.receive(kT0, again.take_actions().broadcasts[0]);
  ASSERT_NE(table.find("svc"), nullptr);
  EXPECT_EQ(table.find("svc")->pid, "svc@127.0.0.1:2");
  // A will carries no count: always taken.
  table.receive(kT0, again.farewell());
  EXPECT_EQ(table.find("svc"), nullptr);
}

TEST(NameTable, OurOwnWillMakesUsAnnounceAgain) {
  NameTable table("a");
  table.publish(kT0, "svc", "svc@127.0.0.1:1");
  table.take_actions().broadcasts;
  table.receive(kT0, hold("a", "svc", "svc@127.0.0.1:1", 1));  // our echo: nothing to do
  EXPECT_TRUE(table.take_actions().broadcasts.empty());
  table.receive(kT0, table.farewell());  // the broker lost us for a moment and told everyone
  const auto sent = broadcasts_of(table);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].name, "svc");
  EXPECT_NE(table.find("svc"), nullptr);
}

TEST(NameTable, ALeasedNameLapsesUnlessRepeatedAndItsHolderHearsItself) {
  NameTable holder("a"), other("b");
  EXPECT_EQ(holder.publish(time_at(0), "svc", "svc@127.0.0.1:1", /*lease=*/3s), 1u);
  const auto first = holder.take_actions().broadcasts;
  EXPECT_EQ(decoded(first[0]).lease_ms, 3000u);
  other.receive(time_at(0), first[0]);
  EXPECT_EQ(holder.next_deadline(), time_at(1));  // a third of the lease
  holder.on_deadline(time_at(1));
  const auto repeated = holder.take_actions().broadcasts;
  ASSERT_EQ(repeated.size(), 1u);
  holder.receive(time_at(1), repeated[0]);  // its echo: renewed until 4
  other.receive(time_at(1), repeated[0]);
  holder.on_deadline(time_at(3.5));
  other.on_deadline(time_at(3.5));
  EXPECT_NE(holder.find("svc"), nullptr);
  EXPECT_NE(other.find("svc"), nullptr);
  // Cut off: nothing comes back, and nothing reaches the other.
  holder.on_deadline(time_at(4));
  other.on_deadline(time_at(4));
  EXPECT_EQ(holder.find("svc"), nullptr) << "its own echo stopped: it lost the name";
  EXPECT_EQ(other.find("svc"), nullptr);
  EXPECT_EQ(holder.next_deadline(), util::kNever);
}

TEST(NameTable, AFloodOfNamesIsBounded) {
  NameTable table("x", /*max_names=*/3);
  for (int i = 0; i < 10; ++i) {
    table.receive(kT0, hold("a", "n" + std::to_string(i), "p@127.0.0.1:1", 1));
  }
  EXPECT_NE(table.find("n2"), nullptr);
  EXPECT_EQ(table.find("n3"), nullptr);
  EXPECT_EQ(table.take_actions().ignored.size(), 7u);
  EXPECT_THROW(table.publish(kT0, "mine", "p@127.0.0.1:1"), std::length_error);
}

}  // namespace
}  // namespace compactor::beacon
