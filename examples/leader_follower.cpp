// SPDX-License-Identifier: Apache-2.0
// The leader/follower handshake of Python compactor's README, across two OS processes.
//
// The leader answers "ping" with "pong". The follower links to the leader, pings it with a
// unique token, checks the pong carries it back, then asks the leader to stop. When the leader's
// process is gone the follower's link breaks and exited() tells it so.
//
// Run without arguments: the program forks the leader into a child process (its own context and
// port) and plays the follower itself; every step is printed.

#include <compactor/compactor.hpp>

#include "fork_peer.hpp"
#include "leader.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>

using namespace compactor;
using SteadyClock = std::chrono::steady_clock;

class Follower : public Process {
 public:
  explicit Follower(PID leader) : Process("follower"), leader_(std::move(leader)) {}

  std::future<bool> done() { return done_.get_future(); }

  void initialize() override {
    install("pong", &Follower::pong);
    std::cout << "follower: I am " << self() << "; linking to " << leader_ << std::endl;
    link(leader_);
    token_ = std::to_string(std::random_device{}());
    sent_at_ = SteadyClock::now();
    send(leader_, "ping", token_);
    std::cout << "follower: sent ping with token " << token_ << std::endl;
  }

  void pong(const PID& from, std::string_view body) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - sent_at_);
    const bool ok = body == token_;
    std::cout << "follower: pong from " << from << " after " << us.count() << " us, token "
              << (ok ? "matches" : "DOES NOT match") << std::endl;
    if (!ok) return finish(false);
    send(leader_, "stop");
  }

  void exited(const PID& pid) override {
    std::cout << "follower: exited(" << pid << "): the leader is gone" << std::endl;
    finish(pid == leader_);
  }

 private:
  void finish(bool ok) {
    if (finished_) return;
    finished_ = true;
    done_.set_value(ok);
  }

  PID leader_;
  std::string token_;
  SteadyClock::time_point sent_at_;
  bool finished_ = false;
  std::promise<bool> done_;
};

int main() {
  return demo::run_two_processes(
      demo::run_leader, [](const PID& peer) { return std::make_unique<Follower>(peer); },
      std::chrono::seconds(10), "handshake complete", "handshake FAILED");
}
