// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/member.hpp>  // first: the header compiles on its own

#include "support/wait.hpp"

#include <compactor/beacon/discovery.hpp>
#include <compactor/beacon/local_bus.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;

// The shortest timing asyncactor allows (cycle >= 1, cycle >= 3 gap), so a test takes seconds.
Member::Options fast(std::uint64_t seed) {
  Member::Options options;
  options.config = Config{.cycle = 1, .gap = 0.2};
  options.seed = seed;
  return options;
}

TEST(Member, ThreeMembersOnALocalBusElectATagHolder) {
  LocalBus bus("group");
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 0; i < 3; ++i) {
    std::string name = "m";
    name += std::to_string(i);
    members.push_back(
        std::make_unique<Member>(name, bus.channel(), fast(static_cast<std::uint64_t>(i))));
    members.back()->set_value(i);
    members.back()->start();
  }
  // Start-up takes C + 1.5-2 G = 1.3-1.4 s, the first tag comes G after a ping.
  bool tagged = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!tagged && std::chrono::steady_clock::now() < deadline) {
    for (auto& member : members) {
      while (auto event = member->next_event(10ms)) {
        if (std::holds_alternative<TagEvent>(*event)) tagged = true;
      }
    }
  }
  EXPECT_TRUE(tagged);
  for (auto& member : members) {
    EXPECT_FALSE(member->history().empty());
    member->stop();
  }
}

TEST(Member, DuplicateNamesAreReported) {
  LocalBus bus("group");
  Member first("same", bus.channel(), fast(1));
  Member second("same", bus.channel(), fast(2));
  first.start();
  second.start();
  std::optional<ErrorEvent> error;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!error && std::chrono::steady_clock::now() < deadline) {
    if (auto event = first.next_event(50ms); event && std::holds_alternative<ErrorEvent>(*event)) {
      error = std::get<ErrorEvent>(*event);
    }
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, ErrorEvent::Kind::duplicate_name);
}

TEST(Member, SlowReadersLoseTheOldestEventsNotTheRhythm) {
  LocalBus bus("group");
  Member::Options options = fast(3);
  options.max_queued_events = 1;
  options.send_raw = true;  // one event per payload: init and vers come back at once
  Member member("m", bus.channel(), options);
  member.start();
  // Nobody reads: the second echo pushes the first out.
  EXPECT_TRUE(testing::wait_until([&] { return member.dropped_events() > 0; }, 5s));
  EXPECT_TRUE(member.next_event(1s));
}

}  // namespace
}  // namespace compactor::beacon

namespace compactor::beacon {
namespace {

using namespace std::chrono_literals;

// Members on a LocalBus on a ManualClock: the whole stack (driver, timers, channel) on virtual
// time, run by the test's thread, so a run is exact and repeatable.
class ManualGroup {
 public:
  struct Record {
    double at;  // seconds since the group was made
    std::string member;
    Event event;
  };

  explicit ManualGroup(Clock::duration latency = 1ms)
      : bus_("group", &clock_), start_(clock_.now()) {
    bus_.set_default_link({.delay = latency});
  }

  Member& add(const std::string& name, Value value, std::uint64_t seed) {
    Member::Options options;
    options.seed = seed;
    options.clock = &clock_;
    options.on_event = [this, name](const Event& event) {
      records_.push_back({seconds(), name, event});
    };
    auto& member = *(members_[name] = std::make_unique<Member>(name, bus_.channel(), options));
    member.set_value(std::move(value));
    member.start();
    return member;
  }

  Member& operator[](const std::string& name) { return *members_.at(name); }
  void run_for(std::chrono::seconds duration) { clock_.advance(duration); }
  double seconds() const { return std::chrono::duration<double>(clock_.now() - start_).count(); }

  template <class E>
  std::vector<Record> records_of() const {
    std::vector<Record> found;
    for (const auto& r : records_) {
      if (std::holds_alternative<E>(r.event)) found.push_back(r);
    }
    return found;
  }

 private:
  ManualClock clock_;
  LocalBus bus_;
  Clock::time_point start_;
  std::vector<Record> records_;  // declared before the members, which report into it
  std::map<std::string, std::unique_ptr<Member>> members_;
};

std::vector<std::pair<double, std::string>> tags_of(const ManualGroup& group) {
  std::vector<std::pair<double, std::string>> tags;
  for (const auto& r : group.records_of<TagEvent>()) tags.emplace_back(r.at, r.member);
  return tags;
}

std::vector<std::pair<double, std::string>> ten_minutes_of_three(std::uint64_t seed) {
  ManualGroup group;
  for (int i = 0; i < 3; ++i) {
    std::string name = "m";
    name += std::to_string(i);
    group.add(name, 31 * (i + 1), seed * 10 + static_cast<std::uint64_t>(i));
  }
  group.run_for(600s);
  return tags_of(group);
}

TEST(MemberOnManualClock, ThreeMembersKeepTheCapturedRhythmAndRepeatExactly) {
  const auto tags = ten_minutes_of_three(1);
  ASSERT_GE(tags.size(), 45u);
  std::size_t list_slots = 0;
  for (std::size_t i = 3; i < tags.size(); ++i) {
    const double interval = tags[i].first - tags[i - 1].first;
    list_slots += std::abs(interval - 11.3125) < 0.01;
    EXPECT_NE(tags[i].second, tags[i - 1].second) << "the tag moves on every cycle";
  }
  EXPECT_GE(list_slots * 10, (tags.size() - 3) * 7) << "mostly the regular slot, C + 0.875 G";
  EXPECT_EQ(ten_minutes_of_three(1), tags) << "same seeds, same run";
  EXPECT_NE(ten_minutes_of_three(2), tags);
}

TEST(MemberOnManualClock, ASilentMemberIsReportedGoneAndJoinsAgain) {
  ManualGroup group;
  for (const char* name : {"a", "b", "c"}) group.add(name, 1, name[0]);
  group.run_for(120s);
  const auto holder = group["a"].holder();
  ASSERT_TRUE(holder);
  const std::string survivor = *holder == "a" ? "b" : "a";
  EXPECT_EQ(group[survivor].members().size(), 2u);

  const double stopped_at = group.seconds();
  group[*holder].stop();
  group.run_for(300s);
  // 12 cycles of at most C + 2.5 G = 13.75 s.
  std::vector<ManualGroup::Record> gone;
  for (const auto& r : group.records_of<GoneEvent>()) {
    EXPECT_EQ(std::get<GoneEvent>(r.event).node, *holder);
    EXPECT_GE(r.at - stopped_at, 12 * 13.75 - 13.75);
    EXPECT_LE(r.at - stopped_at, 12 * 13.75 + 0.01);
    gone.push_back(r);
  }
  EXPECT_EQ(gone.size(), 2u) << "each survivor once";
  EXPECT_NE(group[survivor].holder(), holder) << "the tag moved on";
  for (const auto& info : group[survivor].members()) EXPECT_EQ(info.gone, info.name == *holder);

  group.add(*holder + "-again", 1, 99);
  group.run_for(30s);
  std::set<std::string> welcomed_by;
  for (const auto& r : group.records_of<JoinEvent>()) {
    if (std::get<JoinEvent>(r.event).node == *holder + "-again") welcomed_by.insert(r.member);
  }
  std::set<std::string> survivors{"a", "b", "c"};
  survivors.erase(*holder);
  EXPECT_EQ(welcomed_by, survivors);
}

TEST(MemberOnManualClock, EveryMemberFindsTheHoldersPidAndAllLivePids) {
  ManualGroup group;
  std::vector<PID> pids;
  for (int i = 0; i < 3; ++i) {
    std::string name = "w";
    name += std::to_string(i);
    pids.emplace_back(name, Address{"127.0.0.1", static_cast<std::uint16_t>(6000 + i)});
    group.add(name, pid_value(i, pids.back()), static_cast<std::uint64_t>(i));
  }
  group.run_for(60s);
  const auto holder = group["w0"].holder();
  ASSERT_TRUE(holder);
  for (const char* name : {"w0", "w1", "w2"}) {
    EXPECT_EQ(holder_pid(group[name]),
              PID::parse(*holder + "@127.0.0.1:" + std::to_string(6000 + (*holder)[1] - '0')));
    auto live = live_pids(group[name]);
    std::sort(live.begin(), live.end(),
              [](const PID& a, const PID& b) { return a.to_string() < b.to_string(); });
    EXPECT_EQ(live, pids) << name;
  }
}

// A callback that steps down as soon as it gets the tag calls back into the Member it came from.
TEST(MemberOnManualClock, AnEventCallbackMayCallTheMember) {
  ManualClock clock;
  LocalBus bus("group", &clock);
  Member* self = nullptr;
  int tags = 0;
  Member::Options options;
  options.clock = &clock;
  options.seed = 3;
  options.on_event = [&](const Event& event) {
    if (!std::holds_alternative<TagEvent>(event)) return;
    ++tags;
    EXPECT_EQ(self->holder(), "m");
    self->set_value(tags);
    self->disable();
  };
  Member member("m", bus.channel(), options);
  self = &member;
  member.set_value(0);
  member.start();
  clock.advance(60s);
  EXPECT_EQ(tags, 1) << "disabled after its first tag";
  EXPECT_EQ(member.value(), Value(1));
}

TEST(MemberOnManualClock, MalformedPayloadsAndIncomparableValuesDoNotStopAnyone) {
  ManualClock clock;
  LocalBus bus("group", &clock);
  Member::Options options;
  options.clock = &clock;
  options.seed = 5;
  Member a("a", bus.channel(), options);
  Member b("b", bus.channel(), options);
  a.set_value(1);
  b.set_value("text");  // Python raises comparing int and str; here the names decide
  a.start();
  b.start();
  auto stranger = bus.channel();
  stranger->open([](std::string_view) {}, {});
  for (int i = 0; i < 100; ++i) stranger->send("\xc1 not msgpack");
  clock.advance(120s);
  EXPECT_TRUE(a.holder());
  EXPECT_EQ(a.holder(), b.holder());
  EXPECT_EQ(a.members().size(), 1u);
}

}  // namespace
}  // namespace compactor::beacon
