// SPDX-License-Identifier: Apache-2.0
#pragma once
// A process that records every message and exited event it gets, for tests to wait on.

#include <compactor/process.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace compactor::testing {

struct Received {
  PID from;
  std::string name;
  std::string body;
};

class Recorder : public Process {
 public:
  explicit Recorder(std::string id) : Process(std::move(id)) {}

  // Waits until at least `count` messages arrived; returns false on timeout.
  bool wait_messages(std::size_t count,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }

  bool wait_exited(std::size_t count,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return exited_.size() >= count; });
  }

  std::vector<Received> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

  std::vector<PID> exited_pids() const {
    std::lock_guard lock(mutex_);
    return exited_;
  }

  using Process::link;

 protected:
  void unhandled(const PID& from, std::string_view name, std::string_view body) override {
    std::lock_guard lock(mutex_);
    messages_.push_back({from, std::string(name), std::string(body)});
    changed_.notify_all();
  }

  void exited(const PID& pid) override {
    std::lock_guard lock(mutex_);
    exited_.push_back(pid);
    changed_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> messages_;
  std::vector<PID> exited_;
};

}  // namespace compactor::testing
