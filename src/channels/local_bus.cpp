// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/local_bus.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace compactor::beacon {

class LocalBus::Impl : public std::enable_shared_from_this<LocalBus::Impl> {
 public:
  // A channel's place on the bus, shared by its siblings: links and partitions are an
  // endpoint's, so a cut separates a member's group traffic and its names alike.
  using Endpoint = std::uint64_t;

  Impl(std::string name, Clock& clock, std::uint64_t seed)
      : name_(std::move(name)), clock_(clock), random_(seed) {}

  const std::string& name() const { return name_; }

  Endpoint new_endpoint() {
    std::lock_guard lock(mutex_);
    return ++last_endpoint_;
  }

  void subscribe(const Channel* channel, Endpoint endpoint, const std::string& lane,
                 Channel::Receiver receiver) {
    std::lock_guard lock(mutex_);
    auto& subscriber = find_or_add(channel);
    subscriber.endpoint = endpoint;
    subscriber.lane = lane;
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

  void set_link(Endpoint from, Endpoint to, Link link) {
    std::lock_guard lock(mutex_);
    auto& state = links_[{from, to}];
    state.link = link;
    state.own = true;
  }

  void set_partition(Endpoint endpoint, int partition) {
    std::lock_guard lock(mutex_);
    partitions_[endpoint] = partition;
  }

  std::uint64_t lost() const {
    std::lock_guard lock(mutex_);
    return lost_;
  }

  // Decides now who gets the payload and when (partitions, delays and losses as they are at
  // the time of sending), then schedules one delivery per distinct arrival time.
  void send(Endpoint from, const std::string& lane, std::string_view payload) {
    auto shared = std::make_shared<const std::string>(payload);
    std::map<Clock::time_point, std::vector<const Channel*>> arrivals;
    {
      std::lock_guard lock(mutex_);
      const auto now = clock_.now();
      const int partition = partition_of(from);
      for (const auto& subscriber : subscribers_) {
        if (!subscriber.open || subscriber.lane != lane ||
            partition_of(subscriber.endpoint) != partition) {
          continue;
        }
        auto& state = link_state(from, subscriber.endpoint);
        if (subscriber.endpoint != from && state.link.loss > 0 &&
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
    Endpoint endpoint = 0;
    std::string lane;
    Channel::Receiver receiver;
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
    subscribers_.push_back({channel, 0, {}, {}, false});
    return subscribers_.back();
  }

  int partition_of(Endpoint endpoint) const {
    const auto found = partitions_.find(endpoint);
    return found == partitions_.end() ? 0 : found->second;
  }

  LinkState& link_state(Endpoint from, Endpoint to) {
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
  std::map<std::pair<Endpoint, Endpoint>, LinkState> links_;
  std::map<Endpoint, int> partitions_;  // absent: 0
  std::deque<Subscriber> subscribers_;
  Endpoint last_endpoint_ = 0;
  std::thread::id delivering_on_;  // the thread running receivers, if any
  std::uint64_t lost_ = 0;
};

namespace {

class LocalChannel final : public Channel {
 public:
  LocalChannel(std::shared_ptr<LocalBus::Impl> bus, LocalBus::Impl::Endpoint endpoint,
               std::string lane)
      : bus_(std::move(bus)), endpoint_(endpoint), lane_(std::move(lane)) {}
  ~LocalChannel() override { close(); }

  void open(Receiver receiver, StatusListener status) override {
    bus_->subscribe(this, endpoint_, lane_, std::move(receiver));
    if (status) status(true, "local bus " + describe());
  }
  void send(std::string_view payload) override { bus_->send(endpoint_, lane_, payload); }
  void close() override { bus_->unsubscribe(this); }
  std::string describe() const override {
    return "local:" + bus_->name() + (lane_.empty() ? "" : "/" + lane_);
  }
  std::unique_ptr<Channel> sibling(std::string_view suffix) const override {
    return std::make_unique<LocalChannel>(
        bus_, endpoint_, lane_.empty() ? std::string(suffix) : lane_ + "/" + std::string(suffix));
  }

  LocalBus::Impl::Endpoint endpoint() const { return endpoint_; }

 private:
  std::shared_ptr<LocalBus::Impl> bus_;
  const LocalBus::Impl::Endpoint endpoint_;
  const std::string lane_;  // "" for the group's own traffic; siblings have their suffix
};

LocalBus::Impl::Endpoint endpoint_of(const Channel& channel) {
  const auto* local = dynamic_cast<const LocalChannel*>(&channel);
  if (local == nullptr) {
    throw std::invalid_argument(channel.describe() + " is not a channel of a LocalBus");
  }
  return local->endpoint();
}

}  // namespace

LocalBus::LocalBus(std::string name, Clock* clock, std::uint64_t seed)
    : impl_(std::make_shared<Impl>(std::move(name), clock ? *clock : Clock::system(), seed)) {}

LocalBus::~LocalBus() = default;

std::unique_ptr<Channel> LocalBus::channel() {
  return std::make_unique<LocalChannel>(impl_, impl_->new_endpoint(), "");
}

void LocalBus::set_default_link(Link link) { impl_->set_default_link(link); }

void LocalBus::set_link(const Channel& from, const Channel& to, Link link) {
  impl_->set_link(endpoint_of(from), endpoint_of(to), link);
}

void LocalBus::set_partition(const Channel& channel, int partition) {
  impl_->set_partition(endpoint_of(channel), partition);
}

std::uint64_t LocalBus::lost() const { return impl_->lost(); }

}  // namespace compactor::beacon
