// SPDX-License-Identifier: Apache-2.0
// Process::ask on a deterministic context and a ManualClock: fresh __req_res__ PIDs, the first
// reply, timeouts, late replies, and asks that fail at once.

#include <compactor/context.hpp>
#include <compactor/task.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace compactor {
namespace {

using namespace std::chrono_literals;

// Answers "question" at once, or later when `silent` (on "speak"), to whoever asked.
class Responder : public Process {
 public:
  Responder() : Process("responder") {
    install("question", [this](const PID& from, std::string_view body) {
      if (silent) {
        askers.push_back(from);
        return;
      }
      send(from, "answer", std::string(body) + " to " + from.id);
    });
    install("speak", [this](const PID&, std::string_view) {
      for (const auto& asker : askers) send(asker, "answer", "late");
      askers.clear();
    });
  }
  bool silent = false;
  std::vector<PID> askers;
};

// Asks on each "go" and records what came of it.
class Asker : public Process {
 public:
  explicit Asker(PID target, std::string id = "asker")
      : Process(std::move(id)), target_(std::move(target)) {
    install("go", [this](const PID&, std::string_view body) -> Task<> {
      try {
        const Message reply = co_await ask(target_, "question", std::string(body), 5s);
        outcomes.push_back(reply.name + ": " + reply.body + " from " + reply.from.id);
      } catch (const AskTimeout& timeout) {
        outcomes.push_back(std::string("timeout: ") + timeout.what());
      } catch (const PeerExited& exited) {
        outcomes.push_back(std::string("exited: ") + exited.what());
      } catch (const FutureFailed& failed) {
        outcomes.push_back(std::string("failed: ") + failed.what());
      }
    });
  }
  std::vector<std::string> outcomes;

 private:
  PID target_;
};

// Throws from a plain handler and from a coroutine handler after a co_await.
class Thrower : public Process {
 public:
  Thrower() : Process("thrower") {
    install("plain", [](const PID&, std::string_view) { throw std::runtime_error("plain"); });
    install("coroutine", [this](const PID&, std::string_view) -> Task<> {
      co_await after(0ms);
      throw std::runtime_error("coroutine");
    });
  }
};

// Records current_sender() around a co_await: in a coroutine handler, in a task it launched, in
// a task launched from initialize().
class SenderWatcher : public Process {
 public:
  SenderWatcher() : Process("watcher") {
    install("coroutine", [this](const PID&, std::string_view) -> Task<> { return watch("h"); });
    install("launch", [this](const PID&, std::string_view) { launch(watch("l")); });
  }
  std::vector<std::string> seen;

 protected:
  void initialize() override { launch(watch("i")); }

 private:
  Task<> watch(std::string tag) {
    note(tag + " before");
    co_await after(1ms);
    note(tag + " after");
  }
  void note(const std::string& what) {
    seen.push_back(what + ": " + (current_sender() ? current_sender()->id : "none"));
  }
};

struct AskTest : ::testing::Test {
  AskTest() {
    context.spawn(responder);
    asker.emplace(responder.self());
    context.spawn(*asker);
  }
  ~AskTest() override {
    for (const auto& pid : {asker->self(), responder.self()}) context.terminate(pid);
    context.run(1000);
  }
  void go(const std::string& body) {
    context.send(PID("test", context.address()), asker->self(), "go", body);
    context.run(1000);
  }

  ManualClock clock;
  Context context{ContextOptions{.deterministic = true, .clock = &clock}};
  Responder responder;
  std::optional<Asker> asker;
};

TEST_F(AskTest, EachAskGoesFromAFreshPidAndGetsTheFirstReply) {
  go("one");
  go("two");
  EXPECT_EQ(asker->outcomes,
            (std::vector<std::string>{"answer: one to __req_res__(1) from responder",
                                      "answer: two to __req_res__(2) from responder"}));
  EXPECT_EQ(context.stats().late_replies, 0U);
  EXPECT_EQ(context.stats().messages_dropped, 0U);
}

TEST_F(AskTest, AMessageToAnAskThatWasNeverOpenedIsDroppedAsForNobody) {
  // No process has an ask's id: a message for one that the table does not know finds nobody.
  context.send(responder.self(), PID("__req_res__(999)", context.address()), "answer", "stray");
  context.run(1000);
  EXPECT_EQ(context.stats().messages_dropped, 1U);
  EXPECT_EQ(context.stats().late_replies, 0U);
  EXPECT_TRUE(asker->outcomes.empty());
}

TEST_F(AskTest, NoReplyInTimeIsAskTimeoutAndALateReplyIsDroppedAndCounted) {
  responder.silent = true;
  go("one");
  EXPECT_TRUE(asker->outcomes.empty());
  clock.advance(4999ms);
  context.settle();
  EXPECT_TRUE(asker->outcomes.empty());
  clock.advance(1ms);
  context.settle();
  EXPECT_EQ(asker->outcomes,
            std::vector<std::string>{"timeout: ask: no reply from responder@" +
                                     context.address().to_string() + " in 5000 ms"});
  // The late reply goes to the ended ask's PID: dropped, counted, never given to the next ask.
  go("two");
  context.send(PID("test", context.address()), responder.self(), "speak", "");
  context.run(1000);
  EXPECT_EQ(context.stats().late_replies, 1U);
  ASSERT_EQ(asker->outcomes.size(), 2U);
  EXPECT_EQ(asker->outcomes[1], "answer: late from responder");
}

TEST_F(AskTest, AnAskEndsWithPeerExitedWhenItsTargetTerminates) {
  responder.silent = true;
  go("one");
  EXPECT_TRUE(asker->outcomes.empty());
  context.terminate(responder.self());
  context.run(1000);  // no clock advance: not the timeout
  EXPECT_EQ(asker->outcomes,
            std::vector<std::string>{"exited: ask: responder@" + context.address().to_string() +
                                     " exited: it terminated"});
}

// Asks from a task: on "keep", keeps a copy of the ask's future for the test and awaits it; on
// "block", blocks for it and records what came of that.
class TaskAsker : public Process {
 public:
  explicit TaskAsker(PID target) : Process("task_asker"), target_(std::move(target)) {
    install("keep", [this](const PID&, std::string_view) -> Task<> {
      auto reply = ask(target_, "question", "kept", 5s);
      kept = reply;
      co_await reply;
      resumed = true;
    });
    install("block", [this](const PID&, std::string_view) -> Task<> {
      try {
        ask(target_, "question", "", 5s).get();
      } catch (const std::logic_error& error) {
        outcomes.push_back(error.what());
      }
      co_return;
    });
  }
  std::optional<Future<Message>> kept;
  bool resumed = false;
  std::vector<std::string> outcomes;

 private:
  PID target_;
};

// Spawns `keeper`, which asks on "keep" a responder that answers only on "speak".
void keep_an_ask(Context& context, TaskAsker& keeper) {
  context.spawn(keeper);
  context.send(PID("test", context.address()), keeper.self(), "keep", "");
  context.run(1000);
  ASSERT_TRUE(keeper.kept && keeper.kept->is_pending());
}

void let_the_responder_speak(Context& context, const Responder& responder) {
  context.send(PID("test", context.address()), responder.self(), "speak", "");
  context.run(1000);
}

// A task's reply comes to its process's mailbox; a process that terminated meanwhile is not
// there to take it, and the reply completes the future where it arrives: a copy held elsewhere
// gets it, nothing resumes.
TEST_F(AskTest, AReplyForATerminatedAskerCompletesTheFutureWithoutResumingAnything) {
  responder.silent = true;
  TaskAsker keeper(responder.self());
  ASSERT_NO_FATAL_FAILURE(keep_an_ask(context, keeper));
  context.terminate(keeper.self());
  context.run(1000);
  let_the_responder_speak(context, responder);
  ASSERT_TRUE(keeper.kept->is_ready());
  EXPECT_EQ(keeper.kept->get().body, "late");
  EXPECT_FALSE(keeper.resumed);
}

// The step a reply wakes runs after the future's callbacks: one that throws is the handler's
// exception (counted), and the step still runs, with the reply.
TEST_F(AskTest, AThrowingCallbackOnAnAskedFutureDoesNotStrandTheTaskWaitingForIt) {
  responder.silent = true;
  TaskAsker keeper(responder.self());
  ASSERT_NO_FATAL_FAILURE(keep_an_ask(context, keeper));
  keeper.kept->on_ready([](const Message&) { throw std::runtime_error("callback"); });
  let_the_responder_speak(context, responder);
  EXPECT_TRUE(keeper.resumed);
  EXPECT_EQ(context.stats().handler_exceptions, 1U);
  context.terminate(keeper.self());
  context.run(1000);
}

// A task that blocks for its own ask would wait for ever: its reply comes through the task's
// process, which the wait blocks. get() says so instead.
TEST_F(AskTest, BlockingOnAPendingFutureInsideATaskIsAnErrorNotAHang) {
  responder.silent = true;
  TaskAsker blocker(responder.self());
  context.spawn(blocker);
  context.send(PID("test", context.address()), blocker.self(), "block", "");
  context.run(1000);
  EXPECT_EQ(blocker.outcomes,
            std::vector<std::string>{"Future::get() on a pending future inside "
                                     "a Task would block its process: co_await it"});
  context.terminate(blocker.self());
  context.run(1000);
}

// Asks' ids are the context's: a process cannot take one, and a server can tell them apart.
TEST_F(AskTest, AskIdsAreReservedAndRecognized) {
  Process impostor("__req_res__(7)");
  EXPECT_THROW(context.spawn(impostor), std::invalid_argument);
  EXPECT_TRUE(is_asker(PID("__req_res__(7)", context.address())));
  EXPECT_FALSE(is_asker(responder.self()));
}

// An exception that escapes a coroutine handler is logged and counted like a plain handler's,
// and the process goes on.
TEST_F(AskTest, ExceptionsEscapingHandlersAndTasksAreCounted) {
  Thrower thrower;
  context.spawn(thrower);
  for (const char* name : {"plain", "coroutine", "plain"}) {
    context.send(PID("test", context.address()), thrower.self(), name, "");
  }
  context.run(1000);
  EXPECT_EQ(context.stats().handler_exceptions, 2U);
  clock.advance(1ms);  // the coroutine's after(0ms)
  context.settle();
  EXPECT_EQ(context.stats().handler_exceptions, 3U);
  context.terminate(thrower.self());
  context.run(1000);
}

TEST_F(AskTest, ATaskKnowsTheSenderOfTheMessageThatLaunchedItAcrossCoAwait) {
  SenderWatcher watcher;
  context.spawn(watcher);
  context.send(PID("alice", context.address()), watcher.self(), "coroutine", "");
  context.send(PID("bob", context.address()), watcher.self(), "launch", "");
  context.run(1000);
  clock.advance(1ms);
  context.settle();
  EXPECT_EQ(watcher.seen,
            (std::vector<std::string>{"i before: none", "h before: alice", "l before: bob",
                                      "i after: none", "h after: alice", "l after: bob"}));
  context.terminate(watcher.self());
  context.run(1000);
}

// Asks that are never answered cannot pile up: over max_asks_in_flight an ask fails at once,
// and one ending makes room again.
TEST(AskLimit, AnAskOverMaxAsksInFlightFailsAtOnceAndIsCounted) {
  Responder responder;
  ManualClock clock;
  Context context{ContextOptions{.deterministic = true, .max_asks_in_flight = 2, .clock = &clock}};
  context.spawn(responder);
  responder.silent = true;
  Asker asker(responder.self());
  context.spawn(asker);
  for (int i = 0; i < 3; ++i) {
    context.send(PID("test", context.address()), asker.self(), "go", std::to_string(i));
  }
  context.run(1000);
  ASSERT_EQ(asker.outcomes.size(), 1U);
  EXPECT_EQ(asker.outcomes[0], "failed: ask: 2 asks are in flight (max_asks_in_flight)");
  EXPECT_EQ(context.stats().asks_refused, 1U);
  clock.advance(5s);  // the two time out
  context.settle();
  ASSERT_EQ(asker.outcomes.size(), 3U);  // the refusal, then two timeouts
  context.send(PID("test", context.address()), asker.self(), "go", "again");
  context.run(1000);
  EXPECT_EQ(asker.outcomes.size(), 3U) << "room again: the ask waits";
  EXPECT_EQ(context.stats().asks_refused, 1U);
  for (const auto& pid : {asker.self(), responder.self()}) context.terminate(pid);
  context.run(1000);
}

TEST_F(AskTest, AnAskToNoProcessOrToNoPidFailsAtOnce) {
  Asker to_nobody(PID("nobody", context.address()), "to_nobody");
  Asker to_nothing(PID(), "to_nothing");
  context.spawn(to_nobody);
  context.spawn(to_nothing);
  for (const auto& pid : {to_nobody.self(), to_nothing.self()}) {
    context.send(PID("test", context.address()), pid, "go", "");
  }
  context.run(1000);
  EXPECT_EQ(to_nobody.outcomes, std::vector<std::string>{"exited: ask: no process nobody@" +
                                                         context.address().to_string()});
  ASSERT_EQ(to_nothing.outcomes.size(), 1U);
  EXPECT_TRUE(to_nothing.outcomes[0].starts_with("failed: ask: '")) << to_nothing.outcomes[0];
  EXPECT_TRUE(to_nothing.outcomes[0].ends_with("' is not a PID")) << to_nothing.outcomes[0];
  for (const auto& pid : {to_nobody.self(), to_nothing.self()}) context.terminate(pid);
  context.run(1000);
}

}  // namespace
}  // namespace compactor
