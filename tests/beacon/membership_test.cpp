// SPDX-License-Identifier: Apache-2.0
#include "beacon/membership.hpp"

#include "support/virtual_time.hpp"

#include <gtest/gtest.h>

namespace compactor::beacon {
namespace {

using testing::time_at;

// In double seconds, 0.7 + 0.1 rounded to 0.7999999999999999, and that minus 0.7 to just under
// 0.1: a check that compared the silence with the difference found the node not yet gone and
// set the next check to the very same time, so the clock's thread spun on it for ever. Time is
// integral now; the node must still be gone at its deadline, and the next check move on.
TEST(Membership, ANodeIsGoneAtItsDeadline) {
  Membership membership(util::seconds(0.1));
  std::vector<Event> events;
  membership.heard(time_at(0.7), "a", nullptr, events);
  ASSERT_EQ(events.size(), 1u);  // joined
  const Membership::Time due = membership.next_check();
  ASSERT_EQ(due, time_at(0.7) + util::seconds(0.1));
  membership.check(due, events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(std::get<GoneEvent>(events.back()).node, "a");
  EXPECT_GT(membership.next_check(), due) << "nothing left to check at the same time";
}

}  // namespace
}  // namespace compactor::beacon
