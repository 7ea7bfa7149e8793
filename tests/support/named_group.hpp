// SPDX-License-Identifier: Apache-2.0
#pragma once
// Members with names on a LocalBus on a ManualClock, for the tests of Names and Singleton.

#include <compactor/beacon/local_bus.hpp>
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/names.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace compactor::testing {

// Members with names on a LocalBus on a ManualClock: hours of group life in a second.
class NamedGroup {
 public:
  struct Node {
    beacon::Channel* channel = nullptr;  // the member's, for partitions (its sibling follows it)
    std::unique_ptr<beacon::Member> member;
    std::unique_ptr<beacon::Names> names;  // after the member: destroyed first
  };

  NamedGroup() : bus_("group", &clock_) {
    bus_.set_default_link({.delay = std::chrono::milliseconds(1)});
    // Every payload of either lane, to check what travels where.
    for (auto* lane : {&group_payloads_, &name_payloads_}) {
      auto& probe = probes_.emplace_back(
          lane == &group_payloads_ ? bus_.channel() : bus_.channel()->sibling("names"));
      probe->open([lane](std::string_view payload) { lane->emplace_back(payload); }, nullptr);
    }
  }

  Node& add(const std::string& name) {
    auto& node = nodes_[name];
    auto channel = bus_.channel();
    auto names_channel = channel->sibling("names");
    node.channel = channel.get();
    beacon::Member::Options options;
    options.seed = ++seed_;
    options.clock = &clock_;
    node.member = std::make_unique<beacon::Member>(name, std::move(channel), options);
    node.member->set_value(1);
    node.member->start();
    node.names = std::make_unique<beacon::Names>(*node.member, std::move(names_channel),
                                                 beacon::NamesOptions{.clock = &clock_});
    node.names->start();
    return node;
  }

  beacon::Names& operator[](const std::string& name) { return *nodes_.at(name).names; }
  Node& node(const std::string& name) { return nodes_.at(name); }
  // Stops and destroys a node (its names say goodbye).
  void remove(const std::string& name) { nodes_.erase(name); }
  void partition(const std::string& name, int partition) {
    bus_.set_partition(*nodes_.at(name).channel, partition);
  }
  void run_for(Clock::duration duration) { clock_.advance(duration); }
  std::unique_ptr<beacon::Channel> names_channel() { return bus_.channel()->sibling("names"); }

  const std::vector<std::string>& group_payloads() const { return group_payloads_; }
  const std::vector<std::string>& name_payloads() const { return name_payloads_; }

 private:
  ManualClock clock_;
  beacon::LocalBus bus_;
  std::vector<std::string> group_payloads_, name_payloads_;
  std::vector<std::unique_ptr<beacon::Channel>> probes_;
  std::uint64_t seed_ = 0;
  std::map<std::string, Node> nodes_;
};

}  // namespace compactor::testing
