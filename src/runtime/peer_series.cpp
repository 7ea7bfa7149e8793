// SPDX-License-Identifier: Apache-2.0
#include "runtime/peer_series.hpp"

namespace compactor::runtime {
namespace {

void add(core::PeerTraffic& to, const core::ConnectionStats& connection) {
  to.messages += connection.messages;
  to.bytes += connection.bytes;
  to.pauses += connection.pauses;
}

}  // namespace

PeerSeries::Entry& PeerSeries::series_of(const core::ConnectionStats& connection) {
  const bool inbound = connection.inbound;
  if (auto it = series_.find({inbound, connection.series}); it != series_.end()) return it->second;
  const bool room = count_[inbound] < kMaxPeers;
  const std::string label = room ? connection.series : kOther;
  auto [it, made] = series_.try_emplace({inbound, label});
  if (made) {
    it->second.totals.inbound = inbound;
    it->second.totals.peer = label;
    if (room) ++count_[inbound];
  }
  return it->second;
}

void PeerSeries::closed(const core::ConnectionStats& connection, Time now) {
  auto& entry = series_of(connection);
  add(entry.totals, connection);
  entry.last_closed = now;
}

std::vector<core::PeerTraffic> PeerSeries::read(const std::vector<core::ConnectionStats>& open,
                                                Time now) {
  std::map<Key, core::PeerTraffic> live;
  for (const auto& connection : open) {
    auto& entry = series_of(connection);
    auto& traffic =
        live.try_emplace({entry.totals.inbound, entry.totals.peer}, entry.totals).first->second;
    add(traffic, connection);
    traffic.queued_bytes += connection.queued_bytes;
    traffic.links += connection.links;
    ++traffic.open;
  }
  std::vector<core::PeerTraffic> out;
  for (auto it = series_.begin(); it != series_.end();) {
    if (const auto found = live.find(it->first); found != live.end()) {
      out.push_back(found->second);
    } else if (it->first.second != kOther && now - it->second.last_closed > kLinger) {
      --count_[it->first.first];
      it = series_.erase(it);
      continue;
    } else {
      out.push_back(it->second.totals);
    }
    ++it;
  }
  return out;
}

}  // namespace compactor::runtime
