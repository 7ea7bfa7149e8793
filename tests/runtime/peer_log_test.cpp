// SPDX-License-Identifier: Apache-2.0
// What a peer can make us log, and what the metrics keep of peers: bounded, whatever it does.

#include "runtime/peer_log.hpp"
#include "runtime/log_limiter.hpp"
#include "runtime/peer_series.hpp"

#include "support/captured_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace compactor::runtime {
namespace {

using namespace std::chrono_literals;
const LogLimiter::Time t0 = LogLimiter::Time() + 1h;

TEST(LogLimiter, AFewLinesAtOnceThenOneSummaryPerInterval) {
  LogLimiter limiter(3, 10s);
  std::optional<LogLimiter::Time> due;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("10.0.0.1", t0, &due));
  EXPECT_FALSE(due);
  EXPECT_FALSE(limiter.admit("10.0.0.2", t0 + 1s, &due));
  EXPECT_EQ(due, t0 + 10s) << "the first held-back event asks for the summary";
  due.reset();
  for (int i = 0; i < 991; ++i) limiter.admit("10.0.0." + std::to_string(i % 400), t0 + 2s, &due);
  EXPECT_FALSE(due) << "asked once";
  EXPECT_FALSE(limiter.summary(t0 + 9s));
  const auto summary = limiter.summary(t0 + 10s);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->events, 992U);
  EXPECT_EQ(summary->peers, 400U);
  EXPECT_EQ(describe(*summary), "992 more from 400 peers in the last 10 s");
  // Still flooding: no new burst, one more summary.
  EXPECT_FALSE(limiter.admit("10.0.0.1", t0 + 11s, &due));
  EXPECT_EQ(due, t0 + 20s);
  EXPECT_EQ(limiter.summary(t0 + 20s)->events, 1U);
  // A quiet interval: the next event is written in full again.
  EXPECT_TRUE(limiter.admit("10.0.0.1", t0 + 45s));
}

TEST(LogLimiter, PeersAreRememberedUpToABound) {
  LogLimiter limiter(0, 10s);
  for (std::size_t i = 0; i < LogLimiter::kMaxPeers + 10; ++i) {
    limiter.admit(std::to_string(i), t0);
  }
  const auto summary = limiter.flush(t0 + 3s);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->events, LogLimiter::kMaxPeers + 10);
  EXPECT_EQ(summary->peers, LogLimiter::kMaxPeers);
  EXPECT_TRUE(summary->more_peers);
  EXPECT_EQ(describe(*summary), "1034 more from 1024+ peers in the last 3 s");
}

TEST(PeerLog, AFloodWritesItsBurstAndASummaryOnTheClock) {
  testing::CapturedLog log;
  ManualClock clock;
  {
    PeerLog peers(clock, 5, 10s);
    peers.set_place("127.0.0.1:5050");
    for (int i = 0; i < 1000; ++i) {
      peers.warn(PeerEvent::request_timed_out, "10.1.0." + std::to_string(i % 200),
                 "request from peer {} timed out", i);
    }
    EXPECT_EQ(log.count("timed out"), 5U);
    clock.advance(10s);
    EXPECT_EQ(log.count("408 request timeout on 127.0.0.1:5050: 995 more from 200 peers in the "
                        "last 10 s"),
              1U);
    peers.warn(PeerEvent::request_timed_out, "10.1.0.1", "request timed out again");
  }
  EXPECT_EQ(log.count("408 request timeout on 127.0.0.1:5050: 1 more from 1 peer in the last"), 1U)
      << "what was held back is summed up when the log goes";
  EXPECT_EQ(log.lines().size(), 7U);
}

core::ConnectionStats inbound(const std::string& series, std::uint64_t messages) {
  core::ConnectionStats stats;
  stats.inbound = true;
  stats.peer = series + ":1";
  stats.series = series;
  stats.messages = messages;
  return stats;
}

TEST(PeerSeries, ClosedConnectionsStayCountedByPeer) {
  PeerSeries series;
  series.closed(inbound("127.0.0.1:5050", 3), t0);
  series.closed(inbound("127.0.0.1:5050", 4), t0);
  const auto traffic = series.read({inbound("127.0.0.1:5050", 5)}, t0);
  ASSERT_EQ(traffic.size(), 1U);
  EXPECT_EQ(traffic[0].peer, "127.0.0.1:5050");
  EXPECT_EQ(traffic[0].messages, 12U);
  EXPECT_EQ(traffic[0].open, 1U);
}

TEST(PeerSeries, PeersPastTheCapAreSummedAsOtherAndGoneOnesExpire) {
  PeerSeries series;
  for (std::size_t i = 0; i < PeerSeries::kMaxPeers + 100; ++i) {
    series.closed(inbound("10.0.0." + std::to_string(i), 1), t0);
  }
  auto traffic = series.read({}, t0 + 1s);
  ASSERT_EQ(traffic.size(), PeerSeries::kMaxPeers + 1);
  std::uint64_t total = 0;
  for (const auto& peer : traffic) {
    total += peer.messages;
    if (peer.peer == PeerSeries::kOther) {
      EXPECT_EQ(peer.messages, 100U);
    }
  }
  EXPECT_EQ(total, PeerSeries::kMaxPeers + 100) << "nothing lost";
  traffic = series.read({}, t0 + PeerSeries::kLinger + 1s);
  ASSERT_EQ(traffic.size(), 1U) << "only 'other' lingers";
  series.closed(inbound("10.9.9.9", 1), t0 + PeerSeries::kLinger + 2s);
  traffic = series.read({}, t0 + PeerSeries::kLinger + 2s);
  EXPECT_EQ(traffic.size(), 2U) << "room again for a new peer";
}

}  // namespace
}  // namespace compactor::runtime
