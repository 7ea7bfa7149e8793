#include <compactor/beacon/member.hpp>

#include "beacon/beacon_state.hpp"
#include "runtime/logging.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace compactor::beacon {

class Member::Driver {
 public:
  Driver(std::string name, std::unique_ptr<Channel> channel, Options options)
      : channel_(std::move(channel)),
        options_(std::move(options)),
        random_(options_.seed ? *options_.seed : std::random_device{}()),
        state_(std::move(name), options_.config, {options_.enabled, options_.send_raw},
               [this] { return std::uniform_real_distribution<double>(0, 1)(random_); }),
        epoch_(std::chrono::steady_clock::now()) {}

  ~Driver() { stop(); }

  void start() {
    {
      std::lock_guard lock(mutex_);
      if (running_) return;
      running_ = true;
    }
    channel_->open([this](std::string_view payload) { receive(payload); },
                   [this](bool up, std::string_view detail) {
                     runtime::log().info("beacon {}: channel {} {}: {}", state_.name(),
                                         channel_->describe(), up ? "up" : "down", detail);
                   });
    apply([](BeaconState& state, Time now) { state.start(now); });
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      running_ = false;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    channel_->close();
  }

  // Runs `change` on the state under the lock, then sends and reports what it produced.
  template <class Change>
  void apply(Change&& change) {
    std::vector<std::string> broadcasts;
    std::vector<Event> events;
    // Taken before the state lock is released, so that outputs leave in the order produced.
    std::unique_lock<std::mutex> output_lock;
    {
      std::lock_guard lock(mutex_);
      change(state_, now());
      broadcasts = state_.take_broadcasts();
      events = state_.take_events();
      output_lock = std::unique_lock(output_mutex_);
    }
    wake_.notify_all();  // the next deadline may have moved
    for (const auto& payload : broadcasts) {
      try {
        channel_->send(payload);
      } catch (const std::exception& error) {
        runtime::log().error("beacon {}: cannot send on {}: {}", state_.name(),
                             channel_->describe(), error.what());
      }
    }
    for (auto& event : events) report(std::move(event));
  }

  template <class Read>
  auto read(Read&& reader) const {
    std::lock_guard lock(mutex_);
    return reader(state_);
  }

  std::optional<Event> next_event(std::chrono::milliseconds timeout) {
    std::unique_lock lock(events_mutex_);
    if (!event_ready_.wait_for(lock, timeout, [this] { return !events_.empty(); }))
      return std::nullopt;
    Event event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  std::uint64_t dropped_events() const {
    std::lock_guard lock(events_mutex_);
    return dropped_;
  }

  const std::string& name() const { return state_.name(); }

 private:
  Time now() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
  }

  void receive(std::string_view payload) {
    apply([&](BeaconState& state, Time now) { state.on_payload(now, payload); });
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (running_) {
      const Time deadline = state_.next_deadline();
      if (deadline > now()) {
        if (deadline == std::numeric_limits<Time>::infinity()) {
          wake_.wait(lock);
        } else {
          wake_.wait_until(lock,
                           epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(deadline)));
        }
        continue;
      }
      lock.unlock();
      apply([](BeaconState& state, Time now) { state.on_timer(now); });
      lock.lock();
    }
  }

  void report(Event event) {
    if (options_.on_event) options_.on_event(event);
    {
      std::lock_guard lock(events_mutex_);
      if (events_.size() >= options_.max_queued_events) {
        events_.pop_front();
        if (dropped_++ == 0) {
          runtime::log().warn("beacon {}: events are not read; dropping the oldest", state_.name());
        }
      }
      events_.push_back(std::move(event));
    }
    event_ready_.notify_one();
  }

  std::unique_ptr<Channel> channel_;
  Options options_;
  std::mt19937_64 random_;
  mutable std::mutex mutex_;  // guards state_ and running_
  std::mutex output_mutex_;   // orders broadcasts and events across threads
  std::condition_variable wake_;
  BeaconState state_;
  const std::chrono::steady_clock::time_point epoch_;
  bool running_ = false;
  std::thread thread_;

  mutable std::mutex events_mutex_;
  std::condition_variable event_ready_;
  std::deque<Event> events_;
  std::uint64_t dropped_ = 0;
};

Member::Member(std::string name, std::unique_ptr<Channel> channel, Options options)
    : driver_(std::make_unique<Driver>(std::move(name), std::move(channel), std::move(options))) {}

Member::~Member() = default;

void Member::start() { driver_->start(); }
void Member::stop() { driver_->stop(); }
const std::string& Member::name() const { return driver_->name(); }

void Member::set_value(Value value) {
  driver_->apply([&](BeaconState& state, Time) { state.set_value(std::move(value)); });
}
void Member::set_ready() {
  driver_->apply([](BeaconState& state, Time) { state.set_ready(); });
}
void Member::enable(std::optional<long long> length) {
  driver_->apply([&](BeaconState& state, Time now) { state.enable(now, length); });
}
void Member::disable(std::optional<long long> length) {
  driver_->apply([&](BeaconState& state, Time now) { state.disable(now, length); });
}
void Member::update_config(Config config) {
  driver_->apply(
      [&](BeaconState& state, Time now) { state.update_config(now, std::move(config)); });
}

std::vector<std::string> Member::history() const {
  return driver_->read([](const BeaconState& state) { return state.history(); });
}
Value Member::value_of(const std::string& node) const {
  return driver_->read([&](const BeaconState& state) { return state.value_of(node); });
}
bool Member::tagged() const {
  return driver_->read([](const BeaconState& state) { return state.tagged(); });
}
std::optional<Event> Member::next_event(std::chrono::milliseconds timeout) {
  return driver_->next_event(timeout);
}
std::uint64_t Member::dropped_events() const { return driver_->dropped_events(); }

}  // namespace compactor::beacon
