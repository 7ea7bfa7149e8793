// SPDX-License-Identifier: Apache-2.0
// Exit reasons, OnException and Supervisor on a deterministic context and a ManualClock: each
// restart strategy, restart kinds, back-off, the intensity limit, ordered shutdown, nesting.

#include <compactor/context.hpp>
#include <compactor/supervisor.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;

using Lines = std::vector<std::string>;

// Starts and stops, in order; written by workers, read by the test.
class Journal {
 public:
  void add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  Lines lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    lines_.clear();
  }

 private:
  mutable std::mutex mutex_;
  Lines lines_;
};

// Writes its starts and stops into a journal; "crash" throws, "quit" terminates it.
class Worker : public Process {
 public:
  Worker(std::string id, Journal& journal) : Process(std::move(id)), journal_(journal) {
    install("crash", [](const PID&, std::string_view) { throw std::runtime_error("boom"); });
    install("quit", [this](const PID&, std::string_view) { terminate(); });
  }
  void initialize() override { journal_.add("start " + id()); }
  void finalize() override { journal_.add("stop " + id()); }

 private:
  Journal& journal_;
};

// Links to `target` and writes down how it ended.
class Observer : public Process {
 public:
  explicit Observer(PID target) : Process("observer-of-" + target.id), target_(std::move(target)) {}
  void initialize() override { link(target_); }
  void exited(const PID& pid) override {
    const auto& reason = exit_reason();
    const char* kind = reason.kind == ExitReason::Kind::terminated ? "terminated"
                       : reason.kind == ExitReason::Kind::failed   ? "failed"
                                                                   : "lost";
    ends.push_back(pid.id + " " + kind + (reason.what.empty() ? "" : ": " + reason.what));
  }
  std::vector<std::string> ends;

 private:
  PID target_;
};

ChildSpec worker(const std::string& id, Journal& journal, Restart restart = Restart::transient) {
  return {[id, &journal] { return std::make_unique<Worker>(id, journal); }, restart};
}

struct Deterministic : ::testing::Test {
  ~Deterministic() override { context.shutdown(); }
  void send(const PID& to, const std::string& name) {
    context.send(PID("test", context.address()), to, name, "");
    context.run(1000);
  }
  PID pid(const std::string& id) const { return PID(id, context.address()); }
  void advance(Clock::duration by) {
    clock.advance(by);
    context.settle();
  }
  // A supervisor of transient workers (a, b and c), owned by the context, started; the journal
  // cleared.
  Supervisor& supervise(SupervisorOptions options, const Lines& ids = {"a", "b", "c"}) {
    std::vector<ChildSpec> children;
    for (const auto& id : ids) children.push_back(worker(id, journal));
    auto owned = std::make_unique<Supervisor>("sup", options, std::move(children));
    auto& supervisor = *owned;
    context.spawn(std::move(owned));
    context.run(1000);
    journal.clear();
    return supervisor;
  }

  ManualClock clock;
  Context context{ContextOptions{.deterministic = true, .clock = &clock}};
  Journal journal;
};

using ExitReasons = Deterministic;

TEST_F(ExitReasons, ALinkerLearnsWhetherAProcessFailedOrTerminated) {
  Worker failing("failing", journal);
  failing.on_exception(OnException::terminate);
  Worker carrying_on("carrying-on", journal);  // the context's default: carry on
  context.spawn(failing);
  context.spawn(carrying_on);
  Observer watches_failing(failing.self());
  context.spawn(watches_failing);
  Observer watches_other(carrying_on.self());
  context.spawn(watches_other);
  context.run(1000);

  send(carrying_on.self(), "crash");
  send(failing.self(), "crash");
  EXPECT_EQ(watches_failing.ends, std::vector<std::string>{"failing failed: boom"});
  EXPECT_TRUE(watches_other.ends.empty());
  EXPECT_EQ(context.stats().handler_exceptions, 2U);

  send(carrying_on.self(), "quit");
  EXPECT_EQ(watches_other.ends, std::vector<std::string>{"carrying-on terminated"});
  // Linking to no process: exited at once, why unknown.
  Observer watches_nobody(pid("nobody"));
  context.spawn(watches_nobody);
  context.run(1000);
  EXPECT_EQ(watches_nobody.ends, std::vector<std::string>{"nobody lost"});
  context.shutdown();  // before the processes above go
}

TEST(ExitReasonPolicy, TheContextDefaultComesFromTheEnvironmentToo) {
  ManualClock clock;
  Context context{ContextOptions{
      .deterministic = true, .on_exception = OnException::terminate, .clock = &clock}};
  Journal journal;
  Worker worker_process("w", journal);
  context.spawn(worker_process);
  context.send(PID("test", context.address()), worker_process.self(), "crash", "");
  context.run(1000);
  EXPECT_TRUE(context.wait(worker_process.self(), 1s));
  EXPECT_EQ(journal.lines(), (Lines{"start w", "stop w"}));
  context.shutdown();
}

using Supervision = Deterministic;

TEST_F(Supervision, ChildrenStartInOrder) {
  context.spawn(std::make_unique<Supervisor>(
      "sup", SupervisorOptions{},
      std::vector<ChildSpec>{worker("a", journal), worker("b", journal), worker("c", journal)}));
  context.run(1000);
  EXPECT_EQ(journal.lines(), (Lines{"start a", "start b", "start c"}));
}

TEST_F(Supervision, OneForOneRestartsTheFailedChildAfterTheBackOff) {
  auto& supervisor = supervise({.backoff = 100ms});

  send(pid("b"), "crash");
  EXPECT_EQ(journal.lines(), (Lines{"stop b"}));
  EXPECT_EQ(supervisor.children()[1], PID());  // waiting for its back-off
  advance(99ms);
  EXPECT_EQ(journal.lines(), (Lines{"stop b"}));
  advance(1ms);
  EXPECT_EQ(journal.lines(), (Lines{"stop b", "start b"}));
  EXPECT_EQ(supervisor.children()[1], pid("b"));
  EXPECT_EQ(supervisor.restarts(), 1U);
}

TEST_F(Supervision, OneForAllStopsTheOthersLastStartedFirstAndStartsAllInOrder) {
  auto& supervisor = supervise({.strategy = RestartStrategy::one_for_all, .backoff = 0ms});
  send(pid("b"), "crash");
  EXPECT_EQ(journal.lines(),
            (Lines{"stop b", "stop c", "stop a", "start a", "start b", "start c"}));
  // The stopped instances' exits, which come after, are not taken for failures.
  context.run(1000);
  EXPECT_EQ(supervisor.restarts(), 1U);
  EXPECT_EQ(supervisor.children(), (std::vector<PID>{pid("a"), pid("b"), pid("c")}));
}

TEST_F(Supervision, RestForOneRestartsTheFailedChildAndThoseStartedAfterIt) {
  auto& supervisor = supervise({.strategy = RestartStrategy::rest_for_one, .backoff = 0ms});
  send(pid("b"), "crash");
  EXPECT_EQ(journal.lines(), (Lines{"stop b", "stop c", "start b", "start c"}));
  context.run(1000);
  EXPECT_EQ(supervisor.restarts(), 1U);
}

TEST_F(Supervision, RestartKindsDecideWhichEndsAreRestarted) {
  Supervisor supervisor("sup", {.backoff = 0ms},
                        {worker("permanent", journal, Restart::permanent),
                         worker("transient", journal, Restart::transient),
                         worker("temporary", journal, Restart::temporary)});
  context.spawn(supervisor);
  context.run(1000);
  journal.clear();
  for (const char* id : {"permanent", "transient", "temporary"}) send(pid(id), "quit");
  EXPECT_EQ(journal.lines(),
            (Lines{"stop permanent", "start permanent", "stop transient", "stop temporary"}));
  journal.clear();
  send(pid("permanent"), "crash");
  EXPECT_EQ(journal.lines(), (Lines{"stop permanent", "start permanent"}));
  EXPECT_EQ(supervisor.children(), (std::vector<PID>{pid("permanent"), PID(), PID()}));
  context.shutdown();  // before the processes above go
}

TEST_F(Supervision, AChildThatEndedForGoodIsNotRestartedWithItsSiblings) {
  Supervisor supervisor("sup", {.strategy = RestartStrategy::one_for_all, .backoff = 0ms},
                        {worker("a", journal), worker("temporary", journal, Restart::temporary)});
  context.spawn(supervisor);
  context.run(1000);
  send(pid("temporary"), "crash");
  journal.clear();
  send(pid("a"), "crash");
  EXPECT_EQ(journal.lines(), (Lines{"stop a", "start a"}));
  EXPECT_EQ(supervisor.children(), (std::vector<PID>{pid("a"), PID()}));
  context.shutdown();  // before the processes above go
}

TEST_F(Supervision, BackOffDoublesWithinTheWindow) {
  auto& supervisor = supervise({.max_restarts = 5, .within = 10s, .backoff = 100ms}, {"a"});
  for (const auto wait : {100ms, 200ms, 400ms}) {
    send(pid("a"), "crash");
    advance(wait - 1ms);
    EXPECT_EQ(supervisor.children()[0], PID()) << wait.count();
    advance(1ms);
    EXPECT_EQ(supervisor.children()[0], pid("a")) << wait.count();
  }
}

TEST_F(Supervision, PastTheIntensityTheSupervisorGivesUpStoppingItsChildren) {
  auto& supervisor = supervise({.max_restarts = 2, .within = 10s, .backoff = 0ms}, {"a", "b"});
  Observer observer(supervisor.self());
  context.spawn(observer);
  context.run(1000);
  send(pid("a"), "crash");
  advance(6s);
  send(pid("a"), "crash");
  EXPECT_TRUE(observer.ends.empty());
  advance(3s);  // both restarts within the 10 s
  send(pid("a"), "crash");
  ASSERT_EQ(observer.ends.size(), 1U);
  EXPECT_EQ(observer.ends[0], "sup failed: supervisor sup@" + context.address().to_string() +
                                  " gives up: more than 2 restarts within 10000 ms");
  // The failed child ended by itself; the supervisor stopped the other one.
  const auto lines = journal.lines();
  ASSERT_GE(lines.size(), 2U);
  EXPECT_EQ((Lines{lines.end() - 2, lines.end()}), (Lines{"stop a", "stop b"}));
  EXPECT_TRUE(context.wait(pid("b"), 0ms));
  context.shutdown();  // before the processes above go
}

TEST_F(Supervision, RestartsOlderThanTheWindowDoNotCount) {
  auto& supervisor = supervise({.max_restarts = 1, .within = 5s, .backoff = 0ms}, {"a"});
  for (int i = 0; i < 4; ++i) {
    send(pid("a"), "crash");
    advance(6s);
  }
  EXPECT_EQ(supervisor.restarts(), 4U);
  EXPECT_EQ(supervisor.children()[0], pid("a"));
}

TEST_F(Supervision, TerminatingASupervisorStopsItsChildrenLastStartedFirst) {
  auto& supervisor = supervise({});
  context.terminate(supervisor.self());
  ASSERT_TRUE(context.wait(supervisor.self(), 1s));
  EXPECT_EQ(journal.lines(), (Lines{"stop c", "stop b", "stop a"}));
}

TEST_F(Supervision, SupervisorsNest) {
  // The inner one gives up at the second failure of its child; the outer one restarts it, and
  // with it the child.
  auto inner = [this] {
    return std::make_unique<Supervisor>(
        "inner", SupervisorOptions{.max_restarts = 1, .within = 10s, .backoff = 0ms},
        std::vector<ChildSpec>{worker("leaf", journal)});
  };
  Supervisor outer("outer", {.backoff = 0ms}, {ChildSpec{inner}});
  context.spawn(outer);
  context.run(1000);
  EXPECT_EQ(journal.lines(), (Lines{"start leaf"}));
  send(pid("leaf"), "crash");
  send(pid("leaf"), "crash");
  context.run(1000);
  EXPECT_EQ(journal.lines(),
            (Lines{"start leaf", "stop leaf", "start leaf", "stop leaf", "start leaf"}));
  EXPECT_EQ(outer.restarts(), 1U);
  EXPECT_EQ(outer.children()[0], pid("inner"));
  context.shutdown();  // before the processes above go
}

// On threads, with one worker: a supervisor waiting for the child it stopped runs that child
// itself, so neither the restarts nor the shutdown wait out a timeout.
TEST(SupervisionOnWorkers, OneWorkerIsEnoughForOrderedStopsAndRestarts) {
  Context context{ContextOptions{.workers = 1}};
  Journal journal;
  Supervisor supervisor("sup", {.strategy = RestartStrategy::one_for_all, .backoff = 0ms},
                        {worker("a", journal), worker("b", journal), worker("c", journal)});
  context.spawn(supervisor);
  ASSERT_TRUE(context.settle());
  journal.clear();
  const auto started = std::chrono::steady_clock::now();
  context.send(PID("test", context.address()), PID("b", context.address()), "crash", "");
  ASSERT_TRUE(context.settle());
  EXPECT_EQ(journal.lines(),
            (Lines{"stop b", "stop c", "stop a", "start a", "start b", "start c"}));
  journal.clear();
  context.terminate(supervisor.self());
  ASSERT_TRUE(context.wait(supervisor.self(), 10s));
  EXPECT_EQ(journal.lines(), (Lines{"stop c", "stop b", "stop a"}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // no 5 s shutdown_timeout ran out
}

}  // namespace
}  // namespace compactor
