// SPDX-License-Identifier: Apache-2.0
#pragma once
// Connection traffic by peer, labelled so that Prometheus can keep it: a peer is named by what is
// stable (a libprocess peer by its advertised address, a plain HTTP client by its IP, never an
// ephemeral port), at most kMaxPeers series per direction (the rest summed as "other"), and a
// peer's series goes kLinger after its last connection closed. Counters survive a connection's
// close, so they only grow while the series lives.

#include "runtime/transport.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace compactor::runtime {

// @note Not thread-safe: its owner locks.
class PeerSeries {
 public:
  using Time = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kMaxPeers = 64;  // per direction
  static constexpr std::chrono::minutes kLinger{5};
  static constexpr const char* kOther = "other";

  // A connection closed: what it carried stays in its peer's series.
  void closed(const core::ConnectionStats& connection, Time now);

  // Every series: closed connections' totals plus the `open` connections'.
  std::vector<core::PeerTraffic> read(const std::vector<core::ConnectionStats>& open, Time now);

 private:
  struct Entry {
    core::PeerTraffic totals;  // of closed connections
    Time last_closed{};
  };
  using Key = std::pair<bool, std::string>;  // (inbound, label)
  // The series `connection` belongs to, made if there is room; "other" if not.
  Entry& series_of(const core::ConnectionStats& connection);

  std::map<Key, Entry> series_;
  std::size_t count_[2] = {0, 0};  // series per direction, "other" aside
};

}  // namespace compactor::runtime
