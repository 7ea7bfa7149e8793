// SPDX-License-Identifier: Apache-2.0
// Names across a group on real servers: a process publishes a name (`compactor group --publish`),
// another OS process finds it (`compactor lookup`), a watcher here sees it come and go.

#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/mqtt_channel.hpp>
#include <compactor/beacon/name_links.hpp>
#include <compactor/beacon/names.hpp>
#include <compactor/beacon/serf_channel.hpp>
#include <compactor/context.hpp>
#include <compactor/process.hpp>

#include "support/child_process.hpp"
#include "support/servers.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// The PID a `compactor group --pid` child prints first.
PID pid_printed_by(ChildProcess& child) {
  const auto line = child.wait_for_line("PID ", 10s);
  if (!line) throw std::runtime_error("the member printed no PID");
  return PID::parse(line->substr(4));
}

// `compactor lookup NAME ...`: its exit code and its last line.
std::pair<std::optional<int>, std::string> lookup(const std::string& name,
                                                  std::vector<std::string> where,
                                                  const std::string& timeout) {
  std::vector<std::string> argv{COMPACTOR_TOOL, "lookup", name, "--timeout", timeout};
  argv.insert(argv.end(), where.begin(), where.end());
  ChildProcess child(argv);
  std::string last;
  while (auto line = child.read_line(20s)) last = *line;
  return {child.wait(5s), last};
}

// A member here, only to watch a name.
class Watcher {
 public:
  Watcher(std::unique_ptr<Channel> channel, const std::string& name) {
    auto names_channel = channel->sibling("names");
    member_ = std::make_unique<Member>("watcher", std::move(channel), Member::Options{});
    names_ = std::make_unique<Names>(*member_, std::move(names_channel));
    names_->start();
    names_->watch(name, [this](const NameEvent& event) {
      std::lock_guard lock(mutex_);
      holder_ = event.holder ? std::optional(event.holder->pid) : std::nullopt;
    });
  }
  std::optional<PID> holder() const {
    std::lock_guard lock(mutex_);
    return holder_;
  }
  Names& names() { return *names_; }

 private:
  mutable std::mutex mutex_;
  std::optional<PID> holder_;
  std::unique_ptr<Member> member_;
  std::unique_ptr<Names> names_;  // after the member: destroyed first
};

MqttOptions on(const testing::MosquittoBroker& broker) {
  MqttOptions options;
  options.port = broker.port();
  options.topic = "it/names";
  options.reconnect_min = 1s;
  options.reconnect_max = 1s;
  return options;
}

TEST(NamesOnMosquitto, AnotherProcessLooksUpTheNameAndNobodyElses) {
  testing::MosquittoBroker broker;
  ChildProcess holder({COMPACTOR_TOOL, "group", "--mqtt", broker.address(), "--topic", "it/names",
                       "--name", "holder", "--pid", "--ip", "127.0.0.1", "--publish", "svc"});
  const PID pid = pid_printed_by(holder);
  ASSERT_TRUE(holder.wait_for_line("", 5s));  // published once it printed more
  const auto [code, last] =
      lookup("svc", {"--mqtt", broker.address(), "--topic", "it/names"}, "10s");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(last, pid.to_string());
  const auto [missing, why] =
      lookup("nobody", {"--mqtt", broker.address(), "--topic", "it/names"}, "500ms");
  EXPECT_EQ(missing, 1);
}

TEST(NamesOnMosquitto, AKilledHoldersNameGoesAtOnceAndABrokerRestartKeepsIt) {
  testing::MosquittoBroker broker;
  Watcher watcher(mqtt_channel(on(broker)), "svc");
  ChildProcess holder({COMPACTOR_TOOL, "group", "--mqtt", broker.address(), "--topic", "it/names",
                       "--name", "holder", "--pid", "--ip", "127.0.0.1", "--publish", "svc"});
  const PID pid = pid_printed_by(holder);
  ASSERT_TRUE(testing::wait_until([&] { return watcher.holder() == pid; }, 10s));

  broker.stop();
  broker.start();  // mosquitto keeps no state: the members reconnect and hold what they held
  EXPECT_EQ(watcher.holder(), pid);
  auto found = watcher.names().lookup("svc", 10s);
  ASSERT_TRUE(found.await(15s));
  EXPECT_EQ(found.get(), pid);
  // A newcomer after the restart asks, and the holder (reconnected) answers.
  Watcher newcomer(mqtt_channel(on(broker)), "svc");
  EXPECT_TRUE(testing::wait_until([&] { return newcomer.holder() == pid; }, 10s));

  holder.kill(SIGKILL);  // the broker sees the socket close and sends the holder's will
  EXPECT_TRUE(testing::wait_until([&] { return !watcher.holder(); }, 3s));
  EXPECT_TRUE(testing::wait_until([&] { return !newcomer.holder(); }, 3s));
}

TEST(NamesOnSerf, ALookupThroughOneAgentFindsANamePublishedThroughAnother) {
  testing::SerfAgent first("n1");
  testing::SerfAgent second("n2", &first);
  ASSERT_TRUE(testing::wait_until([&] { return first.alive_members() == 2; }, 10s));
  ChildProcess holder({COMPACTOR_TOOL, "group", "--serf",
                       "127.0.0.1:" + std::to_string(first.rpc_port()), "--topic", "it/names",
                       "--name", "holder", "--pid", "--ip", "127.0.0.1", "--publish", "svc"});
  const PID pid = pid_printed_by(holder);
  SerfOptions options;
  options.port = second.rpc_port();
  options.name = "it.names";
  Watcher watcher(serf_channel(options), "svc");
  EXPECT_TRUE(testing::wait_until([&] { return watcher.holder() == pid; }, 10s));
  const auto [code, last] = lookup(
      "svc", {"--serf", "127.0.0.1:" + std::to_string(second.rpc_port()), "--topic", "it/names"},
      "10s");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(last, pid.to_string());
  holder.kill(SIGTERM);  // a clean stop says goodbye
  EXPECT_TRUE(testing::wait_until([&] { return !watcher.holder(); }, 10s));
}

// A holder whose member lives on but whose context is gone: the group does not say so, the
// broken link does.
TEST(NameLinks, ANameWhoseHoldersContextCannotBeReachedIsForgottenHere) {
  LocalBus bus;
  auto channel_a = bus.channel(), channel_b = bus.channel();
  auto names_channel_a = channel_a->sibling("names");
  auto names_channel_b = channel_b->sibling("names");
  Member a("a", std::move(channel_a), {});
  Member b("b", std::move(channel_b), {});
  Names names_a(a, std::move(names_channel_a));
  Names names_b(b, std::move(names_channel_b));
  names_a.start();
  names_b.start();
  auto context_a = std::make_unique<Context>(ContextOptions{.workers = 1});
  Context context_b(ContextOptions{.workers = 1});
  Process service("svc");
  const PID pid = context_a->spawn(service);
  NameLinks links(names_b, context_b);
  names_a.publish("svc", pid);
  std::mutex mutex;
  std::vector<std::optional<PID>> seen;
  names_b.watch("svc", [&](const NameEvent& event) {
    std::lock_guard lock(mutex);
    seen.push_back(event.holder ? std::optional(event.holder->pid) : std::nullopt);
  });
  ASSERT_TRUE(testing::wait_until([&] { return names_b.find("svc").has_value(); }, 5s));

  context_a->shutdown();  // the member "a" lives on: only the link can tell
  EXPECT_TRUE(testing::wait_until([&] { return !names_b.find("svc"); }, 10s));
  std::lock_guard lock(mutex);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), pid);
  EXPECT_FALSE(seen.back());
}

}  // namespace
}  // namespace compactor::beacon
