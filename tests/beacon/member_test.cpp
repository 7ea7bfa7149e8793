#include <compactor/beacon/member.hpp>  // first: the header compiles on its own

#include <compactor/beacon/local_bus.hpp>

#include <gtest/gtest.h>

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
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (member.dropped_events() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(member.dropped_events(), 0u);
  EXPECT_TRUE(member.next_event(1s));
}

}  // namespace
}  // namespace compactor::beacon
