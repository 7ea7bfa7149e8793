// SPDX-License-Identifier: Apache-2.0
// Beacon groups across OS processes on real brokers: `compactor group` members on a mosquitto
// broker and on a three-agent Serf cluster, all started here on loopback.

#include "support/certificates.hpp"
#include "support/child_process.hpp"
#include "support/network_namespace.hpp"
#include "support/servers.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>

namespace compactor {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::NetworkNamespace;
using Clock = std::chrono::steady_clock;

// Members in their own OS processes, and the events they print (JSON lines), as they come.
class Members {
 public:
  struct Seen {
    Clock::time_point at;
    std::string member;
    std::string event;
    std::string line;  // the whole JSON line
  };

  // `channel`: {"--mqtt", "127.0.0.1:P"} or {"--serf", ...} for each member. The gap must
  // exceed the channel's latency for one holder at a time (the algorithm's promise). `inside`:
  // the member runs in that network namespace.
  void start(const std::string& name, std::vector<std::string> channel,
             const std::string& cycle = "1.0", const std::string& gap = "0.2",
             const NetworkNamespace* inside = nullptr) {
    std::vector<std::string> argv{COMPACTOR_TOOL, "group",   "--topic", "it/group", "--name",
                                  name,           "--value", "7",       "--cycle",  cycle,
                                  "--gap",        gap,       "--json"};
    argv.insert(argv.end(), channel.begin(), channel.end());
    if (inside) argv = inside->inside(std::move(argv));
    children_[name] = std::make_unique<ChildProcess>(std::move(argv));
  }

  const std::vector<Seen>& seen() const { return seen_; }

  void kill(const std::string& name) {
    children_.at(name)->kill(SIGKILL);
    children_.at(name)->wait(5s);
    children_.erase(name);
  }

  // Reads every member's output until `done` says so (true) or `timeout` passes (false). A
  // channel event is recorded as "channel_up" or "channel_down".
  template <class Done>
  bool read_until(Done&& done, std::chrono::milliseconds timeout) {
    static const std::regex event(R"re("event":"(\w+)")re");
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done()) return true;
      for (auto& [name, child] : children_) {
        while (auto line = child->read_line(10ms)) {
          std::smatch match;
          if (!std::regex_search(*line, match, event)) continue;
          std::string what = match[1];
          if (what == "channel") {
            what += line->find(R"("up":true)") != std::string::npos ? "_up" : "_down";
          }
          seen_.push_back({Clock::now(), name, std::move(what), *line});
        }
      }
    }
    return done();
  }

  // How many times `event` was seen since `from` (from anyone, or from `member`).
  std::size_t count(const std::string& event, Clock::time_point from = {},
                    const std::string& member = "") const {
    std::size_t n = 0;
    for (const auto& s : seen_) {
      n += s.at >= from && s.event == event && (member.empty() || s.member == member);
    }
    return n;
  }

  // When `member` first reported `event` since `from` (`from` if it did not).
  Clock::time_point first(const std::string& event, Clock::time_point from,
                          const std::string& member) const {
    for (const auto& s : seen_) {
      if (s.at >= from && s.event == event && s.member == member) return s.at;
    }
    return from;
  }

  // The last member that reported a tag since `from`.
  std::string last_tagged(Clock::time_point from = {}) const {
    std::string last;
    for (const auto& s : seen_) {
      if (s.at >= from && s.event == "tag") last = s.member;
    }
    return last;
  }

  // Holding the tag: between a member's tag and its untag/detag. True if never two at once
  // (of `among`, if given).
  bool one_holder_at_a_time(Clock::time_point from, const std::set<std::string>& among = {}) const {
    std::map<std::string, bool> holding;
    for (const auto& s : seen_) {
      if (s.at < from || (!among.empty() && !among.count(s.member))) continue;
      if (s.event == "tag") {
        for (const auto& [member, holds] : holding) {
          if (holds && member != s.member) return false;
        }
        holding[s.member] = true;
      } else if (s.event == "untag" || s.event == "detag") {
        holding[s.member] = false;
      }
    }
    return true;
  }

 private:
  std::map<std::string, std::unique_ptr<ChildProcess>> children_;
  std::vector<Seen> seen_;
};

// Three members converge on one holder, the tag moves when the holder is killed, and the group
// goes on after a server (the broker, a survivor's agent) restarts. `server_of(holder)` names
// that server and how many survivors use it.
template <class ServerOf>
void converge_kill_and_restart(Members& members, ServerOf&& server_of) {
  // Start-up takes C + 2G, then a cycle or two to settle (C = 1-2 s, G = 0.2-0.6 s).
  ASSERT_TRUE(members.read_until([&] { return members.count("tag") >= 4; }, 30s));
  const auto settled = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", settled) >= 4; }, 30s));
  EXPECT_TRUE(members.one_holder_at_a_time(settled));

  const std::string holder = members.last_tagged();
  members.kill(holder);
  const auto killed = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", killed) >= 2; }, 30s))
      << "the tag moves on after " << holder << " is killed";
  EXPECT_EQ(members.count("tag", killed, holder), 0u);

  auto [server, users] = server_of(holder);
  server->stop();
  ASSERT_TRUE(
      members.read_until([&] { return members.count("channel_down", killed) >= users; }, 10s))
      << "its users report the channel down";
  server->start();
  const auto restarted = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", restarted) >= 2; }, 45s))
      << "the group goes on after the restart";
}

TEST(GroupAcrossProcesses, ThreeMembersOnMosquitto) {
  testing::MosquittoBroker broker;
  Members members;
  const std::string address = "127.0.0.1:" + std::to_string(broker.port());
  for (const char* name : {"m1", "m2", "m3"}) members.start(name, {"--mqtt", address});
  converge_kill_and_restart(members, [&](const std::string&) {
    return std::pair<testing::Server*, std::size_t>(&broker, 2);
  });
}

// Issue 10: the group over a mosquitto TLS listener that requires client certificates (made by
// openssl here): members with a certificate elect one holder at a time; one without is refused.
TEST(GroupAcrossProcesses, MembersOverMqttWithMutualTls) {
  testing::TestCertificates certificates;
  const auto broker_identity = certificates.issue("localhost", {"DNS:localhost", "IP:127.0.0.1"});
  const auto member_identity = certificates.issue("member");
  testing::MosquittoBroker broker({.ca_file = certificates.ca_file(),
                                   .cert_file = broker_identity.cert_file,
                                   .key_file = broker_identity.key_file,
                                   .require_certificate = true});
  const std::vector<std::string> tls{
      "--mqtt",      broker.address(),          "--mqtt-ca",  certificates.ca_file(),
      "--mqtt-cert", member_identity.cert_file, "--mqtt-key", member_identity.key_file};
  Members members;
  members.start("m1", tls);
  members.start("m2", tls);
  ASSERT_TRUE(members.read_until([&] { return members.count("tag") >= 4; }, 30s));
  EXPECT_TRUE(members.one_holder_at_a_time({}));
  EXPECT_GE(members.count("tag", {}, "m1") + members.count("tag", {}, "m2"), 4u);

  ChildProcess anonymous({COMPACTOR_TOOL, "group", "--topic", "it/group", "--name", "m3", "--mqtt",
                          broker.address(), "--mqtt-ca", certificates.ca_file()});
  EXPECT_NE(anonymous.wait(30s).value_or(0), 0) << "no client certificate: refused";
}

TEST(GroupAcrossProcesses, ThreeMembersOnThreeSerfAgents) {
  testing::SerfAgent first("s1");
  testing::SerfAgent second("s2", &first);
  testing::SerfAgent third("s3", &first);  // mN talks to the N-th agent
  ASSERT_TRUE(testing::wait_until([&] { return first.alive_members() == 3; }, 10s));
  Members members;
  const testing::SerfAgent* agents[] = {&first, &second, &third};
  // Serf gossips user events every 200 ms, so a busy machine sees a few hundred ms of latency:
  // a gap of 0.6 s keeps the slots apart.
  for (int i = 0; i < 3; ++i) {
    members.start("m" + std::to_string(i + 1),
                  {"--serf", "127.0.0.1:" + std::to_string(agents[i]->rpc_port())}, "2.0", "0.6");
  }
  // Restart a survivor's agent (not the first, which the others joined through): the other
  // member goes on meanwhile, the one on it reconnects and the agent rejoins the cluster.
  converge_kill_and_restart(members, [&](const std::string& holder) {
    testing::Server* agent = holder == "m2" ? &third : &second;
    return std::pair<testing::Server*, std::size_t>(agent, 1);
  });
}

// Issue 9: a member cut off from the broker by a silent partition (its link goes down: no RST,
// no FIN) while it holds the tag steps down and takes no tag while cut off; it finds out within
// a few cycles (MQTT keep-alive follows the group's timing: 5 s here); the others keep one
// holder at a time; after the heal it is back within a few seconds (the reconnect back-off
// follows the timing too) and hears the group, and joins the rotation again.
TEST(GroupAcrossProcesses, AMemberCutOffFromTheBrokerStepsDownAndComesBack) {
  if (const auto why = NetworkNamespace::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  NetworkNamespace ns;
  testing::MosquittoBroker broker({.ip = ns.host_ip()});
  Members members;
  for (const char* name : {"m1", "m2"}) members.start(name, {"--mqtt", broker.address()});
  members.start("cut", {"--mqtt", broker.address()}, "1.0", "0.2", &ns);

  // Settled, and "cut" holds the tag.
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", {}, "cut") >= 2; }, 40s));
  ASSERT_TRUE(members.read_until([&] { return members.last_tagged() == "cut"; }, 20s));
  ns.cut();
  const auto cut = Clock::now();
  ASSERT_TRUE(
      members.read_until([&] { return members.count("channel_down", cut, "cut") > 0; }, 20s))
      << "the cut member finds out: twice the 5 s keep-alive (11 s measured), and a margin";
  const auto found_out = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", found_out) >= 4; }, 20s))
      << "the others go on";
  // Its term under way ends as usual (within a cycle); it takes no tag after that.
  EXPECT_EQ(members.count("tag", cut + 2s, "cut"), 0u);
  EXPECT_TRUE(members.one_holder_at_a_time(cut, {"m1", "m2"}));

  ns.heal();
  const auto healed = Clock::now();
  ASSERT_TRUE(
      members.read_until([&] { return members.count("channel_up", healed, "cut") > 0; }, 10s))
      << "back within the reconnect back-off (at most a cycle, 2 s here), and a margin";
  ASSERT_TRUE(members.read_until([&] { return members.count("ping", healed, "cut") > 0; }, 10s))
      << "it hears the group again";
  ASSERT_TRUE(members.read_until([&] { return members.count("tag", healed, "cut") > 0; }, 30s))
      << "and takes its turn again";
  EXPECT_EQ(members.count("tag", cut + 2s, "cut"), members.count("tag", healed, "cut"));
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::printf("found out after %.1f s, heard the group %.1f s after the heal\n",
              seconds(found_out - cut), seconds(members.first("ping", healed, "cut") - healed));
}

// A member publishing its PID (it runs a context) ends cleanly on SIGTERM, even right after the
// broker restarted under it.
TEST(GroupAcrossProcesses, AMemberWithAPidStopsCleanlyOnSigterm) {
  testing::MosquittoBroker broker;
  ChildProcess member({COMPACTOR_TOOL, "group", "--mqtt",
                       "127.0.0.1:" + std::to_string(broker.port()), "--topic", "it/pid", "--name",
                       "m", "--pid", "--cycle", "1.0", "--gap", "0.2", "--json"});
  ASSERT_TRUE(member.wait_for_line("PID ", 10s));
  ASSERT_TRUE(member.wait_for_line(R"({"time")", 10s)) << "no event from the member";
  broker.stop();
  broker.start();
  ASSERT_TRUE(member.wait_for_line(R"({"time")", 10s)) << "no event after the restart";
  member.kill(SIGTERM);
  EXPECT_EQ(member.wait(10s), 0);
}

// `group --watch` shows where the group's channel is, and that it is down while the broker is.
TEST(GroupAcrossProcesses, WatchShowsTheChannelGoDownAndComeBack) {
  testing::MosquittoBroker broker;
  ChildProcess watcher({COMPACTOR_TOOL, "group", "--mqtt", broker.address(), "--topic", "it/watch",
                        "--name", "w", "--watch", "--json", "--cycle", "1.0", "--gap", "0.2"});
  const std::string channel = R"("channel":"mqtt://)" + broker.address() + R"(/it/watch")";
  std::string seen;
  // Reads the views (printed every second, between the channel's events) until one has `part`.
  auto view_with = [&](const std::string& part, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto line = watcher.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!line) return false;
      seen += *line + "\n";
      if (line->find(channel) != std::string::npos && line->find(part) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(view_with(R"("channel_up":true)", 10s)) << seen;
  broker.stop();
  ASSERT_TRUE(view_with(R"("channel_up":false)", 15s)) << "never shown down:\n" << seen;
  broker.start();
  EXPECT_TRUE(view_with(R"("channel_up":true)", 20s)) << "never shown back:\n" << seen;
  watcher.kill(SIGTERM);
  watcher.wait(10s);
}

#ifdef COMPACTOR_EXAMPLE_MQTT_WORKERS
// examples/mqtt_workers: three OS processes that know only the broker send jobs to the tag
// holder's PID over the libprocess wire; when it is killed, the jobs go to the next holder.
TEST(GroupAcrossProcesses, WorkFollowsTheTagHolderOverMqtt) {
  testing::MosquittoBroker broker;
  const std::string address = "127.0.0.1:" + std::to_string(broker.port());
  std::map<std::string, std::unique_ptr<ChildProcess>> workers;
  for (const char* name : {"w1", "w2", "w3"}) {
    workers[name] = std::make_unique<ChildProcess>(
        std::vector<std::string>{COMPACTOR_EXAMPLE_MQTT_WORKERS, address, name});
  }
  // Who gets jobs: a line "<worker> got job N from <sender>".
  auto next_receiver = [&](std::chrono::milliseconds timeout) -> std::string {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      for (auto& [name, worker] : workers) {
        while (auto line = worker->read_line(10ms)) {
          if (line->find(" got job ") != std::string::npos) return name;
        }
      }
    }
    return "";
  };
  const std::string first = next_receiver(20s);
  ASSERT_FALSE(first.empty()) << "no worker got a job";
  workers.at(first)->kill(SIGKILL);
  workers.at(first)->wait(5s);
  workers.erase(first);
  // The tag rotates anyway (every ~1.1 s at C = 1 s); what matters is that the jobs keep
  // coming, to the survivors, once the group noticed: the survivor not holding the tag sends
  // five a second.
  std::size_t jobs = 0;
  const auto until = Clock::now() + 5s;
  while (Clock::now() < until) {
    for (auto& [name, worker] : workers) {
      while (auto line = worker->read_line(10ms))
        jobs += line->find(" got job ") != std::string::npos;
    }
  }
  EXPECT_GE(jobs, 10u) << "jobs after " << first << " died";
}
#endif

// Issue 24: a singleton on three OS processes. One instance runs while the group is connected;
// `kill -9` of its member moves it elsewhere with a higher epoch within 3 cycles (its name's
// lease lapses in 1.5, the next tag holder claims it). Events are read as they come.
class Singletons {
 public:
  explicit Singletons(Members& members) : members_(members) {}

  // The members that run an instance now (started, not stopped, not killed), by the events.
  std::set<std::string> running(const std::set<std::string>& killed = {}) const {
    std::set<std::string> running;
    for (const auto& s : members_.seen()) {
      if (s.event == "singleton_started") running.insert(s.member);
      if (s.event == "singleton_stopped") running.erase(s.member);
    }
    for (const auto& name : killed) running.erase(name);
    return running;
  }

  // The most instances that ran at once, replaying the events (killed members stop at `kill`).
  std::size_t most_at_once(const std::map<std::string, Clock::time_point>& killed) const {
    std::set<std::string> running;
    std::size_t most = 0;
    for (const auto& s : members_.seen()) {
      for (const auto& [name, at] : killed) {
        if (at <= s.at) running.erase(name);
      }
      if (s.event == "singleton_started") running.insert(s.member);
      if (s.event == "singleton_stopped") running.erase(s.member);
      most = std::max(most, running.size());
    }
    return most;
  }

  // The epoch of `member`'s last start.
  long epoch_of(const std::string& member) const {
    static const std::regex epoch(R"re("epoch":(\d+))re");
    long last = 0;
    for (const auto& s : members_.seen()) {
      std::smatch match;
      if (s.member == member && s.event == "singleton_started" &&
          std::regex_search(s.line, match, epoch)) {
        last = std::stol(match[1]);
      }
    }
    return last;
  }

 private:
  Members& members_;
};

std::vector<std::string> singleton_flags(std::vector<std::string> channel, const std::string& ip) {
  channel.insert(channel.end(), {"--pid", "--ip", ip, "--singleton", "svc"});
  return channel;
}

void singleton_moves_when_its_member_is_killed(
    const std::function<std::vector<std::string>(int)>& channel_of, const std::string& cycle,
    const std::string& gap) {
  Members members;
  Singletons singletons(members);
  for (int i = 1; i <= 3; ++i) {
    members.start("m" + std::to_string(i), singleton_flags(channel_of(i), "127.0.0.1"), cycle, gap);
  }
  const double longest = std::stod(cycle) + 2.5 * std::stod(gap);
  ASSERT_TRUE(members.read_until([&] { return singletons.running().size() == 1; }, 40s));
  const std::string first = *singletons.running().begin();
  // It stays put while the tag goes round.
  members.read_until([] { return false; }, std::chrono::milliseconds(long(4 * longest * 1000)));
  ASSERT_EQ(singletons.running(), std::set<std::string>{first});
  EXPECT_EQ(members.count("singleton_stopped"), 0u);

  members.kill(first);
  const auto killed_at = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return singletons.running({first}).size() == 1; }, 30s));
  const auto moved_after = std::chrono::duration<double>(Clock::now() - killed_at).count();
  const std::string second = *singletons.running({first}).begin();
  EXPECT_GT(singletons.epoch_of(second), singletons.epoch_of(first));
  EXPECT_LE(moved_after, 3 * longest) << "within 3 cycles";
  members.read_until([] { return false; }, std::chrono::milliseconds(long(3 * longest * 1000)));
  EXPECT_EQ(singletons.most_at_once({{first, killed_at}}), 1u) << "never two at once";
  std::printf("the singleton moved %.1f s after kill -9 (longest cycle %.2f s), epoch %ld -> %ld\n",
              moved_after, longest, singletons.epoch_of(first), singletons.epoch_of(second));
}

TEST(SingletonAcrossProcesses, MovesWithAHigherEpochWhenItsMemberIsKilledOnMosquitto) {
  testing::MosquittoBroker broker;
  singleton_moves_when_its_member_is_killed(
      [&](int) {
        return std::vector<std::string>{"--mqtt", broker.address()};
      },
      "2.0", "0.4");
}

TEST(SingletonAcrossProcesses, MovesWithAHigherEpochWhenItsMemberIsKilledOnSerf) {
  testing::SerfAgent first("s1");
  testing::SerfAgent second("s2", &first);
  testing::SerfAgent third("s3", &first);
  ASSERT_TRUE(testing::wait_until([&] { return first.alive_members() == 3; }, 10s));
  const testing::SerfAgent* agents[] = {&first, &second, &third};
  singleton_moves_when_its_member_is_killed(
      [&](int i) {
        return std::vector<std::string>{"--serf",
                                        "127.0.0.1:" + std::to_string(agents[i - 1]->rpc_port())};
      },
      "2.0", "0.6");
}

// A member cut off from the broker (its link down: no RST, no FIN) stops its instance within 2
// cycles (its name's lease lapses when its own repetitions stop coming back); the others start
// one with a higher epoch; after the heal it does not start another.
TEST(SingletonAcrossProcesses, ACutOffMemberStopsItsInstanceWithinTwoCycles) {
  if (const auto why = NetworkNamespace::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  NetworkNamespace ns;
  testing::MosquittoBroker broker({.ip = ns.host_ip()});
  Members members;
  Singletons singletons(members);
  const std::string cycle = "2.0", gap = "0.4";
  const double longest = 2.0 + 2.5 * 0.4;
  members.start("cut", singleton_flags({"--mqtt", broker.address()}, ns.inside_ip()), cycle, gap,
                &ns);
  ASSERT_TRUE(members.read_until([&] { return singletons.running().size() == 1; }, 30s));
  for (const char* name : {"m1", "m2"}) {
    members.start(name, singleton_flags({"--mqtt", broker.address()}, "127.0.0.1"), cycle, gap);
  }
  members.read_until([] { return false; }, std::chrono::milliseconds(long(3 * longest * 1000)));
  ASSERT_EQ(singletons.running(), std::set<std::string>{"cut"});

  ns.cut();
  const auto cut = Clock::now();
  ASSERT_TRUE(members.read_until([&] { return !singletons.running().count("cut"); }, 20s));
  const double stopped_after = std::chrono::duration<double>(Clock::now() - cut).count();
  EXPECT_LE(stopped_after, 2 * longest) << "within 2 cycles";
  ASSERT_TRUE(members.read_until([&] { return singletons.running().size() == 1; }, 20s));
  const std::string next = *singletons.running().begin();
  EXPECT_GT(singletons.epoch_of(next), singletons.epoch_of("cut"));

  ns.heal();
  members.read_until([] { return false; }, std::chrono::milliseconds(long(5 * longest * 1000)));
  EXPECT_EQ(singletons.running(), std::set<std::string>{next}) << "the heal keeps one";
  std::printf("the cut-off member stopped its instance %.1f s after the cut (cycle %.2f s)\n",
              stopped_after, longest);
}

}  // namespace
}  // namespace compactor
