// SPDX-License-Identifier: Apache-2.0
// Service discovery through a beacon group: workers publish their PIDs in their values, and a
// client sends work to whoever holds the tag, found through a passive member. When the holder
// dies, the group moves the tag and the work follows, with no address configured anywhere.
//
// Everything runs in one program on a LocalBus; with an MQTT or Serf channel the same code spans
// machines.

#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/compactor.hpp>

#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

using namespace compactor;
using namespace std::chrono_literals;

class Worker : public Process {
 public:
  explicit Worker(std::string name) : Process(std::move(name)) {}
  void initialize() override { install("work", &Worker::work); }
  void work(const PID& from, std::string_view job) { send(from, "done", job); }
};

// Counts the answers per worker.
class Client : public Process {
 public:
  Client() : Process("client") {}
  void initialize() override { install("done", &Client::done); }
  void done(const PID& from, std::string_view) {
    std::lock_guard lock(mutex_);
    ++answers_[from.id];
  }
  std::map<std::string, int> answers() {
    std::lock_guard lock(mutex_);
    return std::exchange(answers_, {});
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> answers_;
};

// The shortest timing asyncactor allows, so that the demo takes seconds.
beacon::Member::Options fast_group(bool enabled) {
  beacon::Member::Options options;
  options.config = beacon::Config{.cycle = 1, .gap = 0.2};
  options.enabled = enabled;
  return options;
}

// Sends one job every 20 ms to the current holder for `duration`; returns who answered.
std::map<std::string, int> send_work(Context& context, const PID& client, Client& counts,
                                     const beacon::Member& watcher,
                                     std::chrono::milliseconds duration) {
  counts.answers();  // forget earlier rounds
  for (auto end = std::chrono::steady_clock::now() + duration;
       std::chrono::steady_clock::now() < end;) {
    if (auto holder = beacon::holder_pid(watcher)) context.send(client, *holder, "work", "job");
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(100ms);  // the last answers
  return counts.answers();
}

int main() {
  beacon::LocalBus bus("workers");
  Client client;
  std::vector<std::unique_ptr<Worker>> workers;
  Context context({.ip = "127.0.0.1", .port = 0});
  const PID client_pid = context.spawn(client);

  std::map<std::string, std::unique_ptr<beacon::Member>> members;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<Worker>("worker" + std::to_string(i)));
    const PID pid = context.spawn(*workers.back());
    auto member = std::make_unique<beacon::Member>(pid.id, bus.channel(), fast_group(true));
    member->set_value(beacon::pid_value(i, pid));
    member->start();
    members[pid.id] = std::move(member);
  }
  beacon::Member watcher("client", bus.channel(), fast_group(false));
  watcher.start();

  // Wait for the group to name a holder (start-up takes C + 2 G or so).
  for (int i = 0; i < 100 && !beacon::holder_pid(watcher); ++i) std::this_thread::sleep_for(50ms);
  const auto first = beacon::holder_pid(watcher);
  if (!first) {
    std::cerr << "no tag holder within 5 s" << std::endl;
    return 1;
  }
  std::cout << "holder: " << *first << std::endl;
  for (const auto& [worker, count] : send_work(context, client_pid, client, watcher, 1s)) {
    std::cout << "  " << worker << " did " << count << " jobs" << std::endl;
  }

  // The holder dies: its member falls silent and its process is gone.
  std::cout << "stopping " << first->id << std::endl;
  members.at(first->id)->stop();
  context.terminate(*first);
  std::this_thread::sleep_for(3s);  // a few cycles for the group to move the tag
  const auto second = beacon::holder_pid(watcher);
  const auto after = send_work(context, client_pid, client, watcher, 1s);
  for (const auto& [worker, count] : after) {
    std::cout << "  " << worker << " did " << count << " jobs" << std::endl;
  }
  if (!second || *second == *first || after.count(first->id) != 0 || after.empty()) {
    std::cerr << "the work did not move to a new holder" << std::endl;
    return 1;
  }
  std::cout << "work moved from " << first->id << " to " << second->id << "; discovery done"
            << std::endl;
  return 0;
}
