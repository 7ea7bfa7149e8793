// SPDX-License-Identifier: Apache-2.0
#include <compactor/beacon/member.hpp>
#include <compactor/beacon/names.hpp>
#include <compactor/beacon/singleton.hpp>
#include <compactor/context.hpp>
#include <compactor/process.hpp>

#include "core/logging.hpp"
#include "core/serial_outbox.hpp"

#include <chrono>
#include <mutex>

namespace compactor::beacon {

// The member's events and the name's changes come from different threads; each becomes a step
// queued on one SerialOutbox, so the steps run one at a time, in order, holding no lock: a step
// may publish, which reports the change back to us (queued behind the step).
class Singleton::Driver {
 public:
  Driver(Member& member, Names& names, Context& context, std::string name, Factory factory,
         SingletonOptions options)
      : member_(member),
        names_(names),
        context_(context),
        name_(std::move(name)),
        factory_(std::move(factory)),
        options_(std::move(options)) {
    watch_ = names_.watch(
        name_, [this](const NameEvent& event) { run([this, event] { on_name(event); }); });
    subscription_ = member_.subscribe([this](const Event& event) {
      if (std::holds_alternative<TagEvent>(event)) {
        run([this] { claim_if_vacant(); });
      } else if (const auto* channel = std::get_if<ChannelEvent>(&event); channel && !channel->up) {
        run([this, why = "cut off from the group: " + channel->detail] { stop(why); });
      } else if (const auto* error = std::get_if<ErrorEvent>(&event)) {
        run([this, why = "the member stopped: " + error->detail] { stop(why); });
      }
    });
  }

  ~Driver() {
    member_.unsubscribe(subscription_);
    names_.unwatch(watch_);
    steps_.wait_idle();
    stop("the singleton's owner is gone");
    if (pid_) context_.wait(*pid_, kTerminationWait);
  }

  std::optional<std::uint64_t> running_epoch() const {
    std::lock_guard lock(mutex_);
    return running_ ? std::optional(epoch_) : std::nullopt;
  }

 private:
  using Step = std::function<void()>;
  // How long a start waits for the previous instance here to be gone (its id is taken until).
  static constexpr std::chrono::seconds kTerminationWait{10};
  // The instance's name is leased for this many of the group's longest cycles, repeated every
  // half cycle: a vanished or cut-off holder loses it within 1.5 cycles.
  static constexpr double kLeaseCycles = 1.5;

  void run(Step step) {
    if (steps_.queue(std::move(step))) steps_.drain([](const Step& next) { next(); });
  }

  // The tag is here: start the instance if nobody holds the name, as far as this member knows.
  void claim_if_vacant() {
    if (running() || names_.find(name_)) return;
    const PID pid(name_, context_.address());
    if (pid_ && !context_.wait(*pid_, kTerminationWait)) {
      core::log().error("singleton {}: the previous instance has not terminated; not starting",
                        name_);
      return;
    }
    // Leased: if this member vanishes or is cut off, the name lapses everywhere (and here)
    // within the lease, on any channel, and the instance stops.
    const auto lease = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(kLeaseCycles * member_.config().longest_cycle_s()));
    const std::uint64_t epoch = names_.publish(name_, pid, lease);
    try {
      auto process = factory_(epoch);
      if (!process) throw std::invalid_argument("the factory made no process");
      const PID spawned = context_.spawn(std::move(process));
      pid_ = spawned;
      if (spawned != pid) {
        context_.terminate(spawned);
        throw std::invalid_argument("the factory's process is " + spawned.to_string() + ", not " +
                                    pid.to_string());
      }
    } catch (const std::exception& error) {
      names_.unpublish(name_);
      core::log().error("singleton {}: cannot start: {}", name_, error.what());
      return;
    }
    {
      std::lock_guard lock(mutex_);
      running_ = true;
      epoch_ = epoch;
    }
    core::log().info("singleton {}: started {} with epoch {}", name_, pid.to_string(), epoch);
    report({SingletonEvent::Kind::started, name_, epoch, pid, {}});
  }

  void on_name(const NameEvent& event) {
    if (!running()) return;
    if (!event.holder) return stop("its name lapsed (cut off?) or was given up");
    if (event.holder->member != member_.name()) {
      stop("outbid by " + event.holder->member + " (epoch " + std::to_string(event.holder->epoch) +
           ")");
    }
  }

  void stop(const std::string& why) {
    std::uint64_t epoch;
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      running_ = false;
      epoch = epoch_;
    }
    context_.terminate(*pid_);
    names_.unpublish(name_);  // if still ours
    core::log().info("singleton {}: stopped epoch {}: {}", name_, epoch, why);
    report({SingletonEvent::Kind::stopped, name_, epoch, *pid_, why});
  }

  bool running() const {
    std::lock_guard lock(mutex_);
    return running_;
  }

  void report(const SingletonEvent& event) {
    if (options_.on_event) options_.on_event(event);
  }

  Member& member_;
  Names& names_;
  Context& context_;
  const std::string name_;
  const Factory factory_;
  const SingletonOptions options_;
  Names::WatchId watch_ = 0;
  Member::SubscriptionId subscription_ = 0;
  core::SerialOutbox<Step> steps_;
  std::optional<PID> pid_;  // the last instance started here, by the steps only

  mutable std::mutex mutex_;  // guards what running_epoch() reads
  bool running_ = false;
  std::uint64_t epoch_ = 0;
};

Singleton::Singleton(Member& member, Names& names, Context& context, std::string name,
                     Factory factory, SingletonOptions options)
    : driver_(std::make_unique<Driver>(member, names, context, std::move(name), std::move(factory),
                                       std::move(options))) {}

Singleton::~Singleton() = default;

std::optional<std::uint64_t> Singleton::running_epoch() const { return driver_->running_epoch(); }

}  // namespace compactor::beacon
