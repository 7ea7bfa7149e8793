// SPDX-License-Identifier: Apache-2.0
// Two OS processes over real loopback sockets: this test process and the `compactor` tool.

#include <compactor/context.hpp>

#include "support/certificates.hpp"
#include "support/child_process.hpp"
#include "support/raw_client.hpp"
#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <regex>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// `compactor serve` in its own OS process, and its PID.
struct Server {
  explicit Server(std::vector<std::string> extra = {}, std::vector<std::string> env = {})
      : child(args(std::move(extra)), std::move(env)) {
    const auto line = child.wait_for_line("PID ", 10s);
    if (!line) throw std::runtime_error("compactor serve did not start");
    pid = PID::parse(line->substr(4));
  }

  static std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> argv{COMPACTOR_TOOL, "serve", "--ip", "127.0.0.1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  ChildProcess child;
  PID pid;
};

TEST(TwoProcesses, TenThousandUnlinkedMessagesAllArrive) {
  Server server({"--quiet"});
  // Close each connection the moment its queue is written: the case where real libprocess loses
  // messages to resets.
  testing::Recorder client("client");
  Context context({.idle_connection_timeout = 0ms});
  context.spawn(client);
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) client.send(server.pid, "ping", std::to_string(i));
  ASSERT_TRUE(client.wait_messages(kCount, 60s)) << client.messages().size() << " pongs";
  const auto pongs = client.messages();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(pongs[i].body, std::to_string(i));
  EXPECT_EQ(context.stats().messages_dropped, 0u);
}

// Process::ask over the wire: the request leaves from __req_res__(N) of this context, and the
// server's pong, sent back to that PID as a libprocess reply() would be, completes the ask.
TEST(TwoProcesses, AskGetsItsReplyOverTheWireOrTimesOut) {
  Server server({"--quiet"});
  testing::Recorder asker("asker");
  Context context;  // goes first: it terminates the asker
  context.spawn(asker);
  auto reply = asker.ask(server.pid, "ping", "hello", 10s);
  ASSERT_TRUE(reply.await(15s));
  ASSERT_TRUE(reply.is_ready()) << reply.failure();
  EXPECT_EQ(reply.get().name, "pong");
  EXPECT_EQ(reply.get().body, "hello");
  EXPECT_EQ(reply.get().from.address, server.pid.address);

  auto unanswered = asker.ask(server.pid, "no-such-message", "", 300ms);
  ASSERT_TRUE(unanswered.await(10s));
  EXPECT_THROW(unanswered.get(), AskTimeout);
  EXPECT_EQ(context.stats().messages_dropped, 0U);
}

TEST(TwoProcesses, KillNineOfALinkedPeerFiresExited) {
  Server server({"--quiet"});
  testing::Recorder client("client");
  Context context;
  context.spawn(client);
  client.link(server.pid);
  client.send(server.pid, "ping", "alive?");
  ASSERT_TRUE(client.wait_messages(1, 10s));
  server.child.kill(SIGKILL);
  ASSERT_TRUE(client.wait_exited(1, 10s));
  EXPECT_EQ(client.exited_pids()[0], server.pid);
}

TEST(TwoProcesses, ServePrintsMessagesAndExitedLinks) {
  Server server;
  {
    testing::Recorder client("client");
    Context context;
    context.spawn(client);
    client.send(server.pid, "ping", "12345");
    ASSERT_TRUE(client.wait_messages(1, 10s));
    const auto recv = server.child.wait_for_line("recv ", 10s);
    ASSERT_TRUE(recv);
    EXPECT_EQ(*recv, "recv ping from " + client.self().to_string() + " (5 bytes)");
    // The context goes away: serve, which linked back to its peer, sees the link break.
    context.shutdown();
    const auto exited = server.child.wait_for_line("exited ", 10s);
    ASSERT_TRUE(exited);
    EXPECT_EQ(*exited, "exited " + client.self().to_string());
  }
}

TEST(TwoProcesses, SendToolDeliversAndExitsZero) {
  Server server;
  ChildProcess send({COMPACTOR_TOOL, "send", server.pid.to_string(), "greeting", "hello there"});
  EXPECT_EQ(send.wait(10s), 0);
  const auto recv = server.child.wait_for_line("recv greeting", 10s);
  ASSERT_TRUE(recv);
  EXPECT_TRUE(recv->ends_with("(11 bytes)")) << *recv;
}

// serve answers the ping with a pong to the sender, which is gone by then: that drop is not a
// failure of the send.
TEST(TwoProcesses, SendToolExitsZeroWhenTheReceiverAnswers) {
  Server server;
  ChildProcess send({COMPACTOR_TOOL, "send", server.pid.to_string(), "ping", "hello"});
  EXPECT_EQ(send.wait(10s), 0);
  ASSERT_TRUE(server.child.wait_for_line("recv ping", 10s));
}

TEST(TwoProcesses, SendToolFailsClearlyWhenUnreachable) {
  testing::RefusingPort refusing;
  ChildProcess send(
      {COMPACTOR_TOOL, "send", "pong@127.0.0.1:" + std::to_string(refusing.port()), "m", "x"});
  EXPECT_EQ(send.wait(10s), 1);
}

TEST(TwoProcesses, AskToolPrintsTheReplyOrFailsOnTimeoutAndOnAGonePeer) {
  Server server({"--quiet"});
  ChildProcess ask({COMPACTOR_TOOL, "ask", server.pid.to_string(), "ping", "hello"});
  EXPECT_EQ(ask.read_line(10s), "pong hello");
  EXPECT_EQ(ask.wait(10s), 0);

  ChildProcess unanswered(
      {COMPACTOR_TOOL, "ask", server.pid.to_string(), "nothing", "--timeout", "0.2"});
  EXPECT_EQ(unanswered.wait(10s), 1);

  testing::RefusingPort refusing;
  ChildProcess gone({COMPACTOR_TOOL, "ask", "pong@127.0.0.1:" + std::to_string(refusing.port()),
                     "ping", "--timeout", "60"});
  EXPECT_EQ(gone.wait(10s), 1) << "PeerExited at once, not after the timeout";
}

TEST(TwoProcesses, PingToolReportsRoundTrips) {
  Server server({"--quiet"});
  ChildProcess ping({COMPACTOR_TOOL, "ping", server.pid.to_string(), "-n", "2000", "-w", "10",
                     "--size", "64", "--link"});
  EXPECT_EQ(ping.read_line(30s), "connection: plaintext");
  const auto line = ping.read_line(10s);  // the summary last, as ping(8)'s
  ASSERT_TRUE(line);
  EXPECT_TRUE(std::regex_match(
      *line, std::regex("2000 round trips, 10 in flight, 64 bytes: \\d+ msg/s, p50 [0-9.]+ us, "
                        "p99 [0-9.]+ us")))
      << *line;
  EXPECT_EQ(ping.wait(10s), 0);
}

// Issue 10: the tool reads libprocess's LIBPROCESS_SSL_* variables, and ping names the protocol
// and cipher of its connection once.
TEST(TwoProcesses, ServeAndPingSpeakTlsFromTheEnvironment) {
  testing::TestCertificates certificates;
  const auto identity = certificates.issue("localhost", {"DNS:localhost", "IP:127.0.0.1"});
  const std::vector<std::string> tls{"LIBPROCESS_SSL_ENABLED=true",
                                     "LIBPROCESS_SSL_CERT_FILE=" + identity.cert_file,
                                     "LIBPROCESS_SSL_KEY_FILE=" + identity.key_file,
                                     "LIBPROCESS_SSL_CA_FILE=" + certificates.ca_file(),
                                     "LIBPROCESS_SSL_REQUIRE_CLIENT_CERT=true"};
  Server server({"--quiet"}, tls);
  ChildProcess ping({COMPACTOR_TOOL, "ping", server.pid.to_string(), "-n", "100"}, tls);
  EXPECT_EQ(ping.read_line(30s), "connection: TLSv1.2 AES128-SHA") << "libprocess's defaults";
  // The summary is the last line (tail -1), as ping(8)'s.
  const auto statistics = ping.read_line(10s);
  ASSERT_TRUE(statistics);
  EXPECT_NE(statistics->find("100 round trips"), std::string::npos) << *statistics;
  EXPECT_FALSE(ping.read_line(2s)) << "nothing after the summary";
  EXPECT_EQ(ping.wait(10s), 0);
  ChildProcess plaintext(
      {COMPACTOR_TOOL, "ping", server.pid.to_string(), "-n", "1", "--timeout", "3"});
  EXPECT_EQ(plaintext.wait(20s), 1) << "a plaintext peer is refused";
}

TEST(TwoProcesses, PingToolFailsWhenThePeerDies) {
  Server server({"--quiet"});
  server.child.kill(SIGKILL);
  server.child.wait(10s);
  ChildProcess ping(
      {COMPACTOR_TOOL, "ping", server.pid.to_string(), "-n", "10", "--link", "--timeout", "10"});
  EXPECT_EQ(ping.wait(20s), 1);
}

// The tool's output and errors together, as a user reads them.
ChildProcess tool_with_stderr(const std::string& arguments) {
  return ChildProcess(
      {"/bin/sh", "-c", std::string("exec ") + COMPACTOR_TOOL + " " + arguments + " 2>&1"});
}

// Issue 11: COMPACTOR_LOG_LEVEL (and spdlog's own SPDLOG_LEVEL) set the library's log level.
TEST(TwoProcesses, TheLogLevelComesFromTheEnvironment) {
  const std::string unreachable = std::string(COMPACTOR_TOOL) + " send x@127.0.0.1:1 hello 2>&1";
  for (const auto& [variable, library_lines] : {std::pair{"COMPACTOR_LOG_LEVEL=info", true},
                                                {"COMPACTOR_LOG_LEVEL=off", false},
                                                {"SPDLOG_LEVEL=off", false}}) {
    ChildProcess send({"/bin/sh", "-c", "exec " + unreachable}, {variable});
    std::string output;
    while (auto line = send.read_line(10s)) output += *line + "\n";
    EXPECT_EQ(send.wait(10s), 1);
    EXPECT_NE(output.find("error: 'hello' was not delivered"), std::string::npos) << output;
    EXPECT_EQ(output.find("[compactor]") != std::string::npos, library_lines)
        << variable << ": " << output;
  }
}

TEST(TwoProcesses, PingToolStopsOnCtrlCWithTheStatisticsSoFar) {
  Server server({"--quiet"});
  auto ping = tool_with_stderr("ping " + server.pid.to_string() + " -n 1000000000 -w 10");
  std::this_thread::sleep_for(300ms);  // some round trips first (none would do too)
  ping.kill(SIGINT);
  std::optional<std::string> statistics;
  while ((statistics = ping.read_line(10s)) &&
         statistics->find(" round trips, ") == std::string::npos) {
  }
  ASSERT_TRUE(statistics);
  EXPECT_TRUE(std::regex_match(*statistics, std::regex("\\d+ round trips, 10 in flight, .*")))
      << *statistics;
  const auto error = ping.wait_for_line("error: ", 10s);
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->starts_with("error: interrupted; ")) << *error;
  EXPECT_EQ(ping.wait(10s), 1);
}

TEST(TwoProcesses, PingToolNamesTheCauseWhenThePeerRefuses) {
  testing::RefusingPort refusing;
  auto ping = tool_with_stderr("ping pong@127.0.0.1:" + std::to_string(refusing.port()) +
                               " -n 5 --link --timeout 10");
  const auto error = ping.wait_for_line("error: ", 20s);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("Connection refused"), std::string::npos) << *error;
  EXPECT_EQ(ping.wait(10s), 1);
}

}  // namespace
}  // namespace compactor
