// SPDX-License-Identifier: Apache-2.0
// Faults across OS processes: a silent partition (a veth link taken down in a network namespace)
// and a server out of descriptors.

#include <compactor/context.hpp>

#include "support/child_process.hpp"
#include "support/network_namespace.hpp"
#include "support/raw_client.hpp"
#include "support/recorder.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::NetworkNamespace;
using testing::RawClient;
using Clock = std::chrono::steady_clock;

// `compactor serve` started by `argv`, and the PID it prints.
PID start_serve(ChildProcess& child) {
  const auto line = child.wait_for_line("PID ", 10s);
  if (!line) throw std::runtime_error("compactor serve did not start");
  return PID::parse(line->substr(4));
}

// Two linkers in two contexts on this side, one idle and one streaming, and `compactor serve` in
// the namespace. The namespace's end of the link goes down: no RST, no FIN. Both linkers must
// hear exited within the dead-peer timeout (plus the kernel's rounding to whole seconds).
TEST(Partition, IdleAndStreamingLinkersHearExitedWithinTheDeadPeerTimeout) {
  if (const auto why = NetworkNamespace::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  NetworkNamespace ns;
  ChildProcess serve(ns.inside({COMPACTOR_TOOL, "serve", "--ip", ns.inside_ip(), "--quiet"}));
  const PID server = start_serve(serve);

  constexpr auto kTimeout = 3s;
  testing::Recorder idle("idle"), streaming("streaming");
  Context idle_context({.ip = ns.host_ip(), .dead_peer_timeout = kTimeout});
  Context streaming_context({.ip = ns.host_ip(), .dead_peer_timeout = kTimeout});
  idle_context.spawn(idle);
  streaming_context.spawn(streaming);
  for (auto* linker : {&idle, &streaming}) {
    linker->link(server);
    linker->send(server, "ping", "up?");
    ASSERT_TRUE(linker->wait_messages(1, 10s)) << "no pong before the cut";
  }

  ns.cut();
  const auto cut = Clock::now();
  std::atomic<bool> stop{false};
  std::thread stream([&] {
    const std::string kib(1024, 's');
    while (!stop && streaming.exited_pids().empty()) {
      streaming_context.send(streaming.self(), server, "ping", kib);
      std::this_thread::sleep_for(10ms);  // a steady stream, not a flood
    }
  });
  const bool idle_heard = idle.wait_exited(1, 20s);
  const bool streaming_heard = streaming.wait_exited(1, 20s);
  const auto waited = Clock::now() - cut;
  stop = true;
  stream.join();
  EXPECT_TRUE(idle_heard) << "idle linker";
  EXPECT_TRUE(streaming_heard) << "streaming linker";
  EXPECT_LT(waited, kTimeout + 5s);

  // A link made during the partition: the SYN is never answered.
  testing::Recorder late("late");
  Context late_context({.ip = ns.host_ip(), .dead_peer_timeout = kTimeout});
  late_context.spawn(late);
  late.link(server);
  EXPECT_TRUE(late.wait_exited(1, kTimeout + 5s)) << "link made during the partition";
}

// CPU seconds (user + system) the OS process `pid` has used.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);  // utime, stime
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A server limited to 64 descriptors and offered 100 connections: it must not spin on a failing
// accept, must keep serving the connections it has, and must accept again once they close.
TEST(DescriptorExhaustion, AcceptingPausesWithoutSpinningAndRecovers) {
  // Under UBSan (the sanitizer builds), a vptr check that misses its cache asks the kernel for a
  // pipe to see whether the vtable is readable; with no descriptor left that fails and reads as
  // "invalid vptr", a false report that stops the server (a suppression cannot help: it matches
  // the type's name, which an unreadable vtable does not give). So what the server runs at the
  // limit is what it ran before it: a refusal, and pings from no PID, which serve neither answers
  // nor links back to (no outbound connection, no transport call).
  ChildProcess serve({testing::find_program("prlimit"), "--nofile=64:64", "--", COMPACTOR_TOOL,
                      "serve", "--ip", "127.0.0.1", "--quiet"});
  const PID server = start_serve(serve);
  const std::string ping =
      "POST /pong/ping HTTP/1.1\r\nLibprocess-From: nobody\r\n"
      "Content-Length: 0\r\n\r\n";
  {
    RawClient refused("127.0.0.1", server.address.port);
    refused.write("NOT HTTP\r\n\r\n");
    EXPECT_TRUE(refused.read_until_close(10s).starts_with("HTTP/1.1 400"));
    RawClient warm_up("127.0.0.1", server.address.port);
    warm_up.write(ping);
    warm_up.shutdown_write();
    EXPECT_TRUE(warm_up.read_until_close(10s).starts_with("HTTP/1.1 202"));
  }
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawClient>("127.0.0.1", server.address.port));
  }
  // An accepted connection is still served (the first ones were accepted).
  clients.front()->write(ping);
  clients.front()->shutdown_write();
  EXPECT_TRUE(clients.front()->read_until_close(10s).starts_with("HTTP/1.1 202"));

  const double before = cpu_seconds(serve.pid());
  std::this_thread::sleep_for(2s);  // a window to measure CPU in, not a wait for a condition
  const double used = cpu_seconds(serve.pid()) - before;
  EXPECT_LT(used, 0.2) << "CPU seconds in 2 s at the descriptor limit: spinning";

  clients.clear();  // descriptors free up on the server as it sees these close
  RawClient late("127.0.0.1", server.address.port);
  late.write(ping);
  late.shutdown_write();
  EXPECT_TRUE(late.read_until_close(15s).starts_with("HTTP/1.1 202")) << "accepts again";
}

}  // namespace
}  // namespace compactor
