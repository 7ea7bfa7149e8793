#pragma once
// Beacon members on virtual time over a simulated broadcast channel (every member, the sender
// included, gets every message, in one order, after a fixed latency), with kill and partition
// controls: an hour of a large group runs in a fraction of a second.

#include "beacon/beacon_state.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace compactor::testing {

class BeaconSimulation {
 public:
  struct Record {
    beacon::Time time;
    std::string member;
    beacon::Event event;
  };

  explicit BeaconSimulation(std::uint64_t seed, beacon::Time latency = 0.001)
      : random_(seed), latency_(latency) {}

  // Adds a member that starts at `start`.
  beacon::BeaconState& add(const std::string& name, beacon::Value value, beacon::Time start = 0,
                           beacon::Config config = {}, beacon::BeaconState::Options options = {}) {
    auto member = std::make_unique<Member>();
    member->state = std::make_unique<beacon::BeaconState>(name, std::move(config), options, [this] {
      return std::uniform_real_distribution<double>(0, 1)(random_);
    });
    member->state->set_value(std::move(value));
    member->start = start;
    auto& state = *member->state;
    members_[name] = std::move(member);
    return state;
  }

  // The member stops receiving and sending, as after kill -9.
  void kill(const std::string& name) { members_.at(name)->alive = false; }

  // Members in different groups (a member in no group is in group 0) do not hear each other.
  void set_group(const std::string& name, int group) { members_.at(name)->group = group; }

  // Runs everything due up to `end`.
  void run_until(beacon::Time end);

  beacon::Time now() const { return now_; }
  const std::vector<Record>& records() const { return records_; }
  std::size_t broadcasts() const { return broadcasts_; }
  beacon::BeaconState& member(const std::string& name) { return *members_.at(name)->state; }

 private:
  struct Member {
    std::unique_ptr<beacon::BeaconState> state;
    beacon::Time start = 0;
    bool started = false;
    bool alive = true;
    int group = 0;
  };
  struct Delivery {
    beacon::Time at;
    std::uint64_t sequence;
    std::string to;
    std::string payload;
    bool operator>(const Delivery& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  void collect(const std::string& name, Member& member);

  std::mt19937_64 random_;
  beacon::Time latency_;
  beacon::Time now_ = 0;
  std::uint64_t sequence_ = 0;
  std::size_t broadcasts_ = 0;
  std::map<std::string, std::unique_ptr<Member>> members_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> deliveries_;
  std::vector<Record> records_;
};

inline void BeaconSimulation::collect(const std::string& name, Member& member) {
  for (auto& event : member.state->take_events())
    records_.push_back({now_, name, std::move(event)});
  for (auto& payload : member.state->take_broadcasts()) {
    ++broadcasts_;
    for (const auto& [to, receiver] : members_) {
      if (receiver->group != member.group) continue;
      deliveries_.push({now_ + latency_, sequence_++, to, payload});
    }
  }
}

inline void BeaconSimulation::run_until(beacon::Time end) {
  for (;;) {
    // The earliest thing that happens next: a start, a delivery, or a member's timer.
    beacon::Time next = end + 1;
    Member* timer_owner = nullptr;
    std::string timer_name;
    for (auto& [name, member] : members_) {
      if (!member->alive) continue;
      const beacon::Time at = member->started ? member->state->next_deadline() : member->start;
      if (at < next) {
        next = at;
        timer_owner = member.get();
        timer_name = name;
      }
    }
    const bool delivery_first = !deliveries_.empty() && deliveries_.top().at <= next;
    if (delivery_first) next = deliveries_.top().at;
    if (next > end) break;
    now_ = next;
    if (delivery_first) {
      Delivery delivery = deliveries_.top();
      deliveries_.pop();
      auto& member = *members_.at(delivery.to);
      if (member.alive && member.started) {
        member.state->on_payload(now_, delivery.payload);
        collect(delivery.to, member);
      }
      continue;
    }
    if (!timer_owner->started) {
      timer_owner->started = true;
      timer_owner->state->start(now_);
    } else {
      timer_owner->state->on_timer(now_);
    }
    collect(timer_name, *timer_owner);
  }
  now_ = end;
}

}  // namespace compactor::testing
