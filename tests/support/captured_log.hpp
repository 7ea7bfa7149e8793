// SPDX-License-Identifier: Apache-2.0
#pragma once
// Captures the log's lines for a test's length, and puts the defaults back after.

#include <compactor/logging.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace compactor::testing {

class CapturedLog {
 public:
  CapturedLog() {
    logging::set_sink([this](logging::Level, std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() {
    logging::set_sink(nullptr);
    logging::set_level(logging::Level::info);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // The first line containing `text`, or "" after `timeout`.
  std::string wait_for(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
          if (line.find(text) != std::string::npos) return line;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < deadline);
    return {};
  }
  // Lines containing `text`.
  std::size_t count(const std::string& text) {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& line : lines_) n += line.find(text) != std::string::npos;
    return n;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace compactor::testing
