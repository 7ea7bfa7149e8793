// SPDX-License-Identifier: Apache-2.0
#include "core/logging.hpp"

#include <compactor/clock.hpp>
#include <compactor/logging.hpp>

#include <spdlog/cfg/env.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace compactor::core {
namespace {

thread_local std::string tls_log_place;
thread_local const std::string* tls_running = nullptr;  // see set_running_process

spdlog::level::level_enum to_spdlog(logging::Level level) {
  return static_cast<spdlog::level::level_enum>(static_cast<int>(level));
}

logging::Level from_spdlog(spdlog::level::level_enum level) {
  return static_cast<logging::Level>(static_cast<int>(level));
}

std::optional<logging::Level> parse_level(std::string_view text) {
  static constexpr std::string_view names[] = {"trace", "debug",    "info", "warn",
                                               "error", "critical", "off"};
  for (int i = 0; i < 7; ++i) {
    if (text == names[i]) return static_cast<logging::Level>(i);
  }
  return std::nullopt;
}

// "%*": where a line comes from: the running process's PID, else the thread's place (a context's
// I/O thread), else nothing.
class PlaceFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& out) override {
    std::string_view place;
    if (tls_running != nullptr) {
      place = *tls_running;
    } else {
      place = tls_log_place;
    }
    if (place.empty()) return;
    out.push_back('[');
    out.append(place.data(), place.data() + place.size());
    out.append(std::string_view("] "));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PlaceFlag>();
  }
};

// The logger's one sink, for ever: it writes to standard error or hands lines to the user's sink,
// so that switching never touches the logger's sink list while other threads log.
class SwitchSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void use(logging::Sink sink) {
    std::lock_guard lock(mutex_);
    user_ = std::move(sink);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    if (!user_) {
      standard_error_->log(message);
      return;
    }
    spdlog::memory_buf_t line;
    formatter_->format(message, line);
    std::string_view text(line.data(), line.size());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    user_(from_spdlog(message.level), text);
  }
  void flush_() override { standard_error_->flush(); }
  void set_pattern_(const std::string& pattern) override {
    base_sink::set_pattern_(pattern);
    standard_error_->set_pattern(pattern);
  }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    standard_error_->set_formatter(formatter->clone());
    base_sink::set_formatter_(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> standard_error_ =
      std::make_shared<spdlog::sinks::stderr_color_sink_st>();
  logging::Sink user_;
};

struct LogState {
  std::shared_ptr<SwitchSink> sink = std::make_shared<SwitchSink>();
  std::shared_ptr<spdlog::logger> logger;
  std::mutex mutex;  // guards base, raised, revert
  logging::Level base = logging::Level::info;
  int raised = 0;
  Clock::TimerId revert = 0;

  LogState() {
    logger = std::make_shared<spdlog::logger>("compactor", sink);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<PlaceFlag>('*').set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %*%v");
    logger->set_formatter(std::move(formatter));
    if (const char* level = std::getenv("COMPACTOR_LOG_LEVEL"); level && parse_level(level)) {
      base = *parse_level(level);
    } else if (std::getenv("SPDLOG_LEVEL") != nullptr) {
      logger->set_level(spdlog::level::info);
      spdlog::register_logger(logger);
      spdlog::cfg::load_env_levels();  // "off", "debug", "compactor=warn,info"...
      base = from_spdlog(logger->level());
    }
    apply();
  }

  // Under mutex (or alone in the constructor).
  void apply() {
    const int raised_level = std::max(0, static_cast<int>(base) - raised);
    logger->set_level(to_spdlog(raised > 0 ? static_cast<logging::Level>(raised_level) : base));
  }
};

LogState& state() {
  // Never destroyed: the global context may still log while static objects are torn down at exit.
  static auto* created = new LogState();
  return *created;
}

}  // namespace

spdlog::logger& log() { return *state().logger; }

void set_log_place(std::string place) { tls_log_place = std::move(place); }

void set_running_process(const std::string* pid_text) { tls_running = pid_text; }

}  // namespace compactor::core

namespace compactor::logging {

void set_level(Level level) {
  auto& state = core::state();
  std::lock_guard lock(state.mutex);
  state.base = level;
  state.raised = 0;
  state.apply();
}

Level level() { return core::from_spdlog(core::state().logger->level()); }

void set_sink(Sink sink) { core::state().sink->use(std::move(sink)); }

void raise_for(int steps, std::chrono::milliseconds duration) {
  auto& state = core::state();
  Clock::TimerId previous;
  {
    std::lock_guard lock(state.mutex);
    previous = std::exchange(state.revert, 0);
    state.raised = std::max(0, steps);
    state.apply();
  }
  if (previous != 0) Clock::system().cancel(previous);
  if (steps <= 0) return;
  const auto id = Clock::system().schedule_after(duration, [&state] {
    std::lock_guard lock(state.mutex);
    state.raised = 0;
    state.revert = 0;
    state.apply();
  });
  std::lock_guard lock(state.mutex);
  if (state.raised > 0 && state.revert == 0) {
    state.revert = id;
  }
}

int raised_steps() {
  auto& state = core::state();
  std::lock_guard lock(state.mutex);
  return state.raised;
}

}  // namespace compactor::logging
