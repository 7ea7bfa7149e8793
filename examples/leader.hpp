// SPDX-License-Identifier: Apache-2.0
#pragma once
// The leader of the leader/follower examples (leader_follower.cpp, with callbacks, and
// leader_follower_coroutines.cpp): it answers "ping" with "pong" and terminates on "stop".

#include <compactor/compactor.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>

namespace demo {

using compactor::PID;

class Leader : public compactor::Process {
 public:
  Leader() : compactor::Process("leader") {}

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

// The leader's side, in the child: its own context; announces its PID to the parent.
inline int run_leader(const std::function<void(const PID&)>& announce) {
  compactor::Context context({.ip = "127.0.0.1", .port = 0});
  const PID leader = context.spawn(std::make_unique<Leader>());
  std::cout << "leader:   listening as " << leader << std::endl;
  announce(leader);
  context.wait(leader, std::chrono::seconds(20));
  return 0;  // the context closes here, and with it the follower's link
}

}  // namespace demo
