// SPDX-License-Identifier: Apache-2.0
// The outbound connection's rules without a socket: each lifecycle path is driven by events and
// time given by the test.

#include "connection/outbound_lifecycle.hpp"

#include <gtest/gtest.h>

#include <string>

namespace compactor::connection {
namespace {

using namespace std::chrono_literals;
using State = OutboundLifecycle::State;
using What = OutboundLifecycle::Due::What;

const Time t0 = Time() + 1h;

OutboundRules rules() {
  return {.high_water_bytes = 1000,
          .connect_timeout = 20s,
          .write_timeout = 10s,
          .idle_timeout = 1s,
          .shutdown_timeout = 5s,
          .tls = false,
          .support_downgrade = false};
}

wire::OutgoingMessage message(std::string_view body = "hello") {
  return {"sender@127.0.0.1:1", "receiver", "127.0.0.1:2", "greet", body};
}

// A lifecycle connected in plaintext at t0 with nothing queued.
OutboundLifecycle open_at_t0(OutboundRules given = rules()) {
  OutboundLifecycle life(given, t0);
  life.start(t0);
  EXPECT_FALSE(life.wants_handshake());
  EXPECT_EQ(life.established("plaintext", nullptr), OutboundLifecycle::Opened::idle);
  return life;
}

// Writes everything queued through the asynchronous path, in one write.
std::string write_all(OutboundLifecycle& life, Time now) {
  const auto step = life.take_for_writing(now);
  EXPECT_EQ(step.next, OutboundLifecycle::Next::write);
  std::string bytes(step.bytes);
  EXPECT_TRUE(life.wrote(bytes.size(), now).empty());
  return bytes;
}

TEST(OutboundLifecycle, QueuesWhileConnectingAndWritesOnceEstablished) {
  OutboundLifecycle life(rules(), t0);
  life.start(t0);
  EXPECT_EQ(life.enqueue(message("one"), t0), OutboundLifecycle::Queued::later);
  EXPECT_EQ(life.enqueue(message("two"), t0), OutboundLifecycle::Queued::later);
  EXPECT_EQ(life.state(), State::connecting);
  EXPECT_EQ(life.established("plaintext", nullptr), OutboundLifecycle::Opened::write);
  const auto bytes = write_all(life, t0);
  EXPECT_NE(bytes.find("one"), std::string::npos);
  EXPECT_LT(bytes.find("one"), bytes.find("two"));  // in the order queued
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::idle);
  EXPECT_EQ(life.stats().messages, 2U);
  EXPECT_EQ(life.stats().bytes, bytes.size());
}

TEST(OutboundLifecycle, RefusedConnectionEndsAndTellsEveryLinker) {
  OutboundLifecycle life(rules(), t0);
  life.start(t0);
  const PID linker("a", Address{"127.0.0.1", 1});
  const PID target("b", Address{"127.0.0.1", 2});
  ASSERT_TRUE(life.add_link(linker, target));
  life.enqueue(message(), t0);
  const auto ended = life.end();  // the driver's "cannot connect: refused"
  EXPECT_TRUE(ended.now);
  EXPECT_EQ(ended.lost_messages, 1U);  // counted, not silently dropped
  ASSERT_EQ(ended.links.size(), 1U);
  EXPECT_EQ(ended.links[0].first, linker);
  EXPECT_EQ(ended.links[0].second, target);
  EXPECT_FALSE(life.end().now);  // ends once
  EXPECT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::refused);
  EXPECT_EQ(life.next_deadline(), kNever);
}

TEST(OutboundLifecycle, UnansweredConnectFailsAtTheConnectDeadline) {
  OutboundLifecycle life(rules(), t0);
  EXPECT_EQ(life.next_deadline(), kNever);  // not started: waits for its predecessor
  life.start(t0);
  EXPECT_EQ(life.next_deadline(), t0 + 20s);
  EXPECT_EQ(life.on_deadline(t0 + 19s).what, What::nothing);
  const auto due = life.on_deadline(t0 + 20s);
  EXPECT_EQ(due.what, What::fail);
  EXPECT_NE(due.reason.find("dead_peer_timeout 20000 ms"), std::string::npos);
}

TEST(OutboundLifecycle, ResetWhileOpenIsAFailure) {
  auto life = open_at_t0();
  EXPECT_EQ(life.read_ended(false, "Connection reset by peer"), "Connection reset by peer");
  EXPECT_EQ(life.read_ended(true, "End of file"), "closed by peer");
}

TEST(OutboundLifecycle, IdleTemporaryConnectionClosesGracefully) {
  auto life = open_at_t0();
  life.enqueue(message(), t0);
  write_all(life, t0);
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::idle);
  EXPECT_EQ(life.next_deadline(), t0 + 1s);  // idle_timeout after the last message
  EXPECT_EQ(life.on_deadline(t0 + 999ms).what, What::nothing);
  EXPECT_EQ(life.on_deadline(t0 + 1s).what, What::close);
  ASSERT_TRUE(life.begin_closing(t0 + 1s));
  EXPECT_EQ(life.state(), State::closing);
  EXPECT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::refused);  // a new one, please
  // The peer answers our FIN with its own: a graceful close, nobody is told exited.
  EXPECT_EQ(life.read_ended(true, "End of file"), "");
  EXPECT_EQ(life.end().lost_messages, 0U);
}

TEST(OutboundLifecycle, PeerThatNeverAnswersOurFinIsGivenUpAfterShutdownTimeout) {
  auto life = open_at_t0();
  ASSERT_TRUE(life.begin_closing(t0 + 2s));
  EXPECT_EQ(life.next_deadline(), t0 + 7s);
  EXPECT_EQ(life.on_deadline(t0 + 7s).what, What::end);
}

TEST(OutboundLifecycle, NewMessagesPostponeTheIdleClose) {
  auto life = open_at_t0();
  life.enqueue(message(), t0 + 500ms);
  EXPECT_FALSE(life.begin_closing(t0 + 500ms));  // not idle: something is queued
  write_all(life, t0 + 600ms);
  EXPECT_EQ(life.take_for_writing(t0 + 600ms).next, OutboundLifecycle::Next::idle);
  EXPECT_EQ(life.on_deadline(t0 + 1s).what, What::nothing);
  EXPECT_EQ(life.next_deadline(), t0 + 1500ms);
}

TEST(OutboundLifecycle, LinkedConnectionIsPersistentUntilAskedToClose) {
  auto life = open_at_t0();
  ASSERT_TRUE(life.add_link(PID("a", Address{"127.0.0.1", 1}), PID("b", Address{"127.0.0.1", 2})));
  EXPECT_EQ(life.next_deadline(), kNever);
  EXPECT_FALSE(life.begin_closing(t0 + 1h));
  EXPECT_TRUE(life.request_close());  // context shutdown, nothing queued: close now
  EXPECT_TRUE(life.begin_closing(t0 + 1h));
}

TEST(OutboundLifecycle, NothingIsTakenForWritingBeforeItIsOpen) {
  OutboundLifecycle life(rules(), t0);
  life.start(t0);
  life.enqueue(message(), t0);
  const auto step = life.take_for_writing(t0);
  EXPECT_EQ(step.next, OutboundLifecycle::Next::idle);
  EXPECT_EQ(step.deadline, life.next_deadline());  // the connect deadline
  EXPECT_EQ(life.established("plaintext", nullptr), OutboundLifecycle::Opened::write);
}

TEST(OutboundLifecycle, CloseRequestedWhileWritingClosesOnceWritten) {
  auto life = open_at_t0();
  life.enqueue(message(), t0);
  const auto step = life.take_for_writing(t0);
  ASSERT_EQ(step.next, OutboundLifecycle::Next::write);
  EXPECT_FALSE(life.request_close());
  EXPECT_TRUE(life.wrote(step.bytes.size(), t0).empty());
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::close);
}

TEST(OutboundLifecycle, ZeroIdleTimeoutClosesAsSoonAsWrittenAndWritesOnTheDriversSide) {
  auto given = rules();
  given.idle_timeout = 0s;
  auto life = open_at_t0(given);
  EXPECT_FALSE(life.may_write_directly());
  life.enqueue(message(), t0);
  write_all(life, t0);
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::close);
}

TEST(OutboundLifecycle, StuckWriteFailsAfterWriteTimeoutButASlowOneDoesNot) {
  auto life = open_at_t0();
  life.enqueue(message(std::string(100, 'x')), t0);
  const auto step = life.take_for_writing(t0);
  ASSERT_EQ(step.next, OutboundLifecycle::Next::write);
  EXPECT_EQ(step.deadline, t0 + 10s);
  EXPECT_EQ(life.wrote(10, t0 + 9s).size(),
            step.bytes.size() - 10);  // slow progress moves the deadline
  EXPECT_EQ(life.on_deadline(t0 + 10s).what, What::nothing);
  EXPECT_EQ(life.next_deadline(), t0 + 19s);
  const auto due = life.on_deadline(t0 + 19s);
  EXPECT_EQ(due.what, What::fail);
  EXPECT_NE(due.reason.find("write_timeout"), std::string::npos);
  EXPECT_EQ(life.end().lost_messages, 1U);
}

TEST(OutboundLifecycle, FlowControlHoldsSendersUntilTheQueueIsTakenForWriting) {
  auto life = open_at_t0();
  const std::string body(600, 'x');
  EXPECT_EQ(life.enqueue(message(body), t0), OutboundLifecycle::Queued::writable);
  life.hand_to_writer();  // the direct write could not go: the I/O side writes
  EXPECT_FALSE(life.congested());
  EXPECT_EQ(life.enqueue(message(body), t0), OutboundLifecycle::Queued::later);
  EXPECT_TRUE(life.congested());  // over high_water_bytes: the driver holds its senders
  life.count_held_sender();
  ASSERT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::write);
  EXPECT_FALSE(life.congested());  // relieved: senders go on while the write is under way
  EXPECT_EQ(life.stats().pauses, 1U);
}

TEST(OutboundLifecycle, PartialDirectWriteLeavesTheRestToTheWriter) {
  auto life = open_at_t0();
  ASSERT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::writable);
  ASSERT_TRUE(life.may_write_directly());
  const std::string all = *life.bytes_for_direct_write();
  EXPECT_FALSE(life.wrote_directly(10));
  life.hand_to_writer();
  EXPECT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::later);  // behind the rest
  const auto step = life.take_for_writing(t0);
  ASSERT_EQ(step.next, OutboundLifecycle::Next::write);
  EXPECT_EQ(step.bytes.substr(0, all.size() - 10), all.substr(10));
}

TEST(OutboundLifecycle, BatchFlushWritesOnceAtTheEnd) {
  auto life = open_at_t0();
  ASSERT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::writable);
  life.promise_flush();
  EXPECT_EQ(life.enqueue(message(), t0), OutboundLifecycle::Queued::later);
  EXPECT_TRUE(life.flush());
  EXPECT_FALSE(OutboundLifecycle(rules(), t0).flush());  // not open: nothing to flush
}

// The ordering rule: a message sent after a connection began closing goes on a new connection,
// which starts only once the old one is closed, so it cannot overtake the old one's messages.
TEST(OutboundLifecycle, SuccessorStartsOnlyOnceThePredecessorIsClosed) {
  auto old = open_at_t0();
  ASSERT_TRUE(old.begin_closing(t0 + 1s));
  EXPECT_EQ(old.enqueue(message(), t0 + 1s), OutboundLifecycle::Queued::refused);
  OutboundLifecycle successor(rules(), t0 + 1s);
  EXPECT_EQ(successor.enqueue(message(), t0 + 1s), OutboundLifecycle::Queued::later);
  ASSERT_TRUE(old.start_successor_after_close());
  EXPECT_EQ(successor.next_deadline(), kNever);  // waits, not connecting
  EXPECT_TRUE(old.end().start_successor);
  successor.start(t0 + 2s);
  EXPECT_EQ(successor.next_deadline(), t0 + 22s);
  EXPECT_FALSE(old.start_successor_after_close());  // closed: start the next one at once
}

TEST(OutboundLifecycle, RefusedHandshakeDowngradesOnlyWhenAllowed) {
  auto given = rules();
  given.tls = true;
  OutboundLifecycle strict(given, t0);
  strict.start(t0);
  EXPECT_TRUE(strict.wants_handshake());
  EXPECT_EQ(strict.handshake_refused(), OutboundLifecycle::Refusal::fail);

  given.support_downgrade = true;
  OutboundLifecycle lenient(given, t0);
  lenient.start(t0);
  EXPECT_EQ(lenient.handshake_refused(), OutboundLifecycle::Refusal::connect_plaintext);
  EXPECT_FALSE(lenient.wants_handshake());
  EXPECT_EQ(lenient.next_deadline(), t0 + 20s);  // the connect deadline still runs

  OutboundLifecycle gone(given, t0);
  gone.start(t0);
  gone.end();  // failed meanwhile (the connect deadline)
  EXPECT_EQ(gone.handshake_refused(), OutboundLifecycle::Refusal::ignore);
}

class UpperCaseSealer final : public RecordSealer {
 public:
  bool seal(std::string_view plaintext, std::string& out) override {
    out += '[';
    for (char c : plaintext) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += ']';
    return !broken;
  }
  bool broken = false;  // the session failed: what is sealed next is lost
};

TEST(OutboundLifecycle, TlsRecordsLeaveInTheOrderSealed) {
  OutboundLifecycle life(rules(), t0);
  life.start(t0);
  life.enqueue(message("one"), t0);
  UpperCaseSealer sealer;
  ASSERT_EQ(life.established("TLSv1.3 TEST", &sealer), OutboundLifecycle::Opened::write);
  EXPECT_EQ(life.security(), "TLSv1.3 TEST");
  const auto first = write_all(life, t0);
  EXPECT_EQ(first.front(), '[');
  EXPECT_NE(first.find("ONE"), std::string::npos);
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::idle);
  life.enqueue(message("two"), t0);
  const std::string& sealed = *life.bytes_for_direct_write();
  EXPECT_NE(sealed.find("TWO"), std::string::npos);
  EXPECT_TRUE(life.wrote_directly(sealed.size()));
}

TEST(OutboundLifecycle, FailedTlsSessionFailsTheConnectionAndCountsWhatItHeld) {
  OutboundLifecycle life(rules(), t0);
  life.start(t0);
  UpperCaseSealer sealer;
  life.established("TLSv1.3 TEST", &sealer);
  sealer.broken = true;
  life.enqueue(message("one"), t0);
  EXPECT_EQ(life.bytes_for_direct_write(), nullptr);  // nothing goes out unsealed
  life.hand_to_writer();
  life.enqueue(message("two"), t0);
  EXPECT_EQ(life.take_for_writing(t0).next, OutboundLifecycle::Next::fail);
  EXPECT_EQ(life.end().lost_messages, 2U);  // counted, not silently dropped
}

}  // namespace
}  // namespace compactor::connection
