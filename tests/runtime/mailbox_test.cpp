// SPDX-License-Identifier: Apache-2.0
#include "runtime/mailbox.hpp"

#include <gtest/gtest.h>

namespace compactor::runtime {
namespace {

Event message(std::size_t bytes) {
  return Event(std::in_place_type<MessageEvent>, PID(), std::string("m"), std::string(bytes, 'x'));
}

// A large batch still counts towards the high-water mark until the consumer says how much of it
// is left: the 1 M-message soak showed why. Readers paused by a receiver that took 20,000 slow
// messages at once were let go only at its next batch, more than write_timeout later, and the
// remote sender gave the connection up.
TEST(Mailbox, ALargeBatchCountsTowardsTheMarkUntilHandled) {
  Mailbox mailbox(HighWaterMark{.messages = 100, .bytes = 0});
  for (int i = 0; i < 150; ++i) mailbox.push(message(10));
  EXPECT_TRUE(mailbox.over_high_water());
  std::vector<Event> batch;
  EXPECT_EQ(mailbox.take_all(batch), 150u * 11);
  EXPECT_TRUE(mailbox.over_high_water()) << "150 in hand";
  mailbox.in_hand(90, 90 * 11);
  EXPECT_FALSE(mailbox.over_high_water());
  for (int i = 0; i < 20; ++i) mailbox.push(message(10));
  EXPECT_TRUE(mailbox.over_high_water()) << "90 in hand and 20 queued";
  mailbox.in_hand(0, 0);
  EXPECT_FALSE(mailbox.over_high_water());
}

TEST(Mailbox, ASmallBatchIsNotCounted) {
  Mailbox mailbox(HighWaterMark{.messages = 10, .bytes = 0});
  for (std::size_t i = 0; i < Mailbox::kLargeBatch - 1; ++i) mailbox.push(message(1));
  std::vector<Event> batch;
  mailbox.take_all(batch);
  EXPECT_FALSE(mailbox.over_high_water());
}

}  // namespace
}  // namespace compactor::runtime
