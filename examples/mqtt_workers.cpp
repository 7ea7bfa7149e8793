// SPDX-License-Identifier: Apache-2.0
// Workers that find each other through an MQTT broker, with no address given but the broker's:
// each publishes its PID in its beacon value, and sends a job every 200 ms to whoever holds the
// tag. Kill the holder and the jobs go to the next one.
//
// Usage: mqtt_workers BROKER_HOST:PORT NAME     (run three, with different names; Ctrl-C ends)

#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/mqtt_channel.hpp>
#include <compactor/compactor.hpp>

#include <csignal>
#include <iostream>
#include <string>
#include <thread>

using namespace compactor;
using namespace std::chrono_literals;

class Worker : public Process {
 public:
  explicit Worker(std::string name) : Process(std::move(name)) {}
  void initialize() override { install("work", &Worker::work); }
  void work(const PID& from, std::string_view job) {
    std::cout << self().id << " got " << job << " from " << from.id << std::endl;
  }
};

volatile std::sig_atomic_t stopping = 0;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mqtt_workers BROKER_HOST:PORT NAME" << std::endl;
    return 2;
  }
  const std::string broker = argv[1];
  const auto colon = broker.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "the broker is HOST:PORT" << std::endl;
    return 2;
  }
  std::signal(SIGINT, [](int) { stopping = 1; });
  std::signal(SIGTERM, [](int) { stopping = 1; });

  Worker worker(argv[2]);
  Context context({.ip = "127.0.0.1", .port = 0});
  const PID self = context.spawn(worker);

  beacon::MqttOptions mqtt;
  mqtt.host = broker.substr(0, colon);
  mqtt.port = static_cast<std::uint16_t>(std::stoi(broker.substr(colon + 1)));
  mqtt.topic = "compactor/workers";
  beacon::Member::Options options;
  options.config = beacon::Config{.cycle = 1.0, .gap = 0.2};  // fast, for the demo
  beacon::Member member(self.id, beacon::mqtt_channel(mqtt), options);
  member.set_value(beacon::pid_value(0, self));
  member.start();
  std::cout << self << " joined" << std::endl;

  for (int job = 1; !stopping; ++job) {
    std::this_thread::sleep_for(200ms);
    if (const auto holder = beacon::holder_pid(member); holder && *holder != self) {
      context.send(self, *holder, "work", "job " + std::to_string(job));
    }
  }
  member.stop();
  return 0;
}
