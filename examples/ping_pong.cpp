// SPDX-License-Identifier: Apache-2.0
// Ping/pong between two contexts (two listening ports) in one program.
//
// The pong process answers every "ping" with a "pong" carrying the same body; the ping process
// sends a few pings and prints each answer.

#include <compactor/compactor.hpp>

#include <cstdio>
#include <future>
#include <iostream>

using namespace compactor;

class Pong : public Process {
 public:
  Pong() : Process("pong") {}

  void initialize() override { install("ping", &Pong::ping); }

  void ping(const PID& from, std::string_view body) { send(from, "pong", body); }
};

class Ping : public Process {
 public:
  Ping(PID pong, int rounds) : Process("ping"), pong_(std::move(pong)), rounds_(rounds) {}

  std::future<void> done() { return done_.get_future(); }

  void initialize() override {
    install("pong", &Ping::pong);
    send(pong_, "ping", "round 1");
  }

  void pong(const PID& from, std::string_view body) {
    std::cout << self() << " got pong '" << body << "' from " << from << std::endl;
    if (++received_ == rounds_) {
      done_.set_value();
      return;
    }
    send(pong_, "ping", "round " + std::to_string(received_ + 1));
  }

 private:
  PID pong_;
  int rounds_;
  int received_ = 0;
  std::promise<void> done_;
};

int main() {
  Context server({.ip = "127.0.0.1", .port = 0});
  Context client({.ip = "127.0.0.1", .port = 0});
  const PID pong = server.spawn(std::make_unique<Pong>());
  auto ping = std::make_unique<Ping>(pong, 3);
  auto done = ping->done();
  client.spawn(std::move(ping));
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    std::cerr << "no pong within 10 s" << std::endl;
    return 1;
  }
  std::cout << "ping/pong done" << std::endl;
  return 0;
}
