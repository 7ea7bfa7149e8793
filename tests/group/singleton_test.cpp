// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/singleton.hpp>  // first: the header compiles on its own

#include "support/named_group.hpp"

#include <compactor/context.hpp>
#include <compactor/process.hpp>

#include <gtest/gtest.h>

#include <mutex>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;
using testing::NamedGroup;

// Members of a group on virtual time, each with a context (real threads) for its instance.
class SingletonGroup {
 public:
  struct Record {
    std::string member;
    SingletonEvent event;
  };

  ~SingletonGroup() {
    for (auto& [name, singleton] : singletons_) singleton.reset();  // before their members
  }

  void add(const std::string& name) {
    auto& node = group_.add(name);
    auto& context = *(contexts_[name] = std::make_unique<Context>(ContextOptions{.workers = 1}));
    SingletonOptions options;
    options.on_event = [this, name](const SingletonEvent& event) {
      std::lock_guard lock(mutex_);
      records_.push_back({name, event});
    };
    singletons_[name] = std::make_unique<Singleton>(
        *node.member, *node.names, context, "svc",
        [](std::uint64_t) { return std::make_unique<Process>("svc"); }, options);
  }

  // A member that dies: its singleton stops, its names say goodbye.
  void remove(const std::string& name) {
    singletons_.erase(name);
    group_.remove(name);
  }

  // Who runs an instance now.
  std::vector<std::string> running() const {
    std::vector<std::string> names;
    for (const auto& [name, singleton] : singletons_) {
      if (singleton && singleton->running_epoch()) names.push_back(name);
    }
    return names;
  }
  std::uint64_t epoch_of(const std::string& name) const {
    return singletons_.at(name)->running_epoch().value_or(0);
  }

  // Runs for `duration` in steps of a second; the most instances seen at once.
  std::size_t run_for(Clock::duration duration) {
    std::size_t most = 0;
    for (auto left = duration; left > Clock::duration::zero(); left -= 1s) {
      group_.run_for(std::min<Clock::duration>(left, 1s));
      most = std::max(most, running().size());
    }
    return most;
  }

  NamedGroup& group() { return group_; }
  std::vector<Record> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  NamedGroup group_;
  std::map<std::string, std::unique_ptr<Context>> contexts_;
  std::map<std::string, std::unique_ptr<Singleton>> singletons_;
  mutable std::mutex mutex_;
  std::vector<Record> records_;
};

TEST(Singleton, OneInstanceRunsStaysAndMovesWhenItsMemberGoes) {
  SingletonGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name);
  EXPECT_LE(group.run_for(10min), 1u) << "never two at once";
  ASSERT_EQ(group.running().size(), 1u);
  const std::string first = group.running()[0];
  EXPECT_EQ(group.epoch_of(first), 1u);
  EXPECT_EQ(group.records().size(), 1u) << "it stayed put while the tag went round";
  for (const char* name : {"a", "b", "c"}) {
    const auto holder = group.group()[name].find("svc");
    ASSERT_TRUE(holder) << name;
    EXPECT_EQ(holder->member, first);
    EXPECT_EQ(holder->epoch, 1u);
  }

  group.remove(first);
  // The next tag holder claims it: within a cycle or two (C + 2.5 G = 13.75 s at most each).
  EXPECT_LE(group.run_for(2 * 14s), 1u);
  ASSERT_EQ(group.running().size(), 1u);
  const std::string second = group.running()[0];
  EXPECT_NE(second, first);
  EXPECT_EQ(group.epoch_of(second), 2u);
}

TEST(Singleton, ACutOffMemberKeepsItsSideAndTheHealKeepsTheHigherEpoch) {
  SingletonGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name);
  group.run_for(2min);
  ASSERT_EQ(group.running().size(), 1u);
  const std::string first = group.running()[0];
  group.group().partition(first, 1);
  // Its name's lease lapses on the other side, which starts its own within 3 cycles: not
  // consensus.
  group.run_for(3 * 14s);
  ASSERT_EQ(group.running().size(), 2u);
  std::string second;
  for (const auto& name : group.running()) {
    if (name != first) second = name;
  }
  EXPECT_EQ(group.epoch_of(second), 2u);
  group.group().partition(first, 0);
  group.run_for(5min);  // a rejoin announces: the lower epoch stops
  ASSERT_EQ(group.running(), std::vector<std::string>{second});
  const auto records = group.records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().member, first);
  EXPECT_EQ(records.back().event.kind, SingletonEvent::Kind::stopped);
  EXPECT_EQ(records.back().event.why, "outbid by " + second + " (epoch 2)");
}

TEST(Singleton, ANewcomerStartsAboveTheEpochsItNeverSaw) {
  SingletonGroup group;
  group.add("a");
  group.group().add("witness");  // names, no singleton: it remembers epoch 1
  group.run_for(2min);
  ASSERT_EQ(group.running(), std::vector<std::string>{"a"});
  group.remove("a");  // vacant now
  group.run_for(10s);
  group.add("late");  // asks; the witness answers that the name was at epoch 1
  group.run_for(2min);
  ASSERT_EQ(group.running(), std::vector<std::string>{"late"});
  EXPECT_EQ(group.epoch_of("late"), 2u);
}

}  // namespace
}  // namespace compactor::beacon
