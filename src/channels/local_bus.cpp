#include <compactor/beacon/local_bus.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace compactor::beacon {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

class LocalBus::Impl {
 public:
  struct Subscriber {
    const Channel* channel = nullptr;
    Channel::Receiver receiver;
    int partition = 0;
    bool open = false;
  };

  Impl(std::string name, std::chrono::microseconds delay) : name_(std::move(name)), delay_(delay) {
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  const std::string& name() const { return name_; }

  void subscribe(const Channel* channel, Channel::Receiver receiver) {
    std::lock_guard lock(mutex_);
    auto& subscriber = find_or_add(channel);
    subscriber.receiver = std::move(receiver);
    subscriber.open = true;
  }

  // Blocks until no callback of `channel` runs any more.
  void unsubscribe(const Channel* channel) {
    std::unique_lock lock(mutex_);
    find_or_add(channel).open = false;
    idle_.wait(lock,
               [this] { return !delivering_ || std::this_thread::get_id() == thread_.get_id(); });
  }

  void set_partition(const Channel* channel, int partition) {
    std::lock_guard lock(mutex_);
    find_or_add(channel).partition = partition;
  }

  void send(const Channel* from, std::string_view payload) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(
          {Clock::now() + delay_, from, find_or_add(from).partition, std::string(payload)});
    }
    changed_.notify_all();
  }

 private:
  struct Pending {
    Clock::time_point at;
    const Channel* from;
    int partition;
    std::string payload;
  };

  Subscriber& find_or_add(const Channel* channel) {
    for (auto& s : subscribers_) {
      if (s.channel == channel) return s;
    }
    subscribers_.push_back({channel, {}, 0, false});
    return subscribers_.back();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (stopping_) return;
      if (queue_.empty()) {
        changed_.wait(lock);
        continue;
      }
      if (Clock::now() < queue_.front().at) {
        changed_.wait_until(lock, queue_.front().at);
        continue;
      }
      Pending pending = std::move(queue_.front());
      queue_.pop_front();
      std::vector<Channel::Receiver> receivers;
      for (const auto& s : subscribers_) {
        if (s.open && s.partition == pending.partition) receivers.push_back(s.receiver);
      }
      delivering_ = true;
      lock.unlock();
      for (auto& receive : receivers) receive(pending.payload);
      lock.lock();
      delivering_ = false;
      idle_.notify_all();
    }
  }

  const std::string name_;
  const std::chrono::microseconds delay_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable idle_;
  std::deque<Pending> queue_;  // in send order; equal delays keep it sorted by time
  std::deque<Subscriber> subscribers_;
  bool delivering_ = false;
  bool stopping_ = false;
  std::thread thread_;
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

LocalBus::LocalBus(std::string name, std::chrono::microseconds delay)
    : impl_(std::make_shared<Impl>(std::move(name), delay)) {}

LocalBus::~LocalBus() = default;

std::unique_ptr<Channel> LocalBus::channel() { return std::make_unique<LocalChannel>(impl_); }

void LocalBus::set_partition(const Channel& channel, int partition) {
  impl_->set_partition(&channel, partition);
}

}  // namespace compactor::beacon
