#pragma once
// An in-process broadcast channel for beacon groups: for tests, demos and members of one program.

#include <compactor/beacon/channel.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace compactor::beacon {

// Delivers every payload to every open channel of the bus (the sender's included), in the order
// sent, on the bus's own thread, after an optional delay.
//
// @note Thread-safe. The bus must outlive its channels.
class LocalBus {
 public:
  explicit LocalBus(std::string name = "bus",
                    std::chrono::microseconds delay = std::chrono::microseconds(0));
  ~LocalBus();

  LocalBus(const LocalBus&) = delete;
  LocalBus& operator=(const LocalBus&) = delete;

  // A new channel on this bus.
  std::unique_ptr<Channel> channel();

  // Cuts (or restores) delivery between channels of different partitions; all start in 0.
  void set_partition(const Channel& channel, int partition);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace compactor::beacon
