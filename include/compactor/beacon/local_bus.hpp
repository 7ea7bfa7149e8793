// SPDX-License-Identifier: Apache-2.0
#pragma once
// An in-process broadcast channel for beacon groups: for tests, demos and members of one program.

#include <compactor/beacon/channel.hpp>
#include <compactor/clock.hpp>
#include <compactor/export.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace compactor::beacon {

/// Delivers every payload to every open channel of the bus, the sender's included, on the bus's
/// clock. With the default links (no delay, no loss) all channels see all payloads in one order,
/// as from an MQTT broker. Tests can delay, lose or cut links to see how a group copes.
///
/// @note Thread-safe. Deliveries run on the clock's thread (the thread advancing a ManualClock).
class COMPACTOR_API LocalBus {
 public:
  /// A link from one channel to another; payloads on one link keep their order.
  struct Link {
    Clock::duration delay{};  ///< how long a payload takes
    double loss = 0;  ///< probability that a payload is lost; never for a channel's own echo
  };

  /// `clock`: none is Clock::system(). `seed`: of the random source deciding losses.
  explicit LocalBus(std::string name = "bus", Clock* clock = nullptr, std::uint64_t seed = 0);
  ~LocalBus();

  LocalBus(const LocalBus&) = delete;
  LocalBus& operator=(const LocalBus&) = delete;

  /// A new channel on this bus.
  std::unique_ptr<Channel> channel();

  /// The link for every pair of channels without one of its own (and for the echo's delay).
  void set_default_link(Link link);
  /// The link from `from` to `to` (one direction), their siblings' included.
  void set_link(const Channel& from, const Channel& to, Link link);

  /// Cuts (or restores) delivery between channels of different partitions; all start in 0. A
  /// channel's siblings (Channel::sibling) are in its partition.
  void set_partition(const Channel& channel, int partition);

  /// Payloads lost to Link::loss so far.
  std::uint64_t lost() const;

  class COMPACTOR_NO_EXPORT Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace compactor::beacon
