// SPDX-License-Identifier: Apache-2.0
#include <compactor/dispatch.hpp>  // first: the headers compile on their own
#include <compactor/future.hpp>

#include <compactor/ask.hpp>
#include <compactor/context.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace compactor {
namespace {

using namespace std::chrono_literals;

TEST(Future, ThenChainsValuesAndPassesFailuresThrough) {
  Promise<int> promise;
  auto doubled = promise.future().then([](int v) { return v * 2; });
  auto text = doubled.then([](int v) { return Future<std::string>::ready(std::to_string(v)); });
  EXPECT_TRUE(text.is_pending());
  promise.set_value(21);
  EXPECT_EQ(text.get(), "42");

  Promise<int> failing;
  auto never = failing.future().then([](int) -> int {
    ADD_FAILURE() << "not on failure";
    return 0;
  });
  failing.fail("broken");
  EXPECT_TRUE(never.is_failed());
  EXPECT_EQ(never.failure(), "broken");
  EXPECT_THROW(never.get(), FutureFailed);

  auto thrown = Future<int>::ready(1).then([](int) -> int { throw std::runtime_error("oops"); });
  EXPECT_EQ(thrown.failure(), "oops");
}

TEST(Future, CallbacksRunOnceOnTheCompletingThreadOrAtOnce) {
  Promise<int> promise;
  int ready = 0, failed = 0;
  promise.future().on_ready([&](int) { ++ready; }).on_failed([&](const std::string&) { ++failed; });
  std::thread([&] { promise.set_value(1); }).join();
  EXPECT_FALSE(promise.set_value(2)) << "complete once";
  EXPECT_FALSE(promise.fail("late"));
  promise.future().on_ready([&](int v) { ready += v; });  // already complete: at once
  EXPECT_EQ(ready, 2);
  EXPECT_EQ(failed, 0);
}

TEST(Future, CollectAndAwaitAll) {
  std::vector<Promise<int>> promises(3);
  std::vector<Future<int>> futures;
  for (auto& p : promises) futures.push_back(p.future());
  auto all = collect(futures);
  auto done = await_all(futures);
  promises[2].set_value(3);
  promises[0].set_value(1);
  EXPECT_TRUE(all.is_pending());
  promises[1].set_value(2);
  EXPECT_EQ(all.get(), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(done.is_ready());

  std::vector<Promise<int>> more(2);
  auto some_failed = collect(std::vector<Future<int>>{more[0].future(), more[1].future()});
  auto settled = await_all(std::vector<Future<int>>{more[0].future(), more[1].future()});
  more[0].fail("no");
  EXPECT_EQ(some_failed.failure(), "no") << "fails at the first failure";
  EXPECT_TRUE(settled.is_pending()) << "waits for every one";
  more[1].set_value(1);
  ASSERT_TRUE(settled.is_ready());
  EXPECT_TRUE(settled.get()[0].is_failed());
}

class Account : public Process {
 public:
  Account() : Process("account") {}
  int deposit(int amount) { return balance_ += amount; }
  void reset() { balance_ = 0; }
  Future<int> later(int amount) { return Future<int>::ready(balance_ + amount); }
  int overdraw(int) { throw std::runtime_error("insufficient funds"); }

 private:
  int balance_ = 0;  // no lock: dispatched calls run on the process, one at a time
};

class Other : public Process {
 public:
  Other() : Process("other") {}
};

TEST(Dispatch, TypedCallsRunOnTheProcessAndAnswerWithFutures) {
  Account account;
  Other other;
  Context context;
  Context elsewhere;  // another context of this OS process
  const PID pid = context.spawn(account);
  const PID other_pid = elsewhere.spawn(other);

  std::vector<Future<int>> deposits;
  for (int i = 1; i <= 100; ++i) deposits.push_back(dispatch(pid, &Account::deposit, i));
  EXPECT_EQ(collect(deposits).get().back(), 5050);
  EXPECT_EQ(dispatch(pid, &Account::later, 1).get(), 5051);
  EXPECT_TRUE(dispatch(pid, &Account::reset).await(5s));
  EXPECT_EQ(dispatch(pid, &Account::deposit, 7).get(), 7);

  EXPECT_THROW(dispatch(pid, &Account::overdraw, 1).get(), FutureFailed);
  EXPECT_THROW(dispatch(other_pid, &Account::deposit, 1).get(), FutureFailed) << "not an Account";
  EXPECT_THROW(dispatch(PID("nobody", context.address()), &Account::deposit, 1).get(),
               FutureFailed);
}

// An AskTimeout stays an AskTimeout through then() and associate(), so that a typed ask's caller
// can catch it; what a then() callback throws is typed if it is a FutureFailed.
TEST(Future, TypedFailuresPassThroughThenAndAssociate) {
  Promise<int> promise;
  auto mapped = promise.future().then([](int v) { return v + 1; });
  Promise<int> associated;
  associated.associate(mapped);
  promise.fail(AskTimeout("too late"));
  EXPECT_THROW(mapped.get(), AskTimeout);
  EXPECT_THROW(associated.future().get(), AskTimeout);
  EXPECT_EQ(associated.future().failure(), "too late");

  auto thrown = Future<int>::ready(1).then([](int) -> int { throw PeerExited("gone"); });
  EXPECT_THROW(thrown.get(), PeerExited);
  auto plain = Future<int>::ready(1).then([](int) -> int { throw std::out_of_range("range"); });
  EXPECT_THROW(plain.get(), FutureFailed);
  EXPECT_EQ(plain.failure(), "range");
}

TEST(Future, AFutureNeverCompletedFreesItsCallbacks) {
  const auto token = std::make_shared<int>(0);
  {
    Promise<int> never;
    never.future()
        .on_ready([token](int) {})
        .on_failed([token](const std::string&) {})
        .on_any([token](const Future<int>&) {});
    EXPECT_EQ(token.use_count(), 4);
  }
  EXPECT_EQ(token.use_count(), 1) << "the callbacks (and the state) were leaked";
}

}  // namespace
}  // namespace compactor
