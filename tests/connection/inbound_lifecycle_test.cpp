// SPDX-License-Identifier: Apache-2.0
// The inbound connection's rules without a socket: bytes captured from real libprocess and
// simulated faults in, answers and deadlines out.

#include "connection/inbound_lifecycle.hpp"
#include "wire/response_writer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace compactor::connection {
namespace {

using namespace std::chrono_literals;
using AfterRead = InboundLifecycle::AfterRead;
using What = InboundLifecycle::Step::What;
using Due = InboundLifecycle::Due;

const Time t0 = Time() + 1h;

std::string capture(const std::string& name) {
  std::ifstream in(std::string(COMPACTOR_TEST_DATA) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A libprocess message as real libprocess sends it: "POST /pong/hello" from sender@127.0.0.1:5061.
const std::string kHello = capture("lp_hello_message.bin");

InboundRules rules() {
  return {.max_body_size = 1024,
          .handshake_timeout = 10s,
          .request_timeout = 30s,
          .write_timeout = 20s,
          .answer_backlog_bytes = 200,
          .awaited_answers = 2};
}

// Plays the driver's part for each request: records it and answers 202 (or leaves the answer
// to the test, when `answer` is set).
class Harness final {
 public:
  explicit Harness(InboundRules given = rules(), wire::ByteBudget* answer_budget = nullptr)
      : life(given, nullptr, answer_budget) {}

  // A read: each request it completes is delivered, then what the lifecycle does next.
  AfterRead read(std::string_view bytes, Time now) {
    life.received(bytes);
    while (auto* request = life.next_request()) {
      targets.emplace_back(request->target);
      if (answer) {
        answer(*request);
      } else {
        wire::append_accepted(life.answer_buffer(), !request->keep_alive);
      }
      if (congest_next) life.mailbox_congested();
    }
    return life.read_done(now);
  }

  // Writes everything the lifecycle wants written, in one go each time.
  std::string write_all(Time now) {
    std::string out;
    for (auto step = life.next_write(now); step.what == What::write; step = life.next_write(now)) {
      for (const auto slice : step.slices) out += slice;
      life.wrote(life.unwritten_size(), now);
    }
    return out;
  }

  InboundLifecycle life;
  std::vector<std::string> targets;
  std::function<void(wire::Request&)> answer;
  bool congest_next = false;
};

TEST(InboundLifecycle, CapturedLibprocessMessageIsDeliveredAndAccepted) {
  Harness h;
  EXPECT_EQ(h.read(kHello, t0), AfterRead::read);
  ASSERT_EQ(h.targets.size(), 1U);
  EXPECT_EQ(h.targets[0], "/pong/hello");
  EXPECT_EQ(h.write_all(t0).rfind("HTTP/1.1 202 Accepted\r\n", 0), 0U);
  EXPECT_EQ(h.life.next_deadline(), kNever);  // between requests a connection may idle
}

TEST(InboundLifecycle, MessageSplitAcrossReadsIsTimedFromItsFirstByte) {
  Harness h;
  EXPECT_EQ(h.read(std::string_view(kHello).substr(0, 40), t0), AfterRead::read);
  EXPECT_EQ(h.life.next_deadline(), t0 + 30s);
  EXPECT_EQ(h.read(std::string_view(kHello).substr(40, 40), t0 + 10s), AfterRead::read);
  EXPECT_EQ(h.life.next_deadline(), t0 + 30s);  // still the same request
  EXPECT_EQ(h.read(std::string_view(kHello).substr(80), t0 + 20s), AfterRead::read);
  EXPECT_EQ(h.targets.size(), 1U);
  EXPECT_EQ(h.life.next_deadline(), kNever);
}

TEST(InboundLifecycle, SlowlorisIsAnswered408AndClosedAtTheRequestDeadline) {
  Harness h;
  h.read(std::string_view(kHello).substr(0, 10), t0);
  EXPECT_EQ(h.life.on_deadline(t0 + 29s), Due::nothing);
  EXPECT_EQ(h.life.on_deadline(t0 + 30s), Due::request_timeout);
  EXPECT_EQ(h.life.rejection().status, 408);
  EXPECT_TRUE(h.life.reading_done());
  EXPECT_NE(h.write_all(t0 + 30s).find("408 Request Timeout"), std::string::npos);
  EXPECT_EQ(h.life.next_write(t0 + 30s).what, What::finish);  // all answered: close
}

TEST(InboundLifecycle, SecondRequestInTheSameReadRestartsTheClock) {
  Harness h;
  h.read(std::string_view(kHello).substr(0, 10), t0);
  const std::string rest = std::string(kHello.substr(10)) + kHello.substr(0, 10);
  h.read(rest, t0 + 25s);  // the first ends, the second begins
  EXPECT_EQ(h.targets.size(), 1U);
  EXPECT_EQ(h.life.next_deadline(), t0 + 55s);
}

TEST(InboundLifecycle, BytesThatAreNotHttpAreAnswered400AfterTheRequestsBefore) {
  Harness h;
  EXPECT_EQ(h.read(kHello + "NOT HTTP AT ALL\r\n\r\n", t0), AfterRead::stop);
  EXPECT_EQ(h.targets.size(), 1U);  // what was decoded before is delivered
  EXPECT_EQ(h.life.rejection().status, 400);
  const auto out = h.write_all(t0);
  EXPECT_LT(out.find("202 Accepted"), out.find("400 Bad Request"));
  EXPECT_EQ(h.life.next_write(t0).what, What::finish);
}

TEST(InboundLifecycle, BodyOverMaxBodySizeIsAnswered413) {
  auto given = rules();
  given.max_body_size = 4;
  Harness h(given);
  EXPECT_EQ(h.read(kHello, t0), AfterRead::stop);
  EXPECT_EQ(h.life.rejection().status, 413);
  EXPECT_TRUE(h.targets.empty());
}

TEST(InboundLifecycle, RequestThatClosesEndsReadingOnceAnswered) {
  Harness h;
  const std::string closing = "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(h.read(closing, t0), AfterRead::stop);
  EXPECT_EQ(h.life.rejection().status, 0);  // no rejection: it asked to close
  EXPECT_NE(h.write_all(t0).find("Connection: close"), std::string::npos);
  EXPECT_EQ(h.life.next_write(t0).what, What::finish);
}

TEST(InboundLifecycle, CongestedMailboxPausesReadingUntilItIsTaken) {
  Harness h;
  h.congest_next = true;
  EXPECT_EQ(h.read(kHello + kHello.substr(0, 10), t0), AfterRead::pause_for_mailbox);
  EXPECT_TRUE(h.life.reads_paused());
  // A request that stalls because we stopped reading is not the peer's fault.
  EXPECT_EQ(h.life.next_deadline(), kNever);
  EXPECT_EQ(h.life.on_deadline(t0 + 1h), Due::nothing);
  EXPECT_TRUE(h.life.resume_for_mailbox(t0 + 1h));
  EXPECT_FALSE(h.life.reads_paused());
  EXPECT_EQ(h.life.next_deadline(), t0 + 1h + 30s);  // timed again from the resumption
}

TEST(InboundLifecycle, PeerThatDoesNotReadItsAnswersIsNotReadEither) {
  auto given = rules();
  given.answer_backlog_bytes = 1;  // any answer not taken
  Harness h(given);
  EXPECT_EQ(h.read(kHello, t0), AfterRead::pause_for_answers);
  EXPECT_TRUE(h.life.reads_paused());
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  h.life.wrote(10, t0 + 1s);  // the peer takes a little
  auto step = h.life.next_write(t0 + 1s);
  EXPECT_FALSE(step.resume_reading);  // still backlogged
  h.life.wrote(h.life.unwritten_size(), t0 + 2s);
  step = h.life.next_write(t0 + 2s);
  EXPECT_TRUE(step.resume_reading);
  EXPECT_FALSE(h.life.reads_paused());
}

TEST(InboundLifecycle, StuckWriteFailsAtTheWriteDeadlineAndProgressMovesIt) {
  Harness h;
  h.read(kHello, t0);
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  EXPECT_EQ(h.life.next_deadline(), t0 + 20s);
  h.life.wrote(5, t0 + 15s);
  ASSERT_EQ(h.life.next_write(t0 + 15s).what, What::write);
  EXPECT_EQ(h.life.on_deadline(t0 + 20s), Due::nothing);
  EXPECT_EQ(h.life.on_deadline(t0 + 35s), Due::write_timeout);
}

TEST(InboundLifecycle, AnswersLeaveInRequestOrderWhateverOrderTheyComeIn) {
  Harness h;
  std::vector<std::uint64_t> slots;
  h.answer = [&](wire::Request&) { slots.push_back(h.life.await_answer()); };
  h.read(kHello + kHello, t0);
  ASSERT_EQ(slots.size(), 2U);
  h.life.answer_arrived(slots[1], {"second;"}, t0);
  EXPECT_EQ(h.write_all(t0), "");  // the first is still awaited
  h.life.answer_arrived(slots[0], {"first;"}, t0);
  EXPECT_EQ(h.write_all(t0), "first;second;");
}

TEST(InboundLifecycle, ImmediateAnswerWaitsBehindAnAwaitedOne) {
  Harness h;
  bool first = true;
  std::uint64_t slot = 0;
  h.answer = [&](wire::Request&) {
    if (std::exchange(first, false)) {
      slot = h.life.await_answer();
    } else {
      h.life.answer_buffer() += "immediate;";
    }
  };
  h.read(kHello + kHello, t0);
  EXPECT_EQ(h.write_all(t0), "");
  h.life.answer_arrived(slot, {"awaited;"}, t0);
  EXPECT_EQ(h.write_all(t0), "awaited;immediate;");
}

TEST(InboundLifecycle, TooManyAwaitedAnswersPauseReading) {
  Harness h;  // at most 2 awaited
  h.answer = [&](wire::Request&) { h.life.await_answer(); };
  EXPECT_EQ(h.read(kHello + kHello + kHello, t0), AfterRead::pause_for_answers);
}

TEST(InboundLifecycle, HandshakeMustBeDoneWithinTheHandshakeTimeout) {
  auto given = rules();
  given.request_timeout = 0s;  // no bound on requests: the handshake keeps its own
  Harness h(given);
  h.life.begin_handshake(t0);
  EXPECT_TRUE(h.life.handshaking());
  EXPECT_EQ(h.life.next_deadline(), t0 + 10s);
  EXPECT_EQ(h.life.on_deadline(t0 + 10s), Due::handshake_timeout);

  Harness done;
  done.life.begin_handshake(t0);
  done.life.handshake_done(nullptr);
  EXPECT_EQ(done.life.next_deadline(), kNever);
}

TEST(InboundLifecycle, EofAfterTheLastAnswerFinishes) {
  Harness h;
  h.read(kHello, t0);
  h.life.reading_ended();
  h.write_all(t0);
  EXPECT_EQ(h.life.next_write(t0).what, What::finish);
}

class BracketSealer final : public RecordSealer {
 public:
  bool seal(std::string_view plaintext, std::string& out) override {
    out += '[';
    out += plaintext;
    out += ']';
    return !broken;
  }
  bool broken = false;
};

TEST(InboundLifecycle, AnswersAreSealedWithTls) {
  Harness h;
  BracketSealer sealer;
  h.life.begin_handshake(t0);
  h.life.handshake_done(&sealer);
  h.read(kHello, t0);
  const auto out = h.write_all(t0);
  EXPECT_EQ(out.front(), '[');
  EXPECT_EQ(out.back(), ']');
}

TEST(InboundLifecycle, FailedTlsSessionClosesInsteadOfDroppingAnswers) {
  Harness h;
  BracketSealer sealer;
  h.life.begin_handshake(t0);
  h.life.handshake_done(&sealer);
  sealer.broken = true;
  h.read(kHello, t0);
  EXPECT_EQ(h.life.next_write(t0).what, What::fail);
}

// A route's answer with a large body, as the driver queues it.
std::uint64_t answer_with(Harness& h, std::shared_ptr<const std::string> body) {
  const auto slot = h.life.await_answer();
  h.life.answer_arrived(slot,
                        wire::encode_http_response(
                            http::Response::shared(std::move(body), "text/plain"), false, false),
                        t0);
  return slot;
}

TEST(InboundLifecycle, ALargeBodyIsWrittenFromWhereItIsNotCopiedPerConnection) {
  const auto body = std::make_shared<const std::string>(1 << 20, 'x');
  Harness a, b;
  answer_with(a, body);
  answer_with(b, body);
  EXPECT_EQ(body.use_count(), 3) << "both connections hold the one body";
  ASSERT_EQ(a.life.next_write(t0).what, What::write);
  const auto slices = a.life.unwritten();
  ASSERT_EQ(slices.size(), 2U) << "head and body, in one gathering write";
  EXPECT_TRUE(slices[0].starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(slices[1].data(), body->data());
  EXPECT_EQ(a.life.unsent_bytes(), slices[0].size() + body->size());
  a.life.wrote(slices[0].size() + 1000, t0);  // the head and a part of the body
  ASSERT_EQ(a.life.next_write(t0).what, What::write);
  ASSERT_EQ(a.life.unwritten().size(), 1U);
  EXPECT_EQ(a.life.unwritten()[0].data(), body->data() + 1000);
  a.life.wrote(a.life.unwritten_size(), t0);
  EXPECT_EQ(body.use_count(), 2) << "written: let go";
}

TEST(InboundLifecycle, WithTlsALargeBodyIsSealedASliceAtATime) {
  Harness h;
  BracketSealer sealer;
  h.life.begin_handshake(t0);
  h.life.handshake_done(&sealer);
  answer_with(h, std::make_shared<const std::string>(1 << 20, 'x'));
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  const std::size_t first = h.life.unwritten_size();
  EXPECT_LE(first, 70U * 1024) << "not the whole megabyte at once";
  h.life.wrote(first, t0);
  EXPECT_GE(first + h.write_all(t0).size(), 1U << 20);
  EXPECT_EQ(h.life.unsent_bytes(), 0U);
}

InboundRules slow_reader_rules() {
  auto given = rules();
  given.answer_backlog_bytes = 1 << 30;
  given.min_answer_rate = 1024;
  return given;
}

TEST(InboundLifecycle, AReaderSlowerThanTheMinimumRateIsClosed) {
  Harness h(slow_reader_rules());
  answer_with(h, std::make_shared<const std::string>(1 << 20, 'x'));
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  EXPECT_EQ(h.life.next_deadline(), t0 + 20s);
  // 32 bytes every 5 s: progress, so never stuck, but far below 1 KiB/s.
  for (auto at = t0 + 5s; at < t0 + 20s; at += 5s) {
    h.life.wrote(32, at);
    ASSERT_EQ(h.life.next_write(at).what, What::write);
    EXPECT_EQ(h.life.on_deadline(at), Due::nothing);
  }
  EXPECT_EQ(h.life.on_deadline(t0 + 20s), Due::too_slow);
}

TEST(InboundLifecycle, AReaderAtTheMinimumRateIsMeasuredAgainNotClosed) {
  Harness h(slow_reader_rules());
  answer_with(h, std::make_shared<const std::string>(1 << 20, 'x'));
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  h.life.wrote(25 * 1024, t0 + 10s);  // 1.25 KiB/s over the window
  ASSERT_EQ(h.life.next_write(t0 + 10s).what, What::write);
  EXPECT_EQ(h.life.on_deadline(t0 + 20s), Due::nothing);
  h.life.wrote(25 * 1024, t0 + 25s);
  ASSERT_EQ(h.life.next_write(t0 + 25s).what, What::write);
  EXPECT_EQ(h.life.next_deadline(), t0 + 40s) << "the next window";
}

TEST(InboundLifecycle, LittleHeldIsNeverTooSlow) {
  Harness h(slow_reader_rules());
  h.read(kHello, t0);  // a 202: under the floor
  ASSERT_EQ(h.life.next_write(t0).what, What::write);
  EXPECT_EQ(h.life.on_deadline(t0 + 19s), Due::nothing);
  EXPECT_EQ(h.life.next_deadline(), t0 + 20s) << "only the write timeout";
}

TEST(InboundLifecycle, OverTheAnswerBudgetReadingWaitsAndAStuckConnectionIsClosed) {
  wire::ByteBudget budget(256 * 1024);
  auto given = rules();
  given.answer_backlog_bytes = 1 << 30;
  Harness big(given, &budget), other(given, &budget);
  answer_with(big, std::make_shared<const std::string>(1 << 20, 'x'));
  EXPECT_TRUE(budget.over());
  // Another connection holding an answer takes no new request until its reader took it.
  EXPECT_EQ(other.read(kHello, t0), AfterRead::pause_for_answers);
  other.write_all(t0);
  EXPECT_FALSE(other.life.reads_paused());
  // The big one writes a little, then is stuck: closed after the grace, not write_timeout.
  ASSERT_EQ(big.life.next_write(t0).what, What::write);
  big.life.wrote(4096, t0 + 100ms);
  ASSERT_EQ(big.life.next_write(t0 + 100ms).what, What::write);
  EXPECT_LE(big.life.next_deadline(), t0 + 1s);
  EXPECT_EQ(big.life.on_deadline(t0 + 1s), Due::nothing) << "progress 0.9 s ago";
  EXPECT_EQ(big.life.on_deadline(t0 + 1100ms + 1s), Due::over_budget);
}

TEST(InboundLifecycle, AnswersGiveBackTheBudgetWhenWrittenOrDropped) {
  wire::ByteBudget budget(1 << 30);
  {
    Harness h(rules(), &budget);
    answer_with(h, std::make_shared<const std::string>(100000, 'x'));
    EXPECT_GT(budget.used(), 100000U);
    h.write_all(t0);
    EXPECT_EQ(budget.used(), 0U);
    answer_with(h, std::make_shared<const std::string>(100000, 'x'));
  }
  EXPECT_EQ(budget.used(), 0U) << "a connection closed with answers in it";
}

}  // namespace
}  // namespace compactor::connection
