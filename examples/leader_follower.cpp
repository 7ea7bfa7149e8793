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

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <random>

using namespace compactor;
using SteadyClock = std::chrono::steady_clock;

class Leader : public Process {
 public:
  Leader() : Process("leader") {}

  void initialize() override {
    install("ping", &Leader::ping);
    install("stop", &Leader::stop);
  }

  void ping(const PID& from, std::string_view body) {
    std::cout << "leader:   ping from " << from << ", answering pong" << std::endl;
    send(from, "pong", body);
  }

  void stop(const PID& from, std::string_view) {
    std::cout << "leader:   " << from << " asked me to stop; terminating" << std::endl;
    terminate();
  }
};

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

// The leader's side, in the child: its own context; announces its PID to the parent.
int run_leader(const std::function<void(const PID&)>& announce) {
  Context context({.ip = "127.0.0.1", .port = 0});
  const PID leader = context.spawn(std::make_unique<Leader>());
  std::cout << "leader:   listening as " << leader << std::endl;
  announce(leader);
  context.wait(leader, std::chrono::seconds(20));
  return 0;  // the context closes here, and with it the follower's link
}

int main() {
  std::cout.setf(std::ios::unitbuf);
  const auto leader = demo::fork_peer(run_leader);  // before any thread exists
  bool ok = false;
  if (leader.pid) {
    Context context({.ip = "127.0.0.1", .port = 0});
    auto follower = std::make_unique<Follower>(*leader.pid);
    auto done = follower->done();
    context.spawn(std::move(follower));
    ok = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready && done.get();
  }
  ok = demo::peer_succeeded(leader) && ok;
  std::cout << (ok ? "handshake complete" : "handshake FAILED") << std::endl;
  return ok ? 0 : 1;
}
