// SPDX-License-Identifier: Apache-2.0
// A scheduler that runs once in a group, and workers that find it by name and keep working when
// its node dies. Three nodes, each a context (its own port: asks travel over TCP) and a group
// member with names and a Singleton("scheduler"), on an in-process LocalBus (mqtt_channel or
// serf_channel take its place across machines). A worker is a coroutine: look the scheduler up,
// ask it for jobs; when an ask fails, look it up again. Then the scheduler's node dies: cut off
// from the group without a goodbye and its context gone. Its name's lease lapses, the next tag
// holder starts a new scheduler with a higher epoch, and the workers carry on with it.

#include <compactor/compactor.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>

using namespace compactor;
using namespace compactor::beacon;
using namespace std::chrono_literals;

// Hands out numbered jobs, saying which epoch it is (a client can refuse an older one).
class Scheduler : public Process {
 public:
  explicit Scheduler(std::uint64_t epoch) : Process("scheduler"), epoch_(epoch) {}

 protected:
  void initialize() override {
    install("job?", [this](const PID& from, std::string_view) {
      send(from, "job", std::to_string(++handed_out_) + " from epoch " + std::to_string(epoch_));
    });
  }

 private:
  const std::uint64_t epoch_;
  int handed_out_ = 0;
};

// Takes jobs from whoever holds the name "scheduler" now.
class Worker : public Process {
 public:
  Worker(std::string id, Names& names, std::atomic<int>& done)
      : Process(std::move(id)), names_(names), done_(done) {}

 protected:
  void initialize() override { launch(work()); }

 private:
  Task<> work() {
    std::uint64_t highest_epoch = 0;
    for (;;) {
      try {
        const PID scheduler = co_await names_.lookup("scheduler", 20s);
        for (;;) {
          const Message job = co_await ask(scheduler, "job?", "", 2s);
          const auto epoch = std::stoull(job.body.substr(job.body.rfind(' ') + 1));
          if (epoch < highest_epoch) break;  // fencing: a deposed scheduler
          highest_epoch = epoch;
          ++done_;
          co_await after(50ms);
        }
      } catch (const FutureFailed& failed) {  // AskTimeout, PeerExited, NameNotFound
        // Until the dead scheduler's name lapses, the lookup still gives it: say so once.
        if (failed.what() != last_failure_) {
          std::cout << self().id << ": " << failed.what() << "; looking again" << std::endl;
        }
        last_failure_ = failed.what();
      }
      co_await after(200ms);
    }
  }

  Names& names_;
  std::atomic<int>& done_;
  std::string last_failure_;
};

// One node: a context, a member with names, the singleton, and a worker.
struct Node {
  Node(const std::string& name, LocalBus& bus, std::atomic<int>& done)
      : context(ContextOptions{.ip = "127.0.0.1", .workers = 1}) {
    auto channel = bus.channel();
    group_channel = channel.get();
    auto names_channel = channel->sibling("names");
    // The shortest timing asyncactor allows: a cycle of 1 s.
    member = std::make_unique<Member>(name, std::move(channel),
                                      Member::Options{.config = Config{.cycle = 1, .gap = 0.2}});
    member->start();
    names = std::make_unique<Names>(*member, std::move(names_channel));
    names->start();
    singleton = std::make_unique<Singleton>(
        *member, *names, context, "scheduler",
        [](std::uint64_t epoch) { return std::make_unique<Scheduler>(epoch); },
        SingletonOptions{.on_event = [name](const SingletonEvent& event) {
          std::cout << name << ": scheduler "
                    << (event.kind == SingletonEvent::Kind::started ? "started" : "stopped")
                    << " here, epoch " << event.epoch << std::endl;
        }});
    context.spawn(std::make_unique<Worker>("worker", *names, done));
  }

  Context context;
  Channel* group_channel = nullptr;  // for the bus's partitions
  std::unique_ptr<Member> member;
  std::unique_ptr<Names> names;
  std::unique_ptr<Singleton> singleton;  // last: goes first
};

int main() {
  LocalBus bus;
  std::atomic<int> done{0};
  std::map<std::string, std::unique_ptr<Node>> nodes;
  for (const char* name : {"node-a", "node-b", "node-c"}) {
    nodes[name] = std::make_unique<Node>(name, bus, done);
  }
  std::string dead;  // cut off: it may still think it runs the scheduler, alone
  auto running = [&]() -> std::string {
    for (const auto& [name, node] : nodes) {
      if (name != dead && node->singleton->running_epoch()) return name;
    }
    return "";
  };
  auto wait_for = [](auto&& condition, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    return condition();
  };

  if (!wait_for([&] { return !running().empty() && done > 20; }, 20s)) {
    std::cout << "no scheduler, or no work done" << std::endl;
    return 1;
  }
  const std::string first = dead = running();
  std::cout << first << " runs the scheduler; " << done << " jobs done; now it dies" << std::endl;
  bus.set_partition(*nodes[first]->group_channel, 1);  // no goodbye
  nodes[first]->context.shutdown();                    // its processes and connections go

  const int before = done;
  const bool moved = wait_for(
      [&] {
        const std::string now = running();
        return !now.empty() && now != first && done > before + 20;
      },
      20s);
  const std::string second = moved ? running() : "";
  std::cout << (moved ? second + " runs the scheduler now, epoch " +
                            std::to_string(*nodes[second]->singleton->running_epoch())
                      : std::string("the scheduler did not move"))
            << "; " << done << " jobs done" << std::endl;
  nodes.clear();
  if (!moved) return 1;
  std::cout << "workers kept working" << std::endl;
  return 0;
}
