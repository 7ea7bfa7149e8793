// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/member.hpp>

#include "beacon/beacon_state.hpp"
#include "core/logging.hpp"
#include "core/serial_outbox.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>

namespace compactor::beacon {

class Member::Driver {
 public:
  Driver(std::string name, std::unique_ptr<Channel> channel, Options options)
      : channel_(std::move(channel)),
        options_(std::move(options)),
        clock_(options_.clock ? *options_.clock : Clock::system()),
        random_(options_.seed ? *options_.seed : std::random_device{}()),
        state_(std::move(name), options_.config,
               {options_.enabled, options_.send_raw, options_.gone_after_cycles},
               [this] { return std::uniform_real_distribution<double>(0, 1)(random_); }) {}

  ~Driver() { stop(); }

  void start() {
    {
      std::lock_guard lock(mutex_);
      if (running_) return;
      running_ = true;
    }
    channel_->expect_cycle(std::chrono::ceil<std::chrono::milliseconds>(
        std::chrono::duration<double>(options_.config.longest_cycle_s())));
    try {
      channel_->open([this](std::string_view payload) { receive(payload); },
                     [this](bool up, std::string_view detail) {
                       core::log().info("beacon {}: channel {} {}: {}", state_.name(),
                                        channel_->describe(), up ? "up" : "down", detail);
                       apply([&](BeaconState& state, Time now) {
                         state.on_channel_status(now, up, std::string(detail));
                         channel_detail_ = detail;  // under mutex_, as the state
                       });
                     });
    } catch (...) {
      std::lock_guard lock(mutex_);
      running_ = false;
      throw;
    }
    apply([](BeaconState& state, Time now) { state.start(now); });
  }

  void stop() {
    std::vector<Clock::TimerId> timers;
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      running_ = false;
      for (const auto& [at, id] : timers_) timers.push_back(id);
      timers_.clear();
    }
    // Outside the lock: cancel() waits for a callback that is running, and it takes the lock.
    for (const auto id : timers) clock_.cancel(id);
    channel_->close();
  }

  // Runs `change` on the state under the lock, then sends and reports what it produced.
  template <class Change>
  void apply(Change&& change) {
    bool drain;
    {
      std::lock_guard lock(mutex_);
      change(state_, now());
      arm_timer();
      // Queued before the state lock is released, so that outputs leave in the order produced.
      drain = outbox_.queue(state_.take_actions());
    }
    if (drain) outbox_.drain([this](BeaconState::Actions& actions) { deliver(actions); });
  }
  Member::ChannelState channel_state() const {
    std::lock_guard lock(mutex_);
    return {channel_->describe(), state_.channel_up(), channel_detail_};
  }

  template <class Read>
  auto read(Read&& reader) const {
    std::lock_guard lock(mutex_);
    return reader(state_, now());
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

  Member::SubscriptionId subscribe(std::function<void(const Event&)> listener) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.emplace(
        ++last_subscription_,
        std::make_shared<const std::function<void(const Event&)>>(std::move(listener)));
    return last_subscription_;
  }

  void unsubscribe(Member::SubscriptionId id) {
    {
      std::lock_guard lock(listeners_mutex_);
      listeners_.erase(id);
    }
    outbox_.wait_idle();  // a delivery that copied the listener before has finished
  }

 private:
  Time now() const { return clock_.now(); }

  void receive(std::string_view payload) {
    apply([&](BeaconState& state, Time now) { state.on_payload(now, payload); });
  }

  // Makes sure a clock callback comes at the state's next deadline or earlier. A timer that is
  // already due sooner is kept (it re-arms when it fires), so nothing is ever cancelled here,
  // where the lock is held.
  void arm_timer() {
    const Time deadline = state_.next_deadline();
    if (!running_ || deadline == util::kNever) return;
    for (const auto& [at, id] : timers_) {
      if (at <= deadline) return;
    }
    const auto id = clock_.schedule(deadline, [this, deadline] { fire(deadline); });
    timers_.emplace_back(deadline, id);
  }

  void fire(Time deadline) {
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      std::erase_if(timers_, [&](const auto& timer) { return timer.first == deadline; });
    }
    apply([](BeaconState& state, Time now) { state.on_deadline(now); });
  }

  // Delivers what one change produced; on one thread at a time, holding no lock, so that an
  // on_event callback may call back into the Member (its outputs are delivered after it).
  void deliver(BeaconState::Actions& next) {
    for (const auto& warning : next.warnings) {
      core::log().warn("beacon {} on {}: {}", state_.name(), channel_->describe(), warning);
    }
    for (const auto& payload : next.broadcasts) {
      try {
        channel_->send(payload);
      } catch (const std::exception& error) {
        core::log().error("beacon {}: cannot send on {}: {}", state_.name(), channel_->describe(),
                          error.what());
      }
    }
    for (auto& event : next.events) report(std::move(event));
  }

  void report(Event event) {
    if (options_.on_event) options_.on_event(event);
    std::vector<std::shared_ptr<const std::function<void(const Event&)>>> listeners;
    {
      std::lock_guard lock(listeners_mutex_);
      for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
    }
    for (const auto& listener : listeners) (*listener)(event);
    {
      std::lock_guard lock(events_mutex_);
      if (events_.size() >= options_.max_queued_events) {
        events_.pop_front();
        if (dropped_++ == 0) {
          core::log().warn("beacon {}: events are not read; dropping the oldest", state_.name());
        }
      }
      events_.push_back(std::move(event));
    }
    event_ready_.notify_one();
  }

  std::unique_ptr<Channel> channel_;
  Options options_;
  Clock& clock_;
  std::mt19937_64 random_;
  mutable std::mutex mutex_;  // guards state_, running_ and timers_
  core::SerialOutbox<BeaconState::Actions> outbox_;
  BeaconState state_;
  bool running_ = false;
  std::string channel_detail_;                           // why it last went up or down
  std::vector<std::pair<Time, Clock::TimerId>> timers_;  // armed: due time, id

  std::mutex listeners_mutex_;
  std::map<Member::SubscriptionId, std::shared_ptr<const std::function<void(const Event&)>>>
      listeners_;
  Member::SubscriptionId last_subscription_ = 0;

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

Value Member::value() const {
  return driver_->read([](const BeaconState& state, Time) { return state.value(); });
}
Config Member::config() const {
  return driver_->read([](const BeaconState& state, Time) { return state.config(); });
}
std::vector<std::string> Member::history() const {
  return driver_->read([](const BeaconState& state, Time) { return state.history(); });
}
Value Member::value_of(const std::string& node) const {
  return driver_->read([&](const BeaconState& state, Time) { return state.value_of(node); });
}
bool Member::tagged() const {
  return driver_->read([](const BeaconState& state, Time) { return state.tagged(); });
}
std::optional<std::string> Member::holder() const {
  return driver_->read([](const BeaconState& state, Time) { return state.holder(); });
}
std::vector<MemberInfo> Member::members() const {
  return driver_->read([](const BeaconState& state, Time now) { return state.members(now); });
}
Member::SubscriptionId Member::subscribe(std::function<void(const Event&)> listener) {
  return driver_->subscribe(std::move(listener));
}
void Member::unsubscribe(SubscriptionId id) { driver_->unsubscribe(id); }
std::optional<Event> Member::next_event(std::chrono::milliseconds timeout) {
  return driver_->next_event(timeout);
}
std::uint64_t Member::dropped_events() const { return driver_->dropped_events(); }
Member::ChannelState Member::channel() const { return driver_->channel_state(); }

}  // namespace compactor::beacon
