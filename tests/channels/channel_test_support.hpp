// SPDX-License-Identifier: Apache-2.0
#pragma once
// Records what a channel receives and reports, for the MQTT and Serf channel tests.

#include <compactor/beacon/channel.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace compactor::testing {

// Opens `channel` expecting failure: the error must say `why`.
inline void expect_open_fails(beacon::Channel& channel, const std::string& why) {
  try {
    channel.open([](std::string_view) {}, {});
    ADD_FAILURE() << channel.describe() << ": open() succeeded";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(why), std::string::npos) << error.what();
  }
}

class ChannelProbe {
 public:
  void open(beacon::Channel& channel) {
    channel.open([this](std::string_view payload) { add(payloads_, std::string(payload)); },
                 [this](bool up, std::string_view) { add(statuses_, up ? "up" : "down"); });
  }

  // Waits until `payload` arrived; true if it did within `timeout`.
  bool wait_for_payload(const std::string& payload, std::chrono::milliseconds timeout) {
    return wait_for(payloads_, payload, timeout);
  }
  // Waits until the status `up`/`down` was reported `count` times in all.
  bool wait_for_status(const std::string& status, std::size_t count,
                       std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return static_cast<std::size_t>(std::count(statuses_.begin(), statuses_.end(), status)) >=
             count;
    });
  }
  std::size_t payload_count() {
    std::lock_guard lock(mutex_);
    return payloads_.size();
  }

 private:
  void add(std::vector<std::string>& to, std::string item) {
    {
      std::lock_guard lock(mutex_);
      to.push_back(std::move(item));
    }
    changed_.notify_all();
  }
  bool wait_for(std::vector<std::string>& in, const std::string& item,
                std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout,
                             [&] { return std::find(in.begin(), in.end(), item) != in.end(); });
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> payloads_;
  std::vector<std::string> statuses_;
};

}  // namespace compactor::testing
