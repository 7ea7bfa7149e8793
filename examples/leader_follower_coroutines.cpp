// SPDX-License-Identifier: Apache-2.0
// examples/leader_follower.cpp with the follower written as one coroutine: link, ask the leader
// for a pong carrying a fresh token (with a deadline), tell it to stop, wait for its exit. The
// leader is the same callback process (examples/leader.hpp): it answers the ask's fresh
// __req_res__(N) PID as it would answer anybody.

#include <compactor/compactor.hpp>

#include "fork_peer.hpp"
#include "leader.hpp"

#include <chrono>
#include <future>
#include <iostream>
#include <random>

using namespace compactor;
using namespace std::chrono_literals;

class Follower : public Process {
 public:
  explicit Follower(PID leader) : Process("follower"), leader_(std::move(leader)) {}

  std::future<bool> done() { return done_.get_future(); }

 protected:
  void initialize() override { launch(handshake()); }

  void exited(const PID& pid) override {
    std::cout << "follower: exited(" << pid << "): the leader is gone" << std::endl;
    if (pid == leader_) leader_gone_.set_value({});
  }

 private:
  Task<> handshake() {
    std::cout << "follower: I am " << self() << "; linking to " << leader_ << std::endl;
    link(leader_);
    const std::string token = std::to_string(std::random_device{}());
    try {
      const auto sent_at = std::chrono::steady_clock::now();
      const Message pong = co_await ask(leader_, "ping", token, 5s);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - sent_at);
      const bool matches = pong.body == token;
      std::cout << "follower: " << pong.name << " from " << pong.from << " after " << us.count()
                << " us, token " << (matches ? "matches" : "DOES NOT match") << std::endl;
      if (!matches) {
        done_.set_value(false);
        co_return;
      }
      send(leader_, "stop");
      co_await leader_gone_.future();  // exited() completes it
      done_.set_value(true);
    } catch (const FutureFailed& failed) {  // AskTimeout, PeerExited
      std::cout << "follower: " << failed.what() << std::endl;
      done_.set_value(false);
    }
  }

  PID leader_;
  Promise<Nothing> leader_gone_;
  std::promise<bool> done_;
};

int main() {
  return demo::run_two_processes(
      demo::run_leader, [](const PID& peer) { return std::make_unique<Follower>(peer); },
      std::chrono::seconds(10), "handshake complete", "handshake FAILED");
}
