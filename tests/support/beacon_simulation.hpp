// SPDX-License-Identifier: Apache-2.0
#pragma once
// Beacon members on virtual time over a simulated broadcast channel (every member, the sender
// included, gets every message, in one order, after a fixed latency), with kill and partition
// controls: an hour of a large group runs in a fraction of a second. Its calls count time in
// seconds from 0; the members run on beacon::Time from Time{}.

#include "beacon/beacon_state.hpp"
#include "support/virtual_time.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace compactor::testing {

class BeaconSimulation {
 public:
  struct Record {
    double time;  // seconds
    std::string member;
    beacon::Event event;
  };

  explicit BeaconSimulation(std::uint64_t seed, double latency = 0.001)
      : random_(seed), latency_(util::seconds(latency)) {}

  // Adds a member that starts at `start`.
  beacon::BeaconState& add(const std::string& name, beacon::Value value, double start = 0,
                           beacon::Config config = {}, beacon::BeaconState::Options options = {}) {
    auto member = std::make_unique<Member>();
    member->state = std::make_unique<beacon::BeaconState>(name, std::move(config), options, [this] {
      return std::uniform_real_distribution<double>(0, 1)(random_);
    });
    member->state->set_value(std::move(value));
    member->start = time_at(start);
    auto& state = *member->state;
    auto& added = *(members_[name] = std::move(member));
    if (primed_) schedule(name, added);
    return state;
  }

  // The member stops receiving and sending, as after kill -9.
  void kill(const std::string& name) { members_.at(name)->alive = false; }

  // The member's channel goes silent (a broker cut off without a word): what it sends reaches
  // nobody, itself included, and it hears nothing; or it works again.
  void cut(const std::string& name) { members_.at(name)->cut = true; }
  void heal(const std::string& name) { members_.at(name)->cut = false; }

  // Members in different groups (a member in no group is in group 0) do not hear each other.
  void set_group(const std::string& name, int group) { members_.at(name)->group = group; }

  // Delivers `message` to every member of group 0 now, as if a member outside the simulation sent
  // it.
  void inject(const beacon::Message& message) {
    auto shared = std::make_shared<const beacon::Message>(message);
    for (const auto& [to, receiver] : members_) {
      if (receiver->group == 0) deliveries_.push({now_ + latency_, sequence_++, to, shared});
    }
  }

  // Runs everything due up to `end`.
  void run_until(double end);

  double now() const { return seconds_of(now_); }
  const std::vector<Record>& records() const { return records_; }
  // Keep only the times of TagEvents, not every event (a large group's events take more memory
  // than its members).
  void drop_records() { keep_records_ = false; }
  const std::vector<double>& tag_times() const { return tag_times_; }
  std::size_t broadcasts() const { return broadcast_times_.size(); }
  // Every broadcast's message, with its time and sender, when recording them was asked for.
  void record_messages() { recording_messages_ = true; }
  const std::vector<std::pair<Record, beacon::Message>>& messages() const { return messages_; }
  // Broadcasts sent at or after `from`.
  std::size_t broadcasts_since(double from) const {
    return static_cast<std::size_t>(
        broadcast_times_.end() -
        std::lower_bound(broadcast_times_.begin(), broadcast_times_.end(), from));
  }
  beacon::BeaconState& member(const std::string& name) { return *members_.at(name)->state; }
  // The member's warnings since the last take.
  std::vector<std::string> take_warnings(const std::string& name) {
    return std::exchange(members_.at(name)->warnings, {});
  }

 private:
  struct Member {
    std::unique_ptr<beacon::BeaconState> state;
    beacon::Time start{};
    bool started = false;
    bool alive = true;
    bool cut = false;
    int group = 0;
    std::vector<std::string> warnings;
    beacon::Time scheduled_at = util::kNever;  // the deadline queued in timers_ for this member
  };
  struct Delivery {
    beacon::Time at;
    std::uint64_t sequence;
    std::string to;
    std::shared_ptr<const beacon::Message> message;  // decoded once, shared by all receivers
    bool operator>(const Delivery& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  void collect(const std::string& name, Member& member);
  void schedule(const std::string& name, Member& member);

  std::mt19937_64 random_;
  util::Duration latency_;
  beacon::Time now_{};
  std::uint64_t sequence_ = 0;
  std::vector<double> broadcast_times_;
  std::map<std::string, std::unique_ptr<Member>> members_;
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> deliveries_;
  // Members' next deadlines (a Delivery without payload); stale entries are skipped.
  std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> timers_;
  bool primed_ = false;
  std::vector<Record> records_;
  bool keep_records_ = true;
  std::vector<double> tag_times_;
  bool recording_messages_ = false;
  std::vector<std::pair<Record, beacon::Message>> messages_;
};

inline void BeaconSimulation::collect(const std::string& name, Member& member) {
  auto actions = member.state->take_actions();
  for (auto& event : actions.events) {
    if (std::holds_alternative<beacon::TagEvent>(event)) tag_times_.push_back(now());
    if (keep_records_) records_.push_back({now(), name, std::move(event)});
  }
  for (auto& warning : actions.warnings) member.warnings.push_back(std::move(warning));
  for (auto& payload : actions.broadcasts) {
    if (member.cut) continue;
    broadcast_times_.push_back(now());
    auto decoded = beacon::decode(payload);
    if (!std::holds_alternative<beacon::Message>(decoded)) continue;  // never: we encoded it
    auto message = std::make_shared<const beacon::Message>(std::get<beacon::Message>(decoded));
    if (recording_messages_) messages_.push_back({{now(), name, beacon::RawEvent{}}, *message});
    for (const auto& [to, receiver] : members_) {
      if (receiver->group != member.group) continue;
      deliveries_.push({now_ + latency_, sequence_++, to, message});
    }
  }
}

inline void BeaconSimulation::schedule(const std::string& name, Member& member) {
  const beacon::Time at = member.started ? member.state->next_deadline() : member.start;
  if (member.alive && at != member.scheduled_at && at != util::kNever) {
    member.scheduled_at = at;
    timers_.push({at, sequence_++, name, nullptr});
  }
}

inline void BeaconSimulation::run_until(double end_seconds) {
  const beacon::Time end = time_at(end_seconds);
  if (!primed_) {
    for (auto& [name, member] : members_) schedule(name, *member);
    primed_ = true;
  }
  for (;;) {
    // Drop timer entries that no longer match their member's next deadline.
    while (!timers_.empty()) {
      const auto& top = timers_.top();
      const auto& member = *members_.at(top.to);
      if (member.alive && member.scheduled_at == top.at) break;
      timers_.pop();
    }
    const bool have_timer = !timers_.empty();
    const bool have_delivery = !deliveries_.empty();
    if (!have_timer && !have_delivery) break;
    const bool delivery_first =
        have_delivery && (!have_timer || deliveries_.top().at <= timers_.top().at);
    const beacon::Time next = delivery_first ? deliveries_.top().at : timers_.top().at;
    if (next > end) break;
    now_ = next;
    if (delivery_first) {
      Delivery delivery = deliveries_.top();
      deliveries_.pop();
      auto& member = *members_.at(delivery.to);
      if (member.alive && member.started && !member.cut) {
        member.state->on_message(now_, delivery.message);
        collect(delivery.to, member);
        schedule(delivery.to, member);
      }
      continue;
    }
    const std::string name = timers_.top().to;
    timers_.pop();
    auto& member = *members_.at(name);
    member.scheduled_at = util::kNever;
    if (!member.started) {
      member.started = true;
      member.state->start(now_);
    } else {
      member.state->on_deadline(now_);
    }
    collect(name, member);
    schedule(name, member);
  }
  now_ = end;
}

}  // namespace compactor::testing
