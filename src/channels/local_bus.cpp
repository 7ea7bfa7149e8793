// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/local_bus.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace compactor::beacon {

class LocalBus::Impl : public std::enable_shared_from_this<LocalBus::Impl> {
 public:
  Impl(std::string name, Clock& clock, std::uint64_t seed)
      : name_(std::move(name)), clock_(clock), random_(seed) {}

  const std::string& name() const { return name_; }

  void subscribe(const Channel* channel, Channel::Receiver receiver) {
    std::lock_guard lock(mutex_);
    auto& subscriber = find_or_add(channel);
    subscriber.receiver = std::move(receiver);
    subscriber.open = true;
  }

  // Blocks until no callback of `channel` runs any more (unless called from one).
  void unsubscribe(const Channel* channel) {
    std::unique_lock lock(mutex_);
    find_or_add(channel).open = false;
    idle_.wait(lock, [this] {
      return delivering_on_ == std::thread::id() || delivering_on_ == std::this_thread::get_id();
    });
  }

  void set_default_link(Link link) {
    std::lock_guard lock(mutex_);
    default_link_ = link;
  }

  void set_link(const Channel* from, const Channel* to, Link link) {
    std::lock_guard lock(mutex_);
    auto& state = links_[{from, to}];
    state.link = link;
    state.own = true;
  }

  void set_partition(const Channel* channel, int partition) {
    std::lock_guard lock(mutex_);
    find_or_add(channel).partition = partition;
  }

  std::uint64_t lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
  }

  // Decides now who gets the payload and when (partitions, delays and losses as they are at
  // the time of sending), then schedules one delivery per distinct arrival time.
  void send(const Channel* from, std::string_view payload) {
    auto shared = std::make_shared<const std::string>(payload);
    std::map<Clock::time_point, std::vector<const Channel*>> arrivals;
    {
      std::lock_guard lock(mutex_);
      const auto now = clock_.now();
      const int partition = find_or_add(from).partition;
      for (const auto& subscriber : subscribers_) {
        if (!subscriber.open || subscriber.partition != partition) continue;
        auto& state = link_state(from, subscriber.channel);
        if (subscriber.channel != from && state.link.loss > 0 &&
            std::uniform_real_distribution<double>(0, 1)(random_) < state.link.loss) {
          ++lost_;
          continue;
        }
        state.last_arrival = std::max(now + state.link.delay, state.last_arrival);
        arrivals[state.last_arrival].push_back(subscriber.channel);
      }
    }
    for (auto& [at, receivers] : arrivals) {
      clock_.schedule(at, [self = shared_from_this(), shared, receivers = std::move(receivers)] {
        self->deliver(*shared, receivers);
      });
    }
  }

 private:
  struct Subscriber {
    const Channel* channel = nullptr;
    Channel::Receiver receiver;
    int partition = 0;
    bool open = false;
  };

  struct LinkState {
    Link link;
    Clock::time_point last_arrival{};  // keeps a link's payloads in order when its delay shrinks
    bool own = false;                  // set_link() was called for it
  };

  Subscriber& find_or_add(const Channel* channel) {
    for (auto& s : subscribers_) {
      if (s.channel == channel) return s;
    }
    subscribers_.push_back({channel, {}, 0, false});
    return subscribers_.back();
  }

  LinkState& link_state(const Channel* from, const Channel* to) {
    auto [it, added] = links_.try_emplace({from, to});
    if (!it->second.own) it->second.link = default_link_;
    return it->second;
  }

  void deliver(const std::string& payload, const std::vector<const Channel*>& to) {
    std::vector<Channel::Receiver> receivers;
    {
      std::unique_lock lock(mutex_);
      for (const auto* channel : to) {
        const auto& subscriber = find_or_add(channel);
        if (subscriber.open) receivers.push_back(subscriber.receiver);
      }
      delivering_on_ = std::this_thread::get_id();
    }
    for (auto& receive : receivers) receive(payload);
    {
      std::lock_guard lock(mutex_);
      delivering_on_ = {};
    }
    idle_.notify_all();
  }

  const std::string name_;
  Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::mt19937_64 random_;
  Link default_link_;
  std::map<std::pair<const Channel*, const Channel*>, LinkState> links_;
  std::deque<Subscriber> subscribers_;
  std::thread::id delivering_on_;  // the thread running receivers, if any
  std::uint64_t lost_ = 0;
};

namespace {

class LocalChannel final : public Channel {
 public:
  explicit LocalChannel(std::shared_ptr<LocalBus::Impl> bus) : bus_(std::move(bus)) {}
  ~LocalChannel() override { close(); }

  void open(Receiver receiver, StatusListener status) override {
    bus_->subscribe(this, std::move(receiver));
    if (status) status(true, "local bus " + bus_->name());
  }
  void send(std::string_view payload) override { bus_->send(this, payload); }
  void close() override { bus_->unsubscribe(this); }
  std::string describe() const override { return "local:" + bus_->name(); }

 private:
  std::shared_ptr<LocalBus::Impl> bus_;
};

}  // namespace

LocalBus::LocalBus(std::string name, Clock* clock, std::uint64_t seed)
    : impl_(std::make_shared<Impl>(std::move(name), clock ? *clock : Clock::system(), seed)) {}

LocalBus::~LocalBus() = default;

std::unique_ptr<Channel> LocalBus::channel() { return std::make_unique<LocalChannel>(impl_); }

void LocalBus::set_default_link(Link link) { impl_->set_default_link(link); }

void LocalBus::set_link(const Channel& from, const Channel& to, Link link) {
  impl_->set_link(&from, &to, link);
}

void LocalBus::set_partition(const Channel& channel, int partition) {
  impl_->set_partition(&channel, partition);
}

std::uint64_t LocalBus::lost() const { return impl_->lost(); }

}  // namespace compactor::beacon
