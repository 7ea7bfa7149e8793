// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/names.hpp>

#include "beacon/name_table.hpp"
#include "core/logging.hpp"
#include "core/pid_text.hpp"
#include "core/serial_outbox.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace compactor::beacon {

// Drives a NameTable: the channel's payloads, the caller's calls and the clock go in under one
// lock; broadcasts, completed lookups and watch callbacks come out, delivered in order by one
// thread at a time holding no lock (core::SerialOutbox, as Member's driver).
class Names::Driver {
 public:
  Driver(Member& member, std::unique_ptr<Channel> channel, NamesOptions options)
      : member_(member),
        channel_(std::move(channel)),
        options_(options),
        clock_(options.clock ? *options.clock : Clock::system()),
        // Counted from the wall clock's µs: above any earlier run of this member.
        table_(member.name(), NameTable::kMostNames,
               static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count())) {}

  ~Driver() { stop(); }

  void start() {
    {
      std::lock_guard lock(mutex_);
      if (running_) return;
      running_ = true;
      longest_cycle_ = std::chrono::ceil<Clock::duration>(
          std::chrono::duration<double>(member_.config().longest_cycle_s()));
      next_refresh_ = clock_.now() + refresh_period();
    }
    subscription_ = member_.subscribe([this](const Event& event) { on_member_event(event); });
    channel_->expect_cycle(std::chrono::ceil<std::chrono::milliseconds>(longest_cycle_));
    channel_->set_farewell(table_.farewell());
    {
      std::lock_guard lock(mutex_);
      channel_open_ = true;
    }
    try {
      channel_->open([this](std::string_view payload) { receive(payload); },
                     [this](bool up, std::string_view) {
                       if (up) apply([this] { on_channel_up(); });
                     });
    } catch (...) {
      member_.unsubscribe(subscription_);
      std::lock_guard lock(mutex_);
      running_ = channel_open_ = false;
      throw;
    }
    apply([this] { arm(); });
  }

  void stop() {
    std::vector<Clock::TimerId> timers;
    bool was_running = false;
    apply([&] {
      was_running = std::exchange(running_, false);
      if (!was_running) return;
      table_.leave();
      for (auto& lookup : std::exchange(lookups_, {})) {
        fail(lookup.promise, FutureFailed("the names of " + channel_->describe() +
                                          " stopped before '" + lookup.name + "' was found"));
      }
      for (const auto& [at, id] : std::exchange(timers_, {})) timers.push_back(id);
    });
    if (!was_running) return;
    member_.unsubscribe(subscription_);
    for (const auto id : timers) clock_.cancel(id);  // outside the lock: it waits for a tick
    outbox_.wait_idle();                             // the goodbye included
    {
      std::lock_guard lock(mutex_);
      channel_open_ = false;
    }
    channel_->close();
    outbox_.wait_idle();
  }

  std::uint64_t publish(const std::string& name, const PID& pid, Clock::duration lease) {
    std::string text = pid.to_string();
    if (name.empty() || !detail::parse_literal_pid(text)) {
      throw std::invalid_argument("Names::publish('" + name + "', '" + text +
                                  "'): a name and a PID with an IP address, please");
    }
    std::uint64_t epoch = 0;
    apply([&] {
      epoch = table_.publish(clock_.now(), name, std::move(text), lease);
      next_refresh_ = std::max(next_refresh_, clock_.now() + refresh_period() / 2);
    });
    return epoch;
  }

  void unpublish(const std::string& name) {
    apply([&] { table_.unpublish(name); });
  }

  std::optional<NameHolder> find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return holder_of(name);
  }

  Future<PID> lookup(const std::string& name, Clock::duration timeout) {
    Promise<PID> promise;
    apply([&] {
      if (!running_) {
        return fail(promise,
                    FutureFailed("the names of " + channel_->describe() + " are not running"));
      }
      if (auto holder = holder_of(name)) {
        calls_.push_back([promise, pid = holder->pid] { promise.set_value(pid); });
        return;
      }
      lookups_.push_back({name, promise, clock_.now() + timeout, timeout});
      want(name);
    });
    return promise.future();
  }

  WatchId watch(const std::string& name, std::function<void(const NameEvent&)> callback) {
    if (name.empty()) throw std::invalid_argument("Names::watch: an empty name (watch_all?)");
    WatchId id = 0;
    apply([&] {
      id = ++last_watch_;
      auto shared =
          std::make_shared<const std::function<void(const NameEvent&)>>(std::move(callback));
      watches_.emplace(id, Watch{name, shared});
      if (auto holder = holder_of(name)) {
        calls_.push_back(
            [shared, event = NameEvent{name, std::move(holder)}] { (*shared)(event); });
      } else if (running_) {
        want(name);
      }
    });
    return id;
  }

  WatchId watch_all(std::function<void(const NameEvent&)> callback) {
    WatchId id = 0;
    apply([&] {
      id = ++last_watch_;
      auto shared =
          std::make_shared<const std::function<void(const NameEvent&)>>(std::move(callback));
      watches_.emplace(id, Watch{{}, shared});  // no name: every name
      for (const auto& [name, holding] : table_.holdings()) {
        if (auto holder = holder_of(name)) {
          calls_.push_back(
              [shared, event = NameEvent{name, std::move(holder)}] { (*shared)(event); });
        }
      }
    });
    return id;
  }

  void forget(const PID& pid) {
    // Not asked again at once: the holder, alive in the group, would answer, and be forgotten
    // again as soon as linked. Its names come back when it repeats them (a refresh, a rejoin)
    // or answers someone else's ask.
    apply([&] { table_.forget_pid(pid.to_string()); });
  }

  void unwatch(WatchId id) {
    {
      std::lock_guard lock(mutex_);
      watches_.erase(id);
    }
    outbox_.wait_idle();  // a delivery that took the callback before has finished
  }

  std::uint64_t ignored_messages() const {
    std::lock_guard lock(mutex_);
    return ignored_;
  }

 private:
  struct Lookup {
    std::string name;
    Promise<PID> promise;
    Clock::time_point deadline;
    Clock::duration timeout;
  };
  struct Watch {
    std::string name;  // empty: every name (watch_all)
    std::shared_ptr<const std::function<void(const NameEvent&)>> callback;
  };
  // A name being asked for: when next, and the back-off after that.
  struct Want {
    Clock::time_point next;
    Clock::duration interval;
  };
  // What one change produced, delivered in order outside every lock.
  struct Outputs {
    std::vector<std::string> broadcasts;
    std::vector<std::function<void()>> calls;
  };

  // Runs `change` under the lock, then sends and calls what it produced.
  template <class Change>
  void apply(Change&& change) {
    bool drain;
    {
      std::lock_guard lock(mutex_);
      change();
      auto actions = table_.take_actions();
      collect(actions);
      arm();
      auto& broadcasts = actions.broadcasts;
      if (!channel_open_) broadcasts.clear();  // published before start(): announced when up
      drain = (!broadcasts.empty() || !calls_.empty()) &&
              outbox_.queue({std::move(broadcasts), std::exchange(calls_, {})});
    }
    if (drain) outbox_.drain([this](const Outputs& outputs) { deliver(outputs); });
  }

  void receive(std::string_view payload) {
    apply([&] { table_.receive(clock_.now(), payload); });
  }

  // The channel is back (or up for the first time): its server may have lost us meanwhile and
  // told the others (our will), and we may have missed holders.
  void on_channel_up() {
    table_.announce();
    want_watched_names();
  }

  // The table's changes become completed lookups and watch callbacks; its refusals are counted.
  void collect(const NameTable::Actions& actions) {
    for (const auto& change : actions.changes) {
      auto holder = holder_of(change.name);
      if (holder) {
        wanted_.erase(change.name);
        std::erase_if(lookups_, [&](const Lookup& lookup) {
          if (lookup.name != change.name) return false;
          calls_.push_back(
              [promise = lookup.promise, pid = holder->pid] { promise.set_value(pid); });
          return true;
        });
      }
      for (const auto& [id, watch] : watches_) {
        if (!watch.name.empty() && watch.name != change.name) continue;
        calls_.push_back([callback = watch.callback, event = NameEvent{change.name, holder}] {
          (*callback)(event);
        });
      }
    }
    for (const auto& reason : actions.ignored) {
      if (std::has_single_bit(++ignored_)) {
        core::log().warn("names on {}: ignored a message ({}); {} so far", channel_->describe(),
                         reason, ignored_);
      }
    }
  }

  // The holder of `name` if its PID is one we can send to (an IP literal; never resolved).
  std::optional<NameHolder> holder_of(const std::string& name) const {
    const NameHolding* holding = table_.find(name);
    if (holding == nullptr) return std::nullopt;
    auto pid = detail::parse_literal_pid(holding->pid);
    if (!pid) return std::nullopt;
    return NameHolder{std::move(*pid), holding->member, holding->epoch};
  }

  // Asks for `name` now, and again with back-off while a lookup or a watch wants it.
  void want(const std::string& name) {
    if (wanted_.contains(name)) return;
    table_.ask(name);
    wanted_.emplace(name, Want{clock_.now() + options_.ask_again, options_.ask_again});
    arm();
  }

  void want_watched_names() {
    for (const auto& [id, watch] : watches_) {
      if (!watch.name.empty() && !holder_of(watch.name)) want(watch.name);
    }
  }

  // The group's view of its members: a gone member's names are nobody's; one back from a cut
  // may hold what we watch, or what we hold.
  void on_member_event(const Event& event) {
    if (const auto* gone = std::get_if<GoneEvent>(&event)) {
      apply([&] {
        if (gone_.insert(gone->node).second) table_.forget_member(gone->node);
      });
    } else if (const auto* join = std::get_if<JoinEvent>(&event)) {
      apply([&] {
        if (gone_.erase(join->node) == 0) return;
        want_watched_names();
        table_.announce();
      });
    }
  }

  Clock::duration refresh_period() const {
    return std::chrono::duration_cast<Clock::duration>(longest_cycle_ * options_.refresh_cycles);
  }

  // What the clock brings: lookups that ran out, names to ask again, leases, the refresh.
  void tick() {
    if (!running_) return;
    const auto now = clock_.now();
    if (options_.refresh_cycles > 0 && now >= next_refresh_) {
      table_.announce();
      next_refresh_ = now + refresh_period();
    }
    table_.on_deadline(now);
    std::erase_if(lookups_, [&](const Lookup& lookup) {
      if (lookup.deadline > now) return false;
      fail(lookup.promise,
           NameNotFound("nobody holds the name '" + lookup.name + "' on " + channel_->describe() +
                        " (asked for " + seconds(lookup.timeout) + ")"));
      return true;
    });
    for (auto it = wanted_.begin(); it != wanted_.end();) {
      const std::string& name = it->first;  // not a structured binding: lambdas capture it
      Want& want = it->second;
      const bool looked_up = std::any_of(lookups_.begin(), lookups_.end(),
                                         [&](const Lookup& lookup) { return lookup.name == name; });
      const bool watched = std::any_of(watches_.begin(), watches_.end(), [&](const auto& entry) {
        return entry.second.name == name;
      });
      // Watches alone ask until the back-off reaches a cycle; then a channel coming back or a
      // member rejoining asks again.
      if (!looked_up && (!watched || want.interval >= longest_cycle_)) {
        it = wanted_.erase(it);
        continue;
      }
      if (want.next <= now) {
        table_.ask(name);
        want.interval = std::min(want.interval * 2, longest_cycle_);
        want.next = now + want.interval;
      }
      ++it;
    }
    arm();
  }

  // Makes sure a tick comes by the next thing due (timers already armed sooner are kept; a
  // spare tick does nothing).
  void arm() {
    if (!running_) return;
    auto next = util::kNever;  // nothing due: no timer, an idle member sleeps
    for (const auto& lookup : lookups_) next = std::min(next, lookup.deadline);
    for (const auto& [name, want] : wanted_) next = std::min(next, want.next);
    if (options_.refresh_cycles > 0 && table_.holds_any()) next = std::min(next, next_refresh_);
    next = std::min(next, table_.next_deadline());
    if (next == util::kNever) return;
    for (const auto& [at, id] : timers_) {
      if (at <= next) return;
    }
    const auto id = clock_.schedule(next, [this, next] { fire(next); });
    timers_.emplace_back(next, id);
  }

  void fire(Clock::time_point at) {
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      std::erase_if(timers_, [&](const auto& timer) { return timer.first == at; });
    }
    apply([this] { tick(); });
  }

  template <class Failure>
  void fail(const Promise<PID>& promise, Failure failure) {
    calls_.push_back([promise, failure = std::move(failure)] { promise.fail(failure); });
  }

  static std::string seconds(Clock::duration duration) {
    return fmt::format("{:g} s", std::chrono::duration<double>(duration).count());
  }

  void deliver(const Outputs& outputs) {
    for (const auto& payload : outputs.broadcasts) send(payload);
    for (const auto& call : outputs.calls) call();
  }

  void send(const std::string& payload) {
    try {
      channel_->send(payload);
    } catch (const std::exception& error) {
      // The channel says when it is down and back; one line per kind of failure is enough.
      std::lock_guard lock(send_error_mutex_);
      if (error.what() != last_send_error_) {
        core::log().warn("names: cannot send on {}: {}", channel_->describe(), error.what());
        last_send_error_ = error.what();
      }
    }
  }

  Member& member_;
  std::unique_ptr<Channel> channel_;
  const NamesOptions options_;
  Clock& clock_;

  mutable std::mutex mutex_;  // guards everything below up to outbox_
  NameTable table_;
  bool running_ = false;
  bool channel_open_ = false;  // between open() and close(): broadcasts can go
  Clock::duration longest_cycle_{};
  std::vector<Lookup> lookups_;
  std::map<WatchId, Watch> watches_;
  WatchId last_watch_ = 0;
  std::map<std::string, Want, std::less<>> wanted_;
  std::set<std::string, std::less<>> gone_;  // members the group reported gone
  Clock::time_point next_refresh_{};
  Member::SubscriptionId subscription_ = 0;
  std::vector<std::pair<Clock::time_point, Clock::TimerId>> timers_;
  std::vector<std::function<void()>> calls_;  // produced by the change being applied
  std::uint64_t ignored_ = 0;

  core::SerialOutbox<Outputs> outbox_;
  std::mutex send_error_mutex_;
  std::string last_send_error_;
};

Names::Names(Member& member, std::unique_ptr<Channel> channel, NamesOptions options)
    : driver_(std::make_unique<Driver>(member, std::move(channel), options)) {}
Names::~Names() = default;

void Names::start() { driver_->start(); }
void Names::stop() { driver_->stop(); }
std::uint64_t Names::publish(const std::string& name, const PID& pid, Clock::duration lease) {
  return driver_->publish(name, pid, lease);
}
void Names::unpublish(const std::string& name) { driver_->unpublish(name); }
std::optional<NameHolder> Names::find(const std::string& name) const { return driver_->find(name); }
Future<PID> Names::lookup(const std::string& name, Clock::duration timeout) {
  return driver_->lookup(name, timeout);
}
Names::WatchId Names::watch(const std::string& name,
                            std::function<void(const NameEvent&)> callback) {
  return driver_->watch(name, std::move(callback));
}
Names::WatchId Names::watch_all(std::function<void(const NameEvent&)> callback) {
  return driver_->watch_all(std::move(callback));
}
void Names::unwatch(WatchId id) { driver_->unwatch(id); }
void Names::forget(const PID& pid) { driver_->forget(pid); }
std::uint64_t Names::ignored_messages() const { return driver_->ignored_messages(); }

}  // namespace compactor::beacon
