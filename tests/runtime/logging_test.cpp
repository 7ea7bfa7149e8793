// SPDX-License-Identifier: Apache-2.0
// compactor's log: the level and sink API, lines that name their context and process, and
// libprocess's /logging/toggle raising the level for a while.

#include <compactor/clock.hpp>
#include <compactor/context.hpp>
#include <compactor/logging.hpp>

#include "support/captured_log.hpp"
#include "support/raw_client.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::CapturedLog;
using testing::RawClient;
using testing::wait_until;

class Quiet : public Process {
 public:
  Quiet() : Process("quiet") {}
};

std::string get(const Context& context, const std::string& target) {
  RawClient client("127.0.0.1", context.address().port);
  client.write("GET " + target + " HTTP/1.1\r\nConnection: close\r\n\r\n");
  return client.read_until_close(10s);
}

TEST(Logging, LinesGoToTheSinkAndNameTheirProcessOrContext) {
  CapturedLog log;
  Quiet quiet;
  Context context;
  const PID pid = context.spawn(quiet);
  context.send(PID("someone", context.address()), pid, "no-such-handler");
  const auto from_process = log.wait_for("no-such-handler");
  EXPECT_NE(from_process.find("[" + pid.to_string() + "]"), std::string::npos) << from_process;
  get(context, "not http at all");  // answered 400 by the I/O thread, with a warning
  const auto from_io = log.wait_for("rejected");
  EXPECT_NE(from_io.find("[" + context.address().to_string() + "]"), std::string::npos) << from_io;
}

// Takes every body as malformed.
class Picky : public Process {
 public:
  Picky() : Process("picky") {}
  void initialize() override {
    install("data", [this](const PID& from, std::string_view body) {
      malformed(from, "data", body.size(), "not what was expected");
    });
  }
};

TEST(Logging, MalformedMessagesAreAllCountedButOnlySomeLogged) {
  CapturedLog log;
  Picky picky;
  ContextOptions options;
  options.deterministic = true;  // the handlers run here, before the count is read
  ManualClock clock;             // the summary is due when the test says
  options.clock = &clock;
  Context context(options);
  const PID pid = context.spawn(picky);
  for (int i = 0; i < 10; ++i) context.send(PID("peer", context.address()), pid, "data", "x");
  context.run();
  EXPECT_EQ(context.stats().messages_malformed, 10U);
  EXPECT_EQ(log.count("not what was expected"), 5U);  // the first few
  clock.advance(10s);
  EXPECT_NE(log.wait_for("malformed messages on " + context.address().to_string() +
                         ": 5 more from 1 peer in the last 10 s"),
            "");
}

TEST(Logging, TheLevelFiltersLines) {
  CapturedLog log;
  logging::set_level(logging::Level::error);
  EXPECT_EQ(logging::level(), logging::Level::error);
  Context context;
  get(context, "not http at all");
  get(context, "/__processes__");  // after the first: its warning would have been written by now
  EXPECT_EQ(log.count("rejected"), 0u);
}

TEST(Logging, LoggingToggleRaisesTheLevelForAWhileAsLibprocess) {
  CapturedLog log;
  Context context;
  EXPECT_NE(get(context, "/logging/toggle").find("\r\n\r\n0\n"), std::string::npos);
  EXPECT_NE(get(context, "/logging/toggle?level=1").find("Expecting 'duration=value' in query."),
            std::string::npos);
  EXPECT_NE(get(context, "/logging/toggle?duration=1secs").find("HTTP/1.1 400"), std::string::npos);
  EXPECT_NE(get(context, "/logging/toggle?level=x&duration=1secs").find("HTTP/1.1 400"),
            std::string::npos);
  EXPECT_NE(get(context, "/logging/toggle?level=1&duration=soon").find("HTTP/1.1 400"),
            std::string::npos);
  EXPECT_EQ(logging::level(), logging::Level::info);

  EXPECT_NE(get(context, "/logging/toggle?level=2&duration=1hrs").find("HTTP/1.1 200"),
            std::string::npos);
  EXPECT_EQ(logging::level(), logging::Level::trace);
  EXPECT_NE(get(context, "/logging/toggle").find("\r\n\r\n2\n"), std::string::npos);
  // A new toggle replaces the last one, and lowers the level back after its own duration.
  get(context, "/logging/toggle?level=1&duration=100ms");
  EXPECT_TRUE(wait_until([] { return logging::level() == logging::Level::info; }))
      << "back after the duration";
  EXPECT_EQ(logging::raised_steps(), 0);

  get(context, "/logging/toggle?level=1&duration=1hrs");
  EXPECT_EQ(logging::level(), logging::Level::debug);
  get(context, "/logging/toggle?level=0&duration=1secs");
  EXPECT_EQ(logging::level(), logging::Level::info) << "level 0 lowers it at once";
}

}  // namespace
}  // namespace compactor
