// SPDX-License-Identifier: Apache-2.0
// Both halves of compactor together: three members of a beacon group elect a leader, and a
// follower finds the leader's PID through the group (no address is configured anywhere), then does
// the leader/follower handshake of Python compactor's README over the libprocess wire: link, ping
// with a token, pong. When the leader is stopped, the follower's link breaks, the tag moves, and
// the follower registers with the new leader.
//
// Each member and its service run on a context of their own (a port each); the group meets on a
// LocalBus here, and the same code spans machines with mqtt_channel() or serf_channel().

#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/compactor.hpp>
#include <compactor/logging.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

using namespace compactor;
using namespace std::chrono_literals;

// The leader's side of the handshake: answers "ping" with "pong".
class Service : public Process {
 public:
  Service() : Process("service") {}
  void initialize() override {
    install("ping", [this](const PID& from, std::string_view token) {
      std::cout << self() << ": ping from " << from << ", answering pong" << std::endl;
      send(from, "pong", token);
    });
  }
};

// Registers with whichever leader it is told of: links, pings with a token, checks the pong.
class Follower : public Process {
 public:
  Follower() : Process("follower") {}

  // Called from any thread: the follower handles it on its own thread.
  void follow(const PID& leader) { send(self(), "follow", leader.to_string()); }

  // The leader it registered with, once the pong came back.
  std::optional<PID> registered() {
    std::lock_guard lock(mutex_);
    return registered_;
  }

 protected:
  void initialize() override {
    install("follow", [this](const PID&, std::string_view leader) {
      leader_ = PID::parse(leader);
      token_ = std::to_string(std::random_device{}());
      std::cout << "follower: linking to " << leader_ << ", ping with token " << token_
                << std::endl;
      link(leader_);
      send(leader_, "ping", token_);
    });
    install("pong", [this](const PID& from, std::string_view token) {
      if (from != leader_ || token != token_) return;
      std::cout << "follower: pong, token matches: registered with " << from << std::endl;
      std::lock_guard lock(mutex_);
      registered_ = from;
    });
  }
  void exited(const PID& pid) override {
    std::cout << "follower: exited(" << pid << "): the leader is gone" << std::endl;
  }

 private:
  PID leader_;
  std::string token_;
  std::mutex mutex_;
  std::optional<PID> registered_;
};

// A member of the group with its service, on a context of its own.
struct Node {
  Service service;  // before the context, which must go first
  std::unique_ptr<Context> context;
  std::unique_ptr<beacon::Member> member;
};

// The shortest timing asyncactor allows, so that the demo takes seconds.
beacon::Member::Options fast_group(bool enabled) {
  beacon::Member::Options options;
  options.config = beacon::Config{.cycle = 1, .gap = 0.2};
  options.enabled = enabled;
  return options;
}

// The group's holder once it is not `not_this`, within `timeout`.
std::optional<PID> wait_for_holder(const beacon::Member& watcher, std::optional<PID> not_this,
                                   std::chrono::milliseconds timeout) {
  for (auto end = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(50ms)) {
    if (auto holder = beacon::holder_pid(watcher); holder && holder != not_this) return holder;
  }
  return std::nullopt;
}

int fail(const char* what) {
  std::cerr << "demo FAILED: " << what << std::endl;
  return 1;
}

bool wait_for_registration(Follower& follower, const PID& leader) {
  for (int i = 0; i < 100; ++i, std::this_thread::sleep_for(50ms)) {
    if (follower.registered() == leader) return true;
  }
  return false;
}

int main() {
  std::cout.setf(std::ios::unitbuf);
  logging::set_level(logging::Level::warn);  // the demo's own lines only
  beacon::LocalBus bus("leaders");
  std::map<std::string, Node> nodes;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "node" + std::to_string(i);
    Node& node = nodes[name];
    node.context = std::make_unique<Context>(ContextOptions{.ip = "127.0.0.1", .port = 0});
    const PID service = node.context->spawn(node.service);
    node.member = std::make_unique<beacon::Member>(name, bus.channel(), fast_group(true));
    node.member->set_value(beacon::pid_value(i, service));  // the PID others will find
    node.member->start();
  }
  std::cout << "group: 3 members on a local bus, each with a service on its own port" << std::endl;

  Follower follower;
  Context context({.ip = "127.0.0.1", .port = 0});
  context.spawn(follower);
  beacon::Member watcher("follower", bus.channel(), fast_group(false));  // listens only
  watcher.start();

  const auto first = wait_for_holder(watcher, std::nullopt, 10s);
  if (!first) return fail("no leader within 10 s");
  std::cout << "group: a leader is elected; its PID, from the group: " << *first << std::endl;
  follower.follow(*first);
  if (!wait_for_registration(follower, *first)) return fail("no pong from the first leader");

  // Stop the leader: its member falls silent and its context closes (the link breaks).
  for (auto& [name, node] : nodes) {
    if (node.context->address() != first->address) continue;
    std::cout << "stopping the leader, " << name << std::endl;
    node.member->stop();
    node.context.reset();
  }
  const auto second = wait_for_holder(watcher, first, 20s);
  if (!second) return fail("the tag did not move within 20 s");
  std::cout << "group: the tag moved; the new leader: " << *second << std::endl;
  follower.follow(*second);
  if (!wait_for_registration(follower, *second)) return fail("no pong from the new leader");
  std::cout << "leader moved from " << first->address << " to " << second->address
            << "; the follower followed: demo done" << std::endl;
  return 0;
}
